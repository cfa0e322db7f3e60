"""Amazon Connect traffic distribution calls: read first, write only on change, back off on throttling."""

import time
from collections.abc import Callable
from typing import Any, TypeVar

from botocore.exceptions import ClientError
from decisions import Split

T = TypeVar("T")
THROTTLING = frozenset({"TooManyRequestsException", "ThrottlingException"})


def with_backoff(
    call: Callable[[], T], *, attempts: int = 5, base: float = 0.5, sleep: Callable[[float], None] = time.sleep
) -> T:
    """UpdateTrafficDistribution's quota is about 2 requests/s: throttling is retried, doubling the wait."""
    for attempt in range(attempts):
        try:
            return call()
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") not in THROTTLING or attempt == attempts - 1:
                raise
            sleep(base * 2**attempt)
    raise AssertionError("unreachable")


def _percentages(config: dict[str, Any] | None) -> dict[str, int] | None:
    if not config:
        return None
    return {d["Region"]: int(d["Percentage"]) for d in config.get("Distributions", [])}


def read_split(client: Any, tdg_arn: str, sleep: Callable[[float], None] = time.sleep) -> Split:
    """GetTrafficDistribution, as a Split."""
    response = with_backoff(lambda: client.get_traffic_distribution(Id=tdg_arn), sleep=sleep)
    sign_in = response.get("SignInConfig")
    return Split(
        telephony=_percentages(response.get("TelephonyConfig")) or {},
        agents=_percentages(response.get("AgentConfig")),
        sign_in={d["Region"]: bool(d["Enabled"]) for d in sign_in["Distributions"]} if sign_in else None,
    )


def write_split(
    client: Any, tdg_arn: str, split: Split, *, is_default: bool, sleep: Callable[[float], None] = time.sleep
) -> None:
    """UpdateTrafficDistribution with the TDG ARN (required from the replica region); SignInConfig only on
    the default group; AgentConfig moves with telephony."""
    request: dict[str, Any] = {
        "Id": tdg_arn,
        "TelephonyConfig": {
            "Distributions": [{"Region": r, "Percentage": p} for r, p in sorted(split.telephony.items())]
        },
    }
    if split.agents is not None:
        request["AgentConfig"] = {
            "Distributions": [{"Region": r, "Percentage": p} for r, p in sorted(split.agents.items())]
        }
    if is_default and split.sign_in is not None:
        request["SignInConfig"] = {
            "Distributions": [{"Region": r, "Enabled": e} for r, e in sorted(split.sign_in.items())]
        }
    with_backoff(lambda: client.update_traffic_distribution(**request), sleep=sleep)
