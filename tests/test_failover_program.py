"""The controller's infrastructure in both stacks: health alarms, triggers, reconcile, IAM across regions."""

import json
import re

import pytest
from alarm_rules import evaluate_expression
from conftest import only, structured

from deploy.render import plain

STACKS = {"primary": ("us-east-1", "us-west-2"), "secondary": ("us-west-2", "us-east-1")}


def rule_of(plan) -> str:
    return only(plan.of_type("aws:cloudwatch/compositeAlarm:CompositeAlarm")).inputs["alarmRule"]


def connect_metric(alarm) -> str | None:
    """The AWS/Connect metric an alarm watches, named directly or in its Metrics Insights query."""
    if alarm.inputs.get("namespace") == "AWS/Connect":
        return alarm.inputs["metricName"]
    queries = [q["expression"] for q in alarm.inputs.get("metricQueries", [])]
    found = [re.match(r'SELECT \w+\("(\w+)"\) FROM SCHEMA\("AWS/Connect"', q) for q in queries]
    return next((match[1] for match in found if match), None)


@pytest.mark.parametrize("stack", STACKS)
def test_health_alarms_watch_connect_and_combine_into_region_health(request, stack):
    plan = request.getfixturevalue(stack)
    sustained = {
        connect_metric(a): a
        for a in plan.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
        if connect_metric(a) and "confirming" not in a.name
    }
    assert sorted(sustained) == [
        "CallsBreachingConcurrencyQuota",
        "ContactFlowFatalErrors",
        "ThrottledCalls",
        "ToInstancePacketLossRate",
    ]
    instance_id = request.getfixturevalue("primary").outputs["instanceId"]
    by_dimension = [a for a in sustained.values() if "dimensions" in a.inputs]
    assert len(by_dimension) == 3 and {a.inputs["dimensions"]["InstanceId"] for a in by_dimension} == {instance_id}
    flows = sustained["ContactFlowFatalErrors"].inputs["metricQueries"][0]["expression"]
    assert f"\"InstanceId\" = '{instance_id}'" in flows and 'ContactFlowName" =' not in flows
    assert 0 < sustained["ToInstancePacketLossRate"].inputs["threshold"] < 1
    composite = only(plan.of_type("aws:cloudwatch/compositeAlarm:CompositeAlarm"))
    assert composite.inputs["alarmName"] == "connectdr-acme-care-region-health"
    assert all(evaluate_expression(rule_of(plan), {a.name}) for a in sustained.values())


@pytest.mark.parametrize("stack", STACKS)
def test_controller_is_invoked_on_alarm_changes_of_both_regions_and_every_minute(request, stack):
    plan = request.getfixturevalue(stack)
    region, other = STACKS[stack]
    controller = plan.named("data-plane-failover-controller")
    rules = {r.name.rsplit("-failover-", 1)[-1]: r for r in plan.of_type("aws:cloudwatch/eventRule:EventRule")}
    assert rules["sweep"].inputs["scheduleExpression"] == "rate(1 minute)"
    on_change = json.loads(rules["on-health-change"].inputs["eventPattern"])
    assert on_change["detail"]["alarmName"] == ["connectdr-acme-care-region-health"] and "region" not in on_change
    forward = json.loads(rules["forward-health"].inputs["eventPattern"])
    assert forward["region"] == [region]
    targets = {t.name: t for t in plan.of_type("aws:cloudwatch/eventTarget:EventTarget")}
    assert (
        targets["data-plane-failover-forward-target"].inputs["arn"]
        == f"arn:aws:events:{other}:123456789012:event-bus/default"
    )
    assert targets["data-plane-failover-sweep-target"].inputs["arn"] == controller.outputs["arn"]
    permissions = plan.of_type("aws:lambda/permission:Permission")
    assert {p.inputs["sourceArn"] for p in permissions} == {
        rules["sweep"].outputs["arn"],
        rules["on-health-change"].outputs["arn"],
    }


@pytest.mark.parametrize("stack", STACKS)
def test_controller_may_act_on_every_traffic_group_from_either_region(request, stack, primary):
    plan = request.getfixturevalue(stack)
    policy = json.loads(plain(plan.named("data-plane-failover-controller-policy").inputs["policy"]))
    statements = {s["Sid"]: s for s in policy["Statement"]}
    groups = [arn.rsplit("/", 1)[-1] for arn in primary.outputs["trafficDistributionGroupArns"]]
    expected = sorted(
        f"arn:aws:connect:{r}:123456789012:traffic-distribution-group/{g}"
        for g in groups
        for r in ("us-east-1", "us-west-2")
    )
    assert statements["TrafficDistribution"]["Resource"] == expected
    assert statements["TrafficDistribution"]["Action"] == [
        "connect:GetTrafficDistribution",
        "connect:UpdateTrafficDistribution",
    ]
    assert statements["ReadRegionHealth"]["Resource"] == sorted(
        f"arn:aws:cloudwatch:{r}:123456789012:alarm:connectdr-acme-care-region-health"
        for r in ("us-east-1", "us-west-2")
    )
    for statement in statements.values():
        assert "*" not in statement["Resource"] and not any(a.endswith("*") for a in statement["Action"])


def test_primary_reconciles_when_the_desired_split_changes(primary, secondary):
    invocation = only(primary.of_type("aws:lambda/invocation:Invocation"))
    item = only(primary.of_type("aws:dynamodb/tableItem:TableItem"))
    version = json.loads(item.inputs["item"])["version"]["S"]
    assert invocation.inputs["triggers"] == {"desiredSplitVersion": version}
    assert json.loads(invocation.inputs["input"]) == {"trigger": "desired-split-changed", "version": version}
    assert invocation.inputs["functionName"] == "connectdr-acme-care-failover-controller"
    assert item.urn in invocation.dependencies, "the controller must read the new split, not the old one"
    assert secondary.of_type("aws:lambda/invocation:Invocation") == []


def test_changing_the_split_changes_the_reconcile_trigger(stack_files):
    from conftest import run_checked, structured

    traffic = structured(stack_files["primary"], "traffic")
    traffic["telephony"] = {"us-east-1": 70, "us-west-2": 30}
    changed = run_checked(stack_files["primary"].with_values(traffic=traffic))
    original = run_checked(stack_files["primary"])
    triggers = [only(p.of_type("aws:lambda/invocation:Invocation")).inputs["triggers"] for p in (changed, original)]
    assert triggers[0] != triggers[1]


def test_the_controller_reads_the_document_pulumi_writes(primary):
    from conftest import load_lambda

    load_lambda("failover_controller")
    from desired import parse_desired

    item = json.loads(only(primary.of_type("aws:dynamodb/tableItem:TableItem")).inputs["item"])
    desired = parse_desired(json.loads(item["document"]["S"]), now=0.0)
    assert desired.regions == ("us-east-1", "us-west-2")
    assert desired.traffic.default_arn == primary.outputs["defaultTdgArn"]
    assert sorted(arn for arn, _ in desired.traffic.splits) == sorted(primary.outputs["trafficDistributionGroupArns"])
    assert desired.override.mode == "none"


@pytest.mark.parametrize("stack", STACKS)
def test_one_controller_invocation_at_a_time_and_one_tie_breaker(request, stack):
    plan = request.getfixturevalue(stack)
    controller = plan.named("data-plane-failover-controller")
    assert controller.inputs["reservedConcurrentExecutions"] == 1
    assert controller.inputs["environment"]["variables"]["TIE_BREAKER"] == ("true" if stack == "primary" else "false")


def test_the_tie_breaker_can_be_the_replica_region(stack_files):
    from conftest import run_checked

    failover = structured(stack_files["primary"], "failover") or {}
    plan = run_checked(stack_files["primary"].with_values(failover={**failover, "tieBreaker": "replica"}))
    assert plan.named("data-plane-failover-controller").inputs["environment"]["variables"]["TIE_BREAKER"] == "false"


def test_a_tie_breaker_that_is_not_a_role_is_refused_naming_the_key(stack_files):
    from config import ConfigError
    from deploy.stack_files import validate_stack_file

    failover = structured(stack_files["primary"], "failover") or {}
    with pytest.raises(ConfigError) as refused:
        validate_stack_file(stack_files["primary"].with_values(failover={**failover, "tieBreaker": "us-east-1"}))
    assert "connectdr:failover.tieBreaker = 'us-east-1'" in str(refused.value)
    assert "must be one of: source, replica" in str(refused.value)


@pytest.mark.parametrize("stack", STACKS)
def test_the_controllers_own_errors_and_silence_are_alarmed(request, stack):
    plan = request.getfixturevalue(stack)
    controller = plan.named("data-plane-failover-controller")
    alarms = {
        a.inputs["metricName"]: a
        for a in plan.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
        if a.inputs.get("namespace") == "AWS/Lambda"
        and a.inputs["dimensions"]["FunctionName"] == controller.outputs["name"]
    }
    assert set(alarms) == {"Errors", "Invocations"}
    assert alarms["Errors"].inputs["comparisonOperator"] == "GreaterThanThreshold"
    assert alarms["Invocations"].inputs["treatMissingData"] == "breaching", "a controller that never runs alarms"
    topic = only(plan.of_type("aws:sns/topic:Topic")).outputs["arn"]
    assert all(alarm.inputs["alarmActions"] == [topic] for alarm in alarms.values())
