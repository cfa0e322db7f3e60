"""`deploy verify`'s Connect checks through botocore against the local Connect REST fake: replication
findings with their messages (all pages), and traffic groups whose update is still being applied."""

import io
from collections.abc import Iterator

import boto3
import pytest
from botocore.exceptions import ClientError
from fakes.connect_api import INSTANCE_ID, FakeConnect, FakeConnectServer

from deploy.cloud import CloudClients
from deploy.deployment import Deployment
from deploy.verify import (
    REPLICATED_TYPES,
    replica_check,
    replication_findings_check,
    run_verify,
    traffic_group_checks,
)

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


def test_a_resource_type_whose_replication_is_blocked_fails_though_nothing_is_listed(fake, cloud):
    fake.type_replication = {"QUEUE": {REPLICA: "BLOCKED"}, "AGENT": {REPLICA: "ENABLED"}}

    check = replication_findings_check(cloud, deployment([]))

    assert (check.mark, check.detail) == ("FAIL", f"replication of QUEUE to {REPLICA} is BLOCKED")


def test_resources_not_yet_in_sync_are_in_progress(fake, cloud):
    fake.drifted = {"CONTACT_FLOW": {REPLICA: 3}, "QUEUE": {REPLICA: 0}}

    check = replication_findings_check(cloud, deployment([]))

    assert (check.mark, check.detail) == ("in progress", f"not yet in sync: 3 CONTACT_FLOW in {REPLICA}")


def test_a_call_verify_may_not_make_is_one_failed_line_and_throttling_is_retried(fake, cloud):
    fake.faults["ListReplicationFindings"] = [(429, "ThrottlingException"), (429, "ThrottlingException")]
    fake.faults["DescribeInstance"] = [(403, "AccessDeniedException")]
    group = fake.add_group("default", is_default=True)
    fake.faults["DescribeTrafficDistributionGroup"] = [(403, "AccessDeniedException")]

    findings = replication_findings_check(cloud, deployment([]))
    replica = replica_check(cloud, deployment([]))
    [group_check] = traffic_group_checks(cloud, deployment([group.arn]))

    assert findings.mark == "ok"
    assert (replica.mark, replica.detail) == ("FAIL", "DescribeInstance: AccessDeniedException: injected fault")
    assert (group_check.name, group_check.mark) == (f"traffic group {group.arn}", "FAIL")


class Refused:
    """A DynamoDB table or CloudWatch client whose every call is denied."""

    def __getattr__(self, operation: str) -> object:
        def refuse(**_params: object) -> None:
            error = {"Error": {"Code": "AccessDeniedException", "Message": "not allowed"}}
            raise ClientError(error, operation)

        return refuse


class Outputs:
    """The two stacks' outputs verify reads."""

    def outputs(self, stack: str) -> dict:
        shared = {"failoverController": f"{stack}-controller", "streamSyncConsumer": f"{stack}-sync"}
        if stack == "secondary":
            return {"region": REPLICA, **shared}
        return {
            "region": SOURCE,
            "instanceId": INSTANCE_ID,
            "defaultTdgArn": "",
            "trafficDistributionGroupArns": [],
            "tableNames": {"config": "config"},
            "healthAlarm": "h",
            **shared,
        }


def test_verify_reports_every_check_it_may_not_make_and_goes_on(fake, server, monkeypatch):
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")

    def factory(service: str, region: str) -> object:
        if service != "connect":
            return Refused()
        return boto3.client(
            service, region_name=region, endpoint_url=server.url, aws_access_key_id="t", aws_secret_access_key="t"
        )

    out = io.StringIO()
    code = run_verify(Outputs(), CloudClients(factory=factory), out=out, timeout=1, poll=0.1)

    report = out.getvalue().splitlines()
    assert code == 1
    assert f"  [FAIL] replication {SOURCE} -> {REPLICA}: put_item: AccessDeniedException: not allowed" in report
    assert f"  [FAIL] stream consumer in {REPLICA}: get_metric_statistics: AccessDeniedException: not allowed" in report
    assert f"  [FAIL] replica in {REPLICA}: not listed" in report
    assert report[-1] == "verify: 1 checks passed, 5 failed, 0 in progress"
