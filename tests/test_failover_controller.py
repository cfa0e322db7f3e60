"""The controller's adapters against botocore's Stubber (Connect, CloudWatch) and moto (DynamoDB, SNS)."""

import json
from datetime import UTC, datetime

import boto3
import pytest
from botocore.stub import Stubber
from conftest import create_config_table, load_lambda
from moto import mock_aws

load_lambda("failover_controller")
from controller import Clients, ControllerEnv, evaluate  # noqa: E402
from decisions import HEALTHY, UNHEALTHY, UNKNOWN, Settings, Split  # noqa: E402
from health import read_health  # noqa: E402
from traffic_api import read_split, write_split  # noqa: E402

EAST, WEST = "us-east-1", "us-west-2"
ACCOUNT = "123456789012"
DEFAULT_ARN = f"arn:aws:connect:{EAST}:{ACCOUNT}:traffic-distribution-group/99999999-8888-7777-6666-555555555555"
GROUP_ARN = f"arn:aws:connect:{EAST}:{ACCOUNT}:traffic-distribution-group/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
ALARM = "connectdr-acme-care-region-health"
NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC).timestamp()


def client(service: str, region: str):
    return boto3.session.Session().client(service, region_name=region, aws_access_key_id="t", aws_secret_access_key="t")


def distribution(east: int, sign_in_west: bool = True, agents: bool = True) -> dict:
    response = {
        "Id": DEFAULT_ARN.rsplit("/", 1)[-1],
        "Arn": DEFAULT_ARN,
        "TelephonyConfig": {
            "Distributions": [{"Region": EAST, "Percentage": east}, {"Region": WEST, "Percentage": 100 - east}]
        },
        "SignInConfig": {
            "Distributions": [{"Region": EAST, "Enabled": True}, {"Region": WEST, "Enabled": sign_in_west}]
        },
    }
    if agents:
        response["AgentConfig"] = {
            "Distributions": [{"Region": EAST, "Percentage": east}, {"Region": WEST, "Percentage": 100 - east}]
        }
    return response


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


def test_read_split_maps_every_config():
    connect = client("connect", WEST)
    with Stubber(connect) as stub:
        stub.add_response("get_traffic_distribution", distribution(70), {"Id": DEFAULT_ARN})
        split = read_split(connect, DEFAULT_ARN)
    assert split == Split({EAST: 70, WEST: 30}, {EAST: 70, WEST: 30}, {EAST: True, WEST: True})


def test_write_split_sends_sign_in_only_to_the_default_group_and_uses_the_arn():
    connect = client("connect", WEST)
    target = Split.all_to(WEST, (EAST, WEST))
    telephony = {"Distributions": [{"Region": EAST, "Percentage": 0}, {"Region": WEST, "Percentage": 100}]}
    with Stubber(connect) as stub:
        stub.add_response(
            "update_traffic_distribution",
            {},
            {
                "Id": DEFAULT_ARN,
                "TelephonyConfig": telephony,
                "AgentConfig": telephony,
                "SignInConfig": {
                    "Distributions": [{"Region": EAST, "Enabled": False}, {"Region": WEST, "Enabled": True}]
                },
            },
        )
        stub.add_response(
            "update_traffic_distribution", {}, {"Id": GROUP_ARN, "TelephonyConfig": telephony, "AgentConfig": telephony}
        )
        write_split(connect, DEFAULT_ARN, target, is_default=True)
        write_split(connect, GROUP_ARN, target, is_default=False)


def test_throttled_updates_back_off_and_succeed():
    connect, sleeps = client("connect", EAST), []
    with Stubber(connect) as stub:
        stub.add_client_error("update_traffic_distribution", "TooManyRequestsException", "quota", 429)
        stub.add_client_error("update_traffic_distribution", "TooManyRequestsException", "quota", 429)
        stub.add_response("update_traffic_distribution", {})
        write_split(connect, DEFAULT_ARN, Split({EAST: 50, WEST: 50}), is_default=False, sleep=sleeps.append)
    assert sleeps == [0.5, 1.0]


@pytest.mark.parametrize(("state", "health"), [("OK", HEALTHY), ("ALARM", UNHEALTHY), ("INSUFFICIENT_DATA", UNKNOWN)])
def test_health_from_each_regions_composite_alarm(state, health):
    cloudwatch = client("cloudwatch", WEST)
    with Stubber(cloudwatch) as stub:
        stub.add_response(
            "describe_alarms", composite(state), {"AlarmNames": [ALARM], "AlarmTypes": ["CompositeAlarm"]}
        )
        observed, since = read_health(cloudwatch, ALARM)
    assert observed == health
    assert since == datetime(2026, 11, 24, 14, 58, tzinfo=UTC).timestamp()


def test_unreachable_region_is_unknown():
    cloudwatch = client("cloudwatch", WEST)
    with Stubber(cloudwatch) as stub:
        stub.add_client_error("describe_alarms", "InternalServiceFault", "down", 500)
        assert read_health(cloudwatch, ALARM) == (UNKNOWN, None)
        stub.add_response("describe_alarms", {"CompositeAlarms": [], "MetricAlarms": []})
        assert read_health(cloudwatch, ALARM) == (UNKNOWN, None)


DESIRED = {
    "regions": [EAST, WEST],
    "default": {
        "arn": DEFAULT_ARN,
        "telephony": {EAST: 50, WEST: 50},
        "agents": {EAST: 50, WEST: 50},
        "signIn": {EAST: True, WEST: True},
    },
    "groups": [{"name": "vip-lines", "arn": GROUP_ARN, "telephony": {EAST: 70, WEST: 30}}],
    "schedule": [],
    "override": {"mode": "none", "region": None},
    "version": "v1",
}


@pytest.fixture
def world(aws_env):
    with mock_aws():
        table = create_config_table(WEST)
        table.put_item(Item={"pk": "traffic", "sk": "desired", "document": json.dumps(DESIRED)})
        sns = boto3.client("sns", region_name=WEST)
        topic = sns.create_topic(Name="alerts")["TopicArn"]
        sqs = boto3.client("sqs", region_name=WEST)
        queue = sqs.create_queue(QueueName="inbox")["QueueUrl"]
        queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
        connect = client("connect", WEST)
        watches = {EAST: client("cloudwatch", EAST), WEST: client("cloudwatch", WEST)}
        stubs = {"connect": Stubber(connect), EAST: Stubber(watches[EAST]), WEST: Stubber(watches[WEST])}
        for stub in stubs.values():
            stub.activate()
        clients = Clients(connect=connect, cloudwatch=watches, table=table, sns=sns, sleep=lambda _s: None)
        env = ControllerEnv(
            WEST, EAST, ALARM, topic, Settings(healthy_evaluations_before_failback=2, cooldown_seconds=0)
        )
        yield {"clients": clients, "env": env, "stubs": stubs, "table": table, "sqs": sqs, "queue": queue}
        for stub in stubs.values():
            stub.assert_no_pending_responses()


def test_east_outage_moves_every_group_to_west(world):
    stubs = world["stubs"]
    stubs[WEST].add_response("describe_alarms", composite("OK"))
    stubs[EAST].add_response("describe_alarms", composite("ALARM"))
    stubs["connect"].add_response("get_traffic_distribution", distribution(50), {"Id": DEFAULT_ARN})
    all_west = {"Distributions": [{"Region": EAST, "Percentage": 0}, {"Region": WEST, "Percentage": 100}]}
    stubs["connect"].add_response(
        "update_traffic_distribution",
        {},
        {
            "Id": DEFAULT_ARN,
            "TelephonyConfig": all_west,
            "AgentConfig": all_west,
            "SignInConfig": {"Distributions": [{"Region": EAST, "Enabled": False}, {"Region": WEST, "Enabled": True}]},
        },
    )
    group_now = {**distribution(70, agents=False), "Arn": GROUP_ARN}
    group_now.pop("SignInConfig")
    stubs["connect"].add_response("get_traffic_distribution", group_now, {"Id": GROUP_ARN})
    stubs["connect"].add_response(
        "update_traffic_distribution", {}, {"Id": GROUP_ARN, "TelephonyConfig": all_west, "AgentConfig": all_west}
    )
    result = evaluate(world["clients"], world["env"], NOW)
    assert result["action"] == "failover"
    assert result["written"] == [DEFAULT_ARN, GROUP_ARN]
    items = world["table"].scan()["Items"]
    audit = [i for i in items if i["pk"] == "audit"]
    assert len(audit) == 1 and json.loads(audit[0]["document"])["action"] == "failover"
    shared = json.loads(next(i for i in items if i["sk"] == "effective")["document"])
    assert shared["failedAwayFrom"] == EAST and shared["by"] == WEST
    messages = world["sqs"].receive_message(QueueUrl=world["queue"]).get("Messages", [])
    assert len(messages) == 1 and "failover" in json.loads(messages[0]["Body"])["Subject"]


def test_no_write_when_nothing_changes(world):
    stubs = world["stubs"]
    stubs[WEST].add_response("describe_alarms", composite("OK"))
    stubs[EAST].add_response("describe_alarms", composite("OK"))
    stubs["connect"].add_response("get_traffic_distribution", distribution(50), {"Id": DEFAULT_ARN})
    group_now = {**distribution(70, agents=True), "Arn": GROUP_ARN}
    group_now.pop("SignInConfig")
    stubs["connect"].add_response("get_traffic_distribution", group_now, {"Id": GROUP_ARN})
    result = evaluate(world["clients"], world["env"], NOW)
    assert result["action"] == "none" and result["written"] == []


def test_the_lambda_entry_point_reads_its_settings_from_the_environment(monkeypatch):
    controller_handler = load_lambda("failover_controller")
    for key, value in {
        "AWS_REGION": WEST,
        "OTHER_REGION": EAST,
        "HEALTH_ALARM": ALARM,
        "ALERT_TOPIC_ARN": "arn:aws:sns:us-west-2:123456789012:alerts",
        "HEALTHY_EVALUATIONS_BEFORE_FAILBACK": "7",
        "COOLDOWN_SECONDS": "900",
    }.items():
        monkeypatch.setenv(key, value)
    env = controller_handler.environment()
    assert (env.own_region, env.other_region, env.health_alarm) == (WEST, EAST, ALARM)
    assert (env.settings.healthy_evaluations_before_failback, env.settings.cooldown_seconds) == (7, 900.0)
