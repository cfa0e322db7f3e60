"""The controller's adapters against botocore's Stubber, and whole evaluations on moto tables with the
traffic groups, alarms and topics faked to botocore's service models (tests/../bench/fake_aws.py)."""

import json
from datetime import UTC, datetime

import boto3
import pytest
from botocore.stub import Stubber
from conftest import create_config_table, load_lambda
from moto import mock_aws

from bench.failover_world import DEFAULT_ARN, EAST, GROUP_ARN, WEST, World, desired_document

load_lambda("failover_controller")
from decisions import HEALTHY, UNHEALTHY, UNKNOWN, Settings, Split  # noqa: E402
from health import read_health  # noqa: E402
from traffic_api import read_split, write_split  # noqa: E402

ACCOUNT = "123456789012"
ALARM = "connectdr-acme-care-region-health"
SETTINGS = Settings(healthy_evaluations_before_failback=2, cooldown_seconds=300)


def client(service: str, region: str):
    return boto3.session.Session().client(service, region_name=region, aws_access_key_id="t", aws_secret_access_key="t")


def distribution(east: int, changed: datetime | None = None) -> dict:
    shares = {"Distributions": [{"Region": EAST, "Percentage": east}, {"Region": WEST, "Percentage": 100 - east}]}
    response = {
        "Id": DEFAULT_ARN.rsplit("/", 1)[-1],
        "Arn": DEFAULT_ARN,
        "TelephonyConfig": shares,
        "AgentConfig": shares,
        "SignInConfig": {"Distributions": [{"Region": EAST, "Enabled": True}, {"Region": WEST, "Enabled": False}]},
    }
    return {**response, "LastFailoverTime": changed} if changed else response


def composite(state: str) -> dict:
    return {
        "CompositeAlarms": [
            {
                "AlarmName": ALARM,
                "AlarmArn": f"arn:aws:cloudwatch:{EAST}:{ACCOUNT}:alarm:{ALARM}",
                "StateValue": state,
                "StateTransitionedTimestamp": datetime(2026, 11, 24, 14, 58, tzinfo=UTC),
            }
        ],
        "MetricAlarms": [],
    }


def test_read_split_maps_every_config_and_when_it_last_changed():
    connect, changed = client("connect", WEST), datetime(2026, 11, 24, 14, 0, tzinfo=UTC)
    with Stubber(connect) as stub:
        stub.add_response("get_traffic_distribution", distribution(70, changed), {"Id": DEFAULT_ARN})
        split, last_change = read_split(connect, DEFAULT_ARN)
    assert split == Split({EAST: 70, WEST: 30}, {EAST: 70, WEST: 30}, {EAST: True, WEST: False})
    assert last_change == changed.timestamp()


def test_write_split_sends_sign_in_only_to_the_default_group_and_uses_the_arn():
    connect = client("connect", WEST)
    all_west = {"Distributions": [{"Region": EAST, "Percentage": 0}, {"Region": WEST, "Percentage": 100}]}
    sign_in = {"Distributions": [{"Region": EAST, "Enabled": False}, {"Region": WEST, "Enabled": True}]}
    with Stubber(connect) as stub:
        expected = {"Id": DEFAULT_ARN, "TelephonyConfig": all_west, "AgentConfig": all_west, "SignInConfig": sign_in}
        stub.add_response("update_traffic_distribution", {}, expected)
        stub.add_response(
            "update_traffic_distribution", {}, {"Id": GROUP_ARN, "TelephonyConfig": all_west, "AgentConfig": all_west}
        )
        write_split(connect, DEFAULT_ARN, Split.all_to(WEST, (EAST, WEST)), is_default=True)
        write_split(connect, GROUP_ARN, Split.all_to(WEST, (EAST, WEST)), is_default=False)


def test_a_group_still_applying_its_last_change_is_waited_out():
    connect, sleeps = client("connect", EAST), []
    with Stubber(connect) as stub:
        stub.add_client_error("update_traffic_distribution", "ResourceConflictException", "UPDATE_IN_PROGRESS", 409)
        stub.add_client_error("update_traffic_distribution", "ResourceConflictException", "UPDATE_IN_PROGRESS", 409)
        stub.add_response("update_traffic_distribution", {})
        write_split(connect, DEFAULT_ARN, Split({EAST: 50, WEST: 50}), is_default=False, sleep=sleeps.append)
    assert sleeps == [1.0, 2.0]


@pytest.mark.parametrize(("state", "health"), [("OK", HEALTHY), ("ALARM", UNHEALTHY), ("INSUFFICIENT_DATA", UNKNOWN)])
def test_health_from_each_regions_composite_alarm(state, health):
    cloudwatch = client("cloudwatch", WEST)
    with Stubber(cloudwatch) as stub:
        stub.add_response(
            "describe_alarms", composite(state), {"AlarmNames": [ALARM], "AlarmTypes": ["CompositeAlarm"]}
        )
        assert read_health(cloudwatch, ALARM) == (health, datetime(2026, 11, 24, 14, 58, tzinfo=UTC).timestamp())


def test_an_unreachable_or_missing_alarm_is_unknown():
    cloudwatch = client("cloudwatch", WEST)
    with Stubber(cloudwatch) as stub:
        stub.add_client_error("describe_alarms", "InternalServiceFault", "down", 500)
        assert read_health(cloudwatch, ALARM) == (UNKNOWN, None)
        stub.add_response("describe_alarms", {"CompositeAlarms": [], "MetricAlarms": []})
        assert read_health(cloudwatch, ALARM) == (UNKNOWN, None)


@pytest.fixture
def world(aws_env):
    """Both regions' config tables in moto, both controllers, the desired split written by Pulumi."""
    with mock_aws():
        tables = {region: create_config_table(region) for region in (EAST, WEST)}
        world = World(tables, {EAST: Settings(**{**SETTINGS.__dict__, "tie_breaker": True}), WEST: SETTINGS})
        world.write_desired(desired_document())
        yield world


def sweep(world: World, minutes: int, regions=(EAST, WEST), every: float = 60.0):
    """Each controller's one-minute sweep, `minutes` times."""
    for _ in range(minutes):
        world.now += every
        for region in regions:
            world.invoke(region)


def items(world: World, region: str, pk: str) -> list[dict]:
    table = world.tables[region].table
    return [item for item in table.scan()["Items"] if item["pk"] == pk]


def test_an_outage_moves_every_group_and_alerts_once_not_every_minute(world):
    sweep(world, 2)
    world.alarms[EAST].set("ALARM", world.now)
    sweep(world, 10)
    assert world.connect.groups[DEFAULT_ARN].telephony == {EAST: 0, WEST: 100}
    assert world.connect.groups[GROUP_ARN].telephony == {EAST: 0, WEST: 100}
    assert world.connect.groups[DEFAULT_ARN].sign_in == {EAST: False, WEST: True}
    subjects = [m["Subject"] for m in world.sns[WEST].published]
    assert subjects == ["connectdr us-west-2: failover"], "one message for the shift, none per minute"
    assert [m["Subject"] for m in world.sns[EAST].published] == ["connectdr us-east-1: attention: own-unhealthy"]
    audits = [json.loads(item["document"]) for item in items(world, WEST, "audit")]
    assert len(audits) == 12 and sum(a["action"] == "failover" for a in audits) == 1
    assert next(a for a in audits if a["action"] == "failover")["written"] == [DEFAULT_ARN, GROUP_ARN]


def test_extra_invocations_never_shorten_the_hysteresis(world):
    """After recovery, five invocations within 16 s (alarm events, retries, the reconcile) count as one
    healthy evaluation: the deployed controller reads its persisted streak back every time."""
    sweep(world, 1)
    world.alarms[EAST].set("ALARM", world.now)
    sweep(world, 2)
    world.alarms[EAST].set("OK", world.now)
    sweep(world, 5, regions=(WEST,), every=4)
    assert world.connect.groups[DEFAULT_ARN].telephony[EAST] == 0, "failed back within seconds"
    sweep(world, 10)
    restores = [at for at, _, arn, shares in world.connect.updates if arn == DEFAULT_ARN and shares[EAST] == 50]
    failover_at = next(at for at, _, arn, shares in world.connect.updates if shares[EAST] == 0)
    assert restores and restores[0] - failover_at >= SETTINGS.cooldown_seconds


def test_a_change_that_took_effect_although_its_call_failed_is_on_record(world):
    """UpdateTrafficDistribution acts but the answer is lost: the shift was recorded before the call, so
    the next evaluation after recovery still waits for the hysteresis instead of failing back at once."""
    sweep(world, 1)
    world.alarms[EAST].set("ALARM", world.now)
    world.connect.lose_response = True
    world.now += 60
    failed = world.invoke(WEST)
    assert failed.error and "ReadTimeoutError" in failed.error
    assert world.connect.groups[DEFAULT_ARN].telephony[EAST] == 0
    world.connect.lose_response = False
    world.alarms[EAST].set("OK", world.now)
    world.now += 60
    world.invoke(EAST)
    world.now += 5
    decision = world.invoke(WEST).result
    assert decision["written"] == [] and "failback waits" in decision["reason"]


def test_nothing_changes_when_the_intent_cannot_be_recorded(world):
    sweep(world, 1)
    world.alarms[EAST].set("ALARM", world.now)
    world.tables[WEST].failing = True
    world.now += 60
    assert world.invoke(WEST).error
    assert world.connect.updates == []


def test_one_group_failing_still_audits_and_alerts_the_groups_that_moved(world):
    sweep(world, 1)
    world.alarms[EAST].set("ALARM", world.now)
    world.connect.fail_update = lambda arn: "ResourceConflictException" if arn == GROUP_ARN else None
    world.now += 60
    invocation = world.invoke(WEST)
    assert invocation.error and "ResourceConflictException" in invocation.error, "the invocation fails (alarmed)"
    (audit,) = [json.loads(i["document"]) for i in items(world, WEST, "audit") if "failover" in i["document"]]
    assert audit["written"] == [DEFAULT_ARN] and audit["failed"] == {GROUP_ARN: "ResourceConflictException"}
    (message,) = world.sns[WEST].published
    assert message["Subject"] == "connectdr us-west-2: failover (1 group(s) failed)"
    world.connect.fail_update = lambda arn: None
    world.now += 60
    retried = world.invoke(WEST).result
    assert retried["written"] == [GROUP_ARN] and world.connect.groups[GROUP_ARN].telephony[WEST] == 100


def test_fields_the_controller_never_writes_cause_no_rewrites(world):
    world.connect.echo_unwritten = True
    world.connect.omit_agents = True
    sweep(world, 5)
    assert world.connect.updates == []
    assert all(not m for sns in world.sns.values() for m in sns.published)


def test_an_operators_second_split_change_applies_at_once(world):
    sweep(world, 1)
    for minute, east in enumerate((70, 30, 60)):
        world.write_desired(desired_document({EAST: east, WEST: 100 - east}, version=f"v{minute}"))
        world.now += 30
        assert world.invoke(EAST).result["written"] == [DEFAULT_ARN]
        assert world.connect.groups[DEFAULT_ARN].telephony[EAST] == east


def test_a_missing_desired_item_waits_and_still_reports(aws_env):
    with mock_aws():
        world = World(
            {region: create_config_table(region) for region in (EAST, WEST)}, {EAST: SETTINGS, WEST: SETTINGS}
        )
        assert world.invoke(EAST).result["reason"].startswith("waiting: no desired split")
        report = world.tables[EAST].table.get_item(Key={"pk": "controller", "sk": EAST})["Item"]
        assert json.loads(report["document"])["report"]["health"] == HEALTHY


def test_a_failed_alert_is_an_error_after_the_audit(world):
    sweep(world, 1)
    world.alarms[EAST].set("ALARM", world.now)
    world.sns[WEST].fail = True
    world.now += 60
    assert "alert" in world.invoke(WEST).error
    assert any("failover" in item["document"] for item in items(world, WEST, "audit"))


def test_the_lambda_entry_point_reads_its_settings_from_the_environment(monkeypatch):
    controller_handler = load_lambda("failover_controller")
    for key, value in {
        "AWS_REGION": WEST,
        "OTHER_REGION": EAST,
        "HEALTH_ALARM": ALARM,
        "ALERT_TOPIC_ARN": "arn:aws:sns:us-west-2:123456789012:alerts",
        "HEALTHY_EVALUATIONS_BEFORE_FAILBACK": "7",
        "COOLDOWN_SECONDS": "900",
        "TIE_BREAKER": "false",
    }.items():
        monkeypatch.setenv(key, value)
    env = controller_handler.environment()
    assert (env.own_region, env.other_region, env.health_alarm) == (WEST, EAST, ALARM)
    assert (env.settings.healthy_evaluations_before_failback, env.settings.cooldown_seconds) == (7, 900.0)
    assert env.settings.tie_breaker is False
    monkeypatch.setenv("TIE_BREAKER", "true")
    assert controller_handler.environment().settings.tie_breaker is True


def test_the_config_table_fixture_is_the_real_key_schema(aws_env):
    with mock_aws():
        table = create_config_table(WEST)
        assert [k["AttributeName"] for k in table.key_schema] == ["pk", "sk"]
