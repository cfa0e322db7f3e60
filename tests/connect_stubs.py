"""botocore Stubber per region for the dynamic providers: every request is checked against the real
Connect API model, and each call must go to the region the stub belongs to."""

from collections.abc import Iterator
from contextlib import contextmanager

import boto3
import pytest
from botocore.stub import Stubber

import connect.providers.calls as calls

INSTANCE_ID = "11111111-2222-3333-4444-555555555555"
TDG_ID = "aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
DEFAULT_TDG_ID = "99999999-8888-7777-6666-555555555555"
ACCOUNT = "123456789012"


def instance_arn(region: str) -> str:
    return f"arn:aws:connect:{region}:{ACCOUNT}:instance/{INSTANCE_ID}"


def tdg_arn(region: str, tdg_id: str = TDG_ID) -> str:
    return f"arn:aws:connect:{region}:{ACCOUNT}:traffic-distribution-group/{tdg_id}"


class RegionalStubs:
    """One stubbed Connect client per region; `boto3.client` is patched to hand them out."""

    def __init__(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.clients: dict[str, object] = {}
        self.stubbers: dict[str, Stubber] = {}
        self.sleeps: list[float] = []
        monkeypatch.setattr(calls.boto3, "client", self._client)
        monkeypatch.setattr(calls.time, "sleep", self.sleeps.append)

    def __getitem__(self, region: str) -> Stubber:
        if region not in self.stubbers:
            client = boto3.session.Session().client(
                "connect", region_name=region, aws_access_key_id="test", aws_secret_access_key="test"
            )
            self.clients[region] = client
            self.stubbers[region] = Stubber(client)
            self.stubbers[region].activate()
        return self.stubbers[region]

    def _client(self, service: str, region_name: str, **_kwargs: object) -> object:
        assert service == "connect"
        assert region_name in self.stubbers, f"unexpected call to {region_name}"
        return self.clients[region_name]

    def assert_done(self) -> None:
        for stubber in self.stubbers.values():
            stubber.assert_no_pending_responses()


@contextmanager
def stubbed(monkeypatch: pytest.MonkeyPatch) -> Iterator[RegionalStubs]:
    stubs = RegionalStubs(monkeypatch)
    yield stubs
    stubs.assert_done()
