"""`deploy verify`'s Connect checks through botocore against the local Connect REST fake: replication
findings with their messages (all pages), and traffic groups whose update is still being applied."""

from collections.abc import Iterator

import boto3
import pytest
from fakes.connect_api import INSTANCE_ID, FakeConnect, FakeConnectServer

from deploy.cloud import CloudClients
from deploy.deployment import Deployment
from deploy.verify import REPLICATED_TYPES, replication_findings_check, traffic_group_checks

SOURCE, REPLICA = "us-east-1", "us-west-2"


@pytest.fixture(scope="module")
def server() -> Iterator[FakeConnectServer]:
    with FakeConnectServer(FakeConnect(SOURCE)) as running:
        yield running


@pytest.fixture
def fake(server: FakeConnectServer) -> FakeConnect:
    server.fake.reset()
    return server.fake


@pytest.fixture
def cloud(server: FakeConnectServer, monkeypatch: pytest.MonkeyPatch) -> CloudClients:
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")

    def factory(service: str, region: str) -> object:
        return boto3.client(
            service,
            region_name=region,
            endpoint_url=server.url,
            aws_access_key_id="testing",
            aws_secret_access_key="testing",
        )

    return CloudClients(factory=factory)


def deployment(tdg_arns: list[str]) -> Deployment:
    return Deployment(SOURCE, REPLICA, INSTANCE_ID, tdg_arns[0] if tdg_arns else "", tdg_arns, "config", "h", {}, {})


def finding(index: int) -> dict:
    return {
        "Id": f"queue-{index}",
        "Name": f"Queue {index}",
        "ResourceType": "QUEUE",
        "Operation": "CREATE",
        "Region": REPLICA,
        "Message": "A resource with that name exists in the replica",
    }


def test_no_findings_pass(fake, cloud):
    check = replication_findings_check(cloud, deployment([]))
    assert (check.ok, check.mark) == (True, "ok")
    assert check.detail.startswith("none for AGENT, CONTACT_FLOW")
    assert len(fake.called("ListReplicationFindings")) == len(REPLICATED_TYPES)


def test_findings_fail_with_their_messages_across_pages(fake, cloud):
    fake.findings = [finding(index) for index in range(120)]

    check = replication_findings_check(cloud, deployment([]))

    assert not check.ok and not check.in_progress
    assert check.detail.startswith(
        "120 not replicated: QUEUE Queue 0 (CREATE in us-west-2): A resource with that name exists in the replica; "
    )
    assert check.detail.endswith("; and 110 more")
    assert [call.params["resourceType"] for call in fake.called("ListReplicationFindings")].count("QUEUE") == 2


def test_a_group_being_updated_is_in_progress_and_a_failed_one_fails(fake, cloud):
    updating = fake.add_group("default", status="UPDATE_IN_PROGRESS", is_default=True)
    failed = fake.add_group("vip-lines", status="CREATION_FAILED")
    active = fake.add_group("gold")

    checks = traffic_group_checks(cloud, deployment([updating.arn, failed.arn, active.arn]))

    assert [(check.name, check.mark, check.detail) for check in checks] == [
        ("traffic group default", "in progress", "UPDATE_IN_PROGRESS"),
        ("traffic group vip-lines", "FAIL", "CREATION_FAILED"),
        ("traffic group gold", "ok", "ACTIVE"),
    ]
