"""The Lambda entry point as deployed: the environment the component writes, boto3's DynamoDB resource and
SNS client on moto, Connect and CloudWatch faked to botocore's models (moto implements neither traffic
distribution groups nor composite alarms). Whatever event invokes it (a sweep, an alarm change, a retry of
an event hours old), it evaluates what it reads now."""

import json
from datetime import UTC, datetime

import boto3
import pytest
from conftest import create_config_table, load_lambda
from moto import mock_aws
from moto.core import DEFAULT_ACCOUNT_ID
from moto.sns.models import sns_backends

from bench.failover_world import ALARM, DEFAULT_ARN, EAST, GROUP_ARN, REGIONS, WEST, desired_document
from bench.fake_aws import Alarm, ConnectService, FakeCloudWatch, Group
from components.failover import decision_environment
from config.operations import Failover

NOW = datetime(2026, 11, 24, 15, 0, tzinfo=UTC).timestamp()
OLD_ALARM_EVENT = {
    "source": "aws.cloudwatch",
    "detail-type": "CloudWatch Alarm State Change",
    "time": "2026-11-24T09:00:00Z",
    "detail": {"alarmName": ALARM, "state": {"value": "ALARM"}},
}


@pytest.fixture
def deployed(aws_env, monkeypatch):
    """us-west-2's controller as the stack configures it, its table (and us-east-1's) and topic in moto."""
    controller = load_lambda("failover_controller")
    with mock_aws():
        tables = {region: create_config_table(region) for region in REGIONS}
        for table in tables.values():
            document = desired_document()
            table.put_item(Item={"pk": "traffic", "sk": "desired", "document": json.dumps(document), "version": "v1"})
        topic = boto3.client("sns", region_name=WEST).create_topic(Name="alerts")["TopicArn"]
        environment = {
            "AWS_REGION": WEST,
            "AWS_DEFAULT_REGION": WEST,
            "OTHER_REGION": EAST,
            "HEALTH_ALARM": ALARM,
            "ALERT_TOPIC_ARN": topic,
            "CONFIG_TABLE": "config",
            **decision_environment(Failover(), tie_breaker=False),
        }
        for key, value in environment.items():
            monkeypatch.setenv(key, value)
        service = ConnectService(clock=lambda: NOW)
        service.groups = {
            DEFAULT_ARN: Group({EAST: 50, WEST: 50}, {EAST: 50, WEST: 50}, dict.fromkeys(REGIONS, True), True),
            GROUP_ARN: Group({EAST: 70, WEST: 30}, {EAST: 70, WEST: 30}, None, False),
        }
        alarms = {region: Alarm() for region in REGIONS}
        made = boto3.client

        def client(name: str, region_name: str | None = None, **options):
            if name == "connect":
                return service.client(WEST)
            if name == "cloudwatch":
                return FakeCloudWatch(region_name, ALARM, alarms[region_name])
            return made(name, region_name=region_name, **options)

        monkeypatch.setattr(controller.boto3, "client", client)
        monkeypatch.setattr(controller.time, "time", lambda: NOW)
        yield controller, service, alarms, tables, topic


def published(topic: str) -> list[str]:
    return [subject for _, _, subject, *_ in sns_backends[DEFAULT_ACCOUNT_ID][WEST].topics[topic].sent_notifications]


def test_the_entry_point_fails_over_through_moto_tables_and_topic(deployed):
    controller, service, alarms, tables, topic = deployed
    alarms[EAST].set("ALARM", NOW - 30)
    result = controller.handler({"source": "aws.events", "detail-type": "Scheduled Event"}, None)
    assert result["action"] == "failover" and result["written"] == [DEFAULT_ARN, GROUP_ARN]
    assert [arn for _, region, arn, _ in service.updates if region == WEST] == [DEFAULT_ARN, GROUP_ARN]
    own = json.loads(tables[WEST].get_item(Key={"pk": "controller", "sk": WEST})["Item"]["document"])
    assert own["shift"]["failedAwayFrom"] == EAST and "unannounced" not in own, "announced, then cleared"
    audit = [item for item in tables[WEST].scan()["Items"] if item["pk"] == "audit"]
    assert len(audit) == 1 and audit[0]["expiresAt"] > NOW
    assert published(topic) == [f"connectdr {WEST}: failover"]


def test_an_alarm_event_hours_old_acts_on_what_the_controller_reads_now(deployed):
    """Lambda retries a throttled asynchronous event for up to 6 hours: its content is never trusted."""
    controller, service, _alarms, _tables, topic = deployed
    result = controller.handler(OLD_ALARM_EVENT, None)
    assert result["decided"] == "none" and service.updates == [] and published(topic) == []


def test_staffing_reads_give_up_on_a_slow_region_in_ten_seconds_so_the_sweep_keeps_its_time(deployed, monkeypatch):
    """Follow-the-agents asks both regions for their staffing on every sweep while both are OK: a region slow to
    answer must not eat the controller's 60 s (the rules only skip a step when it is not answered)."""
    handler, *_ = deployed
    made, configs = handler.boto3.client, []

    def recording(name: str, region_name: str | None = None, **options):
        configs.append((name, region_name, options.get("config")))
        return made(name, region_name=region_name, **options)

    monkeypatch.setattr(handler.boto3, "client", recording)
    monkeypatch.setattr(handler, "evaluate", lambda clients, env, now: {"action": "none"})
    handler.handler({"source": "aws.events", "detail-type": "Scheduled Event"}, None)
    staffing = [config for name, region, config in configs if name == "connect" and region is not None]
    assert len(staffing) == len(REGIONS)
    for config in staffing:
        assert config.retries["max_attempts"] * (config.connect_timeout + config.read_timeout) <= 10
