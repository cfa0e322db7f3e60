"""boto3 calls for the dynamic providers: a client per call site, botocore's retries, bounded waits.

Nothing here is held on a provider object: the engine pickles providers with dill, and a client does not
pickle. Each provider method makes its own client for the region it is given as an input.

Transient failures (throttling, 5xx, dropped connections) are retried by botocore's standard retry mode,
which knows Connect's throttling codes. Waits poll until a deadline and then say what to do next: a create
whose wait times out has made its resource, and the next `up` adopts it and keeps waiting.
"""

import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any, TypeVar

import boto3
from botocore.config import Config
from botocore.exceptions import ClientError

T = TypeVar("T")
RETRIES = Config(retries={"mode": "standard", "max_attempts": 5}, connect_timeout=10, read_timeout=30)
QUOTA_CODES = frozenset({"LimitExceededException", "ServiceQuotaExceededException"})
NOT_READY = "ResourceNotReadyException"
NOT_FOUND = "ResourceNotFoundException"
RUN_UP_AGAIN = "AWS goes on working on it: run `pulumi up` again to adopt it and wait on"


class ProviderError(Exception):
    """A failure the operator must act on; the engine prints the message."""


def connect_client(region: str) -> Any:
    """An Amazon Connect client for `region` with botocore's standard retries."""
    return boto3.client("connect", region_name=region, config=RETRIES)


def error_code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))


def error_message(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Message", ""))


@contextmanager
def quota_explained(action: str) -> Iterator[None]:
    """Turn a reached service quota into an error that says so (botocore may have retried it first: its
    standard mode counts LimitExceededException as throttling)."""
    try:
        yield
    except ClientError as error:
        if error_code(error) not in QUOTA_CODES:
            raise
        raise ProviderError(
            f"{action}: a service quota is reached ({error_code(error)}: {error_message(error)}); "
            "request an increase in Service Quotas or remove what is unused, then run `pulumi up` again"
        ) from error


def not_ready_is_pending(check: Callable[[], T | None]) -> Callable[[], T | None]:
    """`check`, reading ResourceNotReadyException as "not yet" so a wait polls on."""

    def guarded() -> T | None:
        try:
            return check()
        except ClientError as error:
            if error_code(error) == NOT_READY:
                return None
            raise

    return guarded


class Deadline:
    """One time budget shared by every wait of an operation (a create that adopts, then waits twice)."""

    def __init__(self, seconds: float, advice: str) -> None:
        self.seconds = seconds
        self.advice = advice
        self.ends = time.monotonic() + seconds

    def wait_for(self, check: Callable[[], T | None], *, what: str, poll_seconds: float) -> T:
        """Poll `check` until it returns a value; raise ProviderError naming `what` when the time is up."""
        guarded = not_ready_is_pending(check)
        while True:
            result = guarded()
            if result is not None:
                return result
            if time.monotonic() >= self.ends:
                raise ProviderError(f"timed out after {self.seconds:.0f}s waiting for {what}; {self.advice}")
            time.sleep(poll_seconds)


def pages(call: Callable[..., dict[str, Any]], key: str, **params: Any) -> Iterator[dict[str, Any]]:
    """Every item of a NextToken-paginated Connect list call."""
    token: str | None = None
    while True:
        page = call(**params, **({"NextToken": token} if token else {}))
        yield from page.get(key, [])
        token = page.get("NextToken")
        if not token:
            return
