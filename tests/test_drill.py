"""The drill against Stubber (Lambda, Connect, CloudWatch) and moto (the config table)."""

import io
import json

import boto3
import pytest
from botocore.response import StreamingBody
from botocore.stub import ANY, Stubber
from conftest import VirtualClock, create_config_table
from moto import mock_aws

from connect.desired_split import versioned
from deploy.drill import DrillTargets, run_drill
from deploy.traffic_ops import OperationError, RegionPorts

EAST, WEST = "us-east-1", "us-west-2"
TDG = "arn:aws:connect:us-east-1:123456789012:traffic-distribution-group/99999999-8888-7777-6666-555555555555"
TARGETS = DrillTargets("connectdr-acme-care-failover-controller", "connectdr-acme-care-region-health", TDG)
DESIRED = versioned(
    {
        "regions": [EAST, WEST],
        "default": {
            "arn": TDG,
            "telephony": {EAST: 50, WEST: 50},
            "agents": {EAST: 50, WEST: 50},
            "signIn": {EAST: True, WEST: True},
        },
        "groups": [],
        "schedule": [],
        "override": {"mode": "none", "region": None},
    }
)


def stubbed(service: str):
    client = boto3.session.Session().client(service, region_name=WEST, aws_access_key_id="t", aws_secret_access_key="t")
    return client, Stubber(client)


def split(east: int) -> dict:
    return {
        "TelephonyConfig": {
            "Distributions": [{"Region": EAST, "Percentage": east}, {"Region": WEST, "Percentage": 100 - east}]
        }
    }


def invoked(payload: dict) -> dict:
    body = json.dumps(payload).encode()
    return {"StatusCode": 200, "Payload": StreamingBody(io.BytesIO(body), len(body))}


@pytest.fixture
def ports(aws_env):
    with mock_aws():
        table = create_config_table(WEST)
        table.put_item(
            Item={"pk": "traffic", "sk": "desired", "document": json.dumps(DESIRED), "version": DESIRED["version"]}
        )
        (lam, lam_stub), (con, con_stub), (cw, cw_stub) = stubbed("lambda"), stubbed("connect"), stubbed("cloudwatch")
        for stub in (lam_stub, con_stub, cw_stub):
            stub.activate()
        yield (
            RegionPorts(WEST, table, lam, con, cw),
            {"lambda": lam_stub, "connect": con_stub, "cloudwatch": cw_stub},
            table,
        )
        for stub in (lam_stub, con_stub, cw_stub):
            stub.assert_no_pending_responses()


def health(state: str) -> dict:
    return {"CompositeAlarms": [{"AlarmName": TARGETS.health_alarm, "StateValue": state}], "MetricAlarms": []}


def test_drill_forces_through_the_controller_times_it_and_restores(ports):
    region, stubs, table = ports
    seen_overrides = []
    stubs["cloudwatch"].add_response(
        "describe_alarms", health("OK"), {"AlarmNames": [TARGETS.health_alarm], "AlarmTypes": ["CompositeAlarm"]}
    )

    def remember_override(**_kwargs):
        document = json.loads(table.get_item(Key={"pk": "traffic", "sk": "desired"})["Item"]["document"])
        seen_overrides.append(document["override"])

    region.lambda_client.meta.events.register("provide-client-params.lambda.Invoke", lambda **_kw: remember_override())
    params = {"FunctionName": TARGETS.controller, "InvocationType": "RequestResponse", "Payload": ANY}
    stubs["lambda"].add_response("invoke", invoked({"action": "force"}), params)
    for east in (50, 50, 0):
        stubs["connect"].add_response("get_traffic_distribution", split(east), {"Id": TDG})
    stubs["lambda"].add_response("invoke", invoked({"action": "restore"}), params)
    for east in (0, 50):
        stubs["connect"].add_response("get_traffic_distribution", split(east), {"Id": TDG})
    clock = VirtualClock()
    report = run_drill(EAST, region, TARGETS, poll_seconds=5, clock=clock, sleep=clock.sleep)
    assert report.shifted_after_seconds == 10 and report.restored_after_seconds == 5
    assert seen_overrides == [{"mode": "force", "region": WEST}, {"mode": "none", "region": None}]
    restored = table.get_item(Key={"pk": "traffic", "sk": "desired"})["Item"]
    assert json.loads(restored["document"]) == DESIRED and restored["version"] == DESIRED["version"]


def test_drill_refuses_when_the_receiving_region_is_unhealthy(ports):
    region, stubs, table = ports
    stubs["cloudwatch"].add_response("describe_alarms", health("ALARM"))
    with pytest.raises(OperationError, match="refusing to drill: us-west-2 is unhealthy"):
        run_drill(EAST, region, TARGETS)
    assert json.loads(table.get_item(Key={"pk": "traffic", "sk": "desired"})["Item"]["document"]) == DESIRED


def test_a_drill_that_times_out_still_restores(ports):
    region, stubs, table = ports
    stubs["cloudwatch"].add_response("describe_alarms", health("OK"))
    stubs["lambda"].add_response("invoke", invoked({"action": "none"}))
    for _ in range(4):
        stubs["connect"].add_response("get_traffic_distribution", split(50))
    stubs["lambda"].add_response("invoke", invoked({"action": "none"}))
    stubs["connect"].add_response("get_traffic_distribution", split(50))
    clock = VirtualClock()
    with pytest.raises(OperationError, match="timed out after 10 s waiting for us-east-1 to reach 0%"):
        run_drill(EAST, region, TARGETS, timeout_seconds=10, poll_seconds=5, clock=clock, sleep=clock.sleep)
    assert json.loads(table.get_item(Key={"pk": "traffic", "sk": "desired"})["Item"]["document"]) == DESIRED
