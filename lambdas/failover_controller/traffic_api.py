"""Amazon Connect traffic distribution calls: read every group first, write only what differs.

Throttling and 5xx errors are retried by botocore (standard mode, see handler.py). A group that is still
UPDATE_IN_PROGRESS after a recent change answers ResourceConflictException: that is waited out here.
"""

import time
from collections.abc import Callable
from typing import Any, TypeVar

from botocore.exceptions import BotoCoreError, ClientError
from decisions import Split, Traffic

T = TypeVar("T")
IN_PROGRESS = "ResourceConflictException"


def error_code(error: Exception) -> str:
    """The AWS error code of a ClientError, else the exception's type name."""
    if isinstance(error, ClientError):
        return str(error.response.get("Error", {}).get("Code", "ClientError"))
    return type(error).__name__


def while_in_progress(
    call: Callable[[], T], *, attempts: int = 4, base: float = 1.0, sleep: Callable[[float], None] = time.sleep
) -> T:
    """Retry a call that meets a group still applying its previous change, doubling the wait."""
    for attempt in range(attempts):
        try:
            return call()
        except ClientError as error:
            if error_code(error) != IN_PROGRESS or attempt == attempts - 1:
                raise
            sleep(base * 2**attempt)
    raise AssertionError("unreachable")


def _distributions(config: dict[str, Any] | None, key: str, regions: tuple[str, ...], absent: T) -> dict[str, T]:
    """A region the answer leaves out gets `absent` (no share, not enabled)."""
    found = {d["Region"]: d[key] for d in (config or {}).get("Distributions", [])}
    return {region: found.get(region, absent) for region in sorted({*regions, *found})}


def read_split(client: Any, tdg_arn: str, regions: tuple[str, ...] = ()) -> tuple[Split, float | None]:
    """GetTrafficDistribution as a Split, and LastFailoverTime (when the distribution last changed). A part
    the answer leaves out is None; a region it leaves out of a part has 0% (or sign-in disabled)."""
    response = client.get_traffic_distribution(Id=tdg_arn)
    telephony, agents, sign_in = (response.get(part) for part in ("TelephonyConfig", "AgentConfig", "SignInConfig"))
    changed = response.get("LastFailoverTime")
    split = Split(
        telephony={r: int(p) for r, p in _distributions(telephony, "Percentage", regions, 0).items()},
        agents={r: int(p) for r, p in _distributions(agents, "Percentage", regions, 0).items()} if agents else None,
        sign_in={r: bool(e) for r, e in _distributions(sign_in, "Enabled", regions, False).items()}
        if sign_in
        else None,
    )
    return split, changed.timestamp() if changed else None


def read_traffic(client: Any, groups: Traffic) -> tuple[Traffic, float | None, dict[str, str]]:
    """The current split of every group in `groups` that can be read (over the regions their desired splits
    name), the default group's LastFailoverTime, and the error code of each group that cannot (deleted, not
    ACTIVE, not allowed): one such group does not keep the others from moving."""
    splits, changed, unreadable = {}, None, {}
    for arn, desired in groups.splits:
        try:
            splits[arn], last_change = read_split(client, arn, tuple(desired.telephony))
        except (ClientError, BotoCoreError) as error:
            unreadable[arn] = error_code(error)
            continue
        if arn == groups.default_arn:
            changed = last_change
    return Traffic.of(groups.default_arn, splits), changed, unreadable


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
    while_in_progress(lambda: client.update_traffic_distribution(**request), sleep=sleep)
