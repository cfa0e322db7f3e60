"""boto3 calls for the dynamic providers: one client per call site, throttling backoff, bounded waits.

Nothing here is held on a provider object: the engine pickles providers with dill, and a client does not
pickle. Each provider method makes its own client for the region it is given as an input.
"""

import time
import uuid
from collections.abc import Callable
from typing import Any, TypeVar

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

T = TypeVar("T")
THROTTLING_CODES = frozenset({"TooManyRequestsException", "ThrottlingException", "LimitExceededException"})
Sleep = Callable[[float], None]
Clock = Callable[[], float]


class ProviderError(Exception):
    """A failure the operator must act on; the engine prints the message."""


def connect_client(region: str) -> Any:
    """An Amazon Connect client for `region`; retries are ours (see with_backoff), so botocore makes one try."""
    return boto3.client("connect", region_name=region, config=Config(retries={"max_attempts": 1, "mode": "standard"}))


def client_token(*parts: str) -> str:
    """A stable idempotency token: a retried create after a lost response does not create twice."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "connectdr/" + "/".join(parts)))


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def _sleep(seconds: float) -> None:
    """Looked up at call time, so a test can replace `time.sleep`."""
    time.sleep(seconds)


def with_backoff(call: Callable[[], T], *, attempts: int = 6, base_seconds: float = 0.5, sleep: Sleep = _sleep) -> T:
    """Run `call`, retrying throttling errors with exponential backoff (Connect's quotas are ~2 requests/s)."""
    for attempt in range(attempts):
        try:
            return call()
        except ClientError as error:
            if error_code(error) not in THROTTLING_CODES or attempt == attempts - 1:
                raise
            sleep(base_seconds * 2**attempt)
    raise AssertionError("unreachable")


def wait_for(
    check: Callable[[], T | None],
    *,
    what: str,
    timeout_seconds: float,
    poll_seconds: float,
    sleep: Sleep = _sleep,
    clock: Clock = time.monotonic,
) -> T:
    """Poll `check` until it returns a value; raise ProviderError naming `what` when the time is up."""
    deadline = clock() + timeout_seconds
    while True:
        result = check()
        if result is not None:
            return result
        if clock() >= deadline:
            raise ProviderError(f"timed out after {timeout_seconds:.0f}s waiting for {what}")
        sleep(poll_seconds)
