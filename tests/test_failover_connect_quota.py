"""UpdateTrafficDistribution allows about 2 requests a second: a failover of many groups meets
ThrottlingException. Through a real botocore client configured as the handler configures it (standard
retries, 4 attempts), with the service answering HTTP 429 past a 2/s token bucket on a virtual clock,
every group is written in one evaluation and well within the function's 60 s timeout."""

import json
import random

import botocore.endpoint
import botocore.session
from botocore.awsrequest import AWSResponse
from conftest import load_lambda

controller_handler = load_lambda("failover_controller")
from decisions import Split  # noqa: E402
from traffic_api import write_split  # noqa: E402

EAST, WEST = "us-east-1", "us-west-2"
LAMBDA_TIMEOUT = 60.0
SECONDS_PER_REQUEST = 0.15


class Body:
    def __init__(self, content: bytes) -> None:
        self.content = content

    def stream(self, **_options):
        yield self.content


class QuotaConnect:
    """Connect's HTTP answers for UpdateTrafficDistribution behind a token bucket, on a virtual clock."""

    def __init__(self, rate: float, burst: int) -> None:
        self.rate, self.burst, self.tokens, self.now, self.filled_at, self.requests = rate, burst, burst, 0.0, 0.0, 0

    def sleep(self, seconds: float) -> None:
        self.now += seconds

    def send(self, request, **_event) -> AWSResponse:
        self.requests += 1
        self.now += SECONDS_PER_REQUEST
        self.tokens = min(self.burst, self.tokens + (self.now - self.filled_at) * self.rate)
        self.filled_at = self.now
        if self.tokens >= 1:
            self.tokens -= 1
            return self.answer(request, 200, b"{}", {})
        body = json.dumps({"message": "Rate exceeded"}).encode()
        return self.answer(request, 429, body, {"x-amzn-ErrorType": "ThrottlingException"})

    @staticmethod
    def answer(request, status: int, content: bytes, headers: dict[str, str]) -> AWSResponse:
        response = AWSResponse(request.url, status, headers, Body(content))
        response._content = content
        return response


def test_a_failover_of_ten_groups_under_the_request_quota_writes_every_group_in_time(monkeypatch):
    """A new client per evaluation, as the handler makes one per invocation; no burst above the rate."""
    slowest = 0.0
    for seed in range(15):
        random.seed(seed)  # botocore's retry jitter
        service = QuotaConnect(rate=2.0, burst=1)
        monkeypatch.setattr(botocore.endpoint.time, "sleep", service.sleep)
        client = botocore.session.get_session().create_client(
            "connect",
            region_name=WEST,
            aws_access_key_id="t",
            aws_secret_access_key="t",
            config=controller_handler.CONNECT,
        )
        client.meta.events.register("before-send.connect", service.send)
        all_west = Split.all_to(WEST, (EAST, WEST), with_sign_in=False)
        for group in range(10):
            arn = f"arn:aws:connect:{EAST}:123456789012:traffic-distribution-group/{group:08x}-bbbb-cccc-dddd-eeeeeeeeeeee"
            write_split(client, arn, all_west, is_default=False, sleep=service.sleep)
        assert service.requests > 10, "the quota was met"
        slowest = max(slowest, service.now)
    assert slowest < LAMBDA_TIMEOUT / 2
