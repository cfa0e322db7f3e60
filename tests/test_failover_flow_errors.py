"""The flow-error health signal counts the fatal errors of every flow of the region's instance, in both stacks,
through a Metrics Insights alarm whose request botocore's CloudWatch model accepts."""

import re
from typing import Any

import boto3
import pytest
from alarm_rules import evaluate_expression
from botocore.stub import Stubber
from conftest import only, run_checked, structured

from components.insights_query import name, schema_query, value
from config.operations import FastSignal, HealthAlarm

METRIC_ALARM = "aws:cloudwatch/metricAlarm:MetricAlarm"
STACKS = ("primary", "secondary")
FLOW_ALARM = "data-plane-failover-health-contact-flow-fatal-errors"
QUERY = re.compile(
    r"^SELECT SUM\(\"ContactFlowFatalErrors\"\) FROM SCHEMA\(\"AWS/Connect\", (?P<keys>[^)]*)\) WHERE (?P<where>.*)$"
)
CONNECT_FLOW_DIMENSIONS = {"InstanceId", "MetricGroup", "ContactFlowName"}
"""The dimensions Connect publishes ContactFlowFatalErrors with (admin guide, "Monitor your instance using
CloudWatch"): SCHEMA matches only metrics with exactly this set."""
INSIGHTS_WINDOW_SECONDS = 3 * 3600
"""Metrics Insights alarms evaluate only the latest 3 hours of data."""


def flow_alarms(plan) -> dict[str, Any]:
    return {a.name: a for a in plan.of_type(METRIC_ALARM) if a.name.startswith(FLOW_ALARM)}


def the_query(alarm) -> dict[str, Any]:
    return only_item(alarm.inputs["metricQueries"])


def only_item(items: list) -> Any:
    assert len(items) == 1, items
    return items[0]


@pytest.mark.parametrize("stack", STACKS)
def test_the_flow_alarm_sums_every_flow_of_its_own_instance_sustained_and_confirming(request, stack, primary):
    plan = request.getfixturevalue(stack)
    instance_id = primary.outputs["instanceId"]
    alarms = flow_alarms(plan)
    assert sorted(alarms) == [FLOW_ALARM, f"{FLOW_ALARM}-confirming"]
    for alarm in alarms.values():
        for single_metric_key in ("namespace", "metricName", "dimensions", "statistic", "period"):
            assert single_metric_key not in alarm.inputs, f"{alarm.name} mixes a metric with a query"
        query = the_query(alarm)
        assert (query["id"], query["period"], query["returnData"]) == ("contact_flow_fatal_errors", 60, True)
        assert query["expression"] == (
            'SELECT SUM("ContactFlowFatalErrors") FROM SCHEMA("AWS/Connect", "ContactFlowName", "InstanceId", '
            f'"MetricGroup") WHERE "InstanceId" = \'{instance_id}\' AND "MetricGroup" = \'ContactFlow\''
        )
        parts = QUERY.match(query["expression"])
        assert parts is not None
        assert {key.strip('"') for key in parts["keys"].split(", ")} == CONNECT_FLOW_DIMENSIONS
        assert "ContactFlowName" not in parts["where"] and "GROUP BY" not in parts["where"]
    sustained, confirming = alarms[FLOW_ALARM].inputs, alarms[f"{FLOW_ALARM}-confirming"].inputs
    assert (sustained["threshold"], sustained["evaluationPeriods"], sustained["datapointsToAlarm"]) == (3, 2, 2)
    assert (confirming["threshold"], confirming["evaluationPeriods"], confirming["datapointsToAlarm"]) == (3, 3, 1)
    assert {a["treatMissingData"] for a in (sustained, confirming)} == {"notBreaching"}
    assert {a["comparisonOperator"] for a in (sustained, confirming)} == {"GreaterThanThreshold"}


@pytest.mark.parametrize("stack", STACKS)
def test_the_region_health_rule_names_the_flow_alarms(request, stack):
    plan = request.getfixturevalue(stack)
    rule = only(plan.of_type("aws:cloudwatch/compositeAlarm:CompositeAlarm")).inputs["alarmRule"]
    fast = only([a for a in plan.of_type(METRIC_ALARM) if a.inputs.get("namespace") == "connectdr"])
    assert f'ALARM("{FLOW_ALARM}")' in rule and f'ALARM("{FLOW_ALARM}-confirming")' in rule
    assert evaluate_expression(rule, {FLOW_ALARM})
    assert not evaluate_expression(rule, {f"{FLOW_ALARM}-confirming"})
    assert evaluate_expression(rule, {f"{FLOW_ALARM}-confirming", fast.name})


@pytest.mark.parametrize("stack", STACKS)
def test_no_alarm_names_a_flow(request, stack):
    for alarm in request.getfixturevalue(stack).of_type(METRIC_ALARM):
        assert "ContactFlowName" not in (alarm.inputs.get("dimensions") or {}), alarm.name
        assert "connectdr-inbound" not in repr(alarm.inputs), alarm.name


def test_the_flow_alarm_does_not_depend_on_what_the_flows_are_called(stack_files, primary):
    center = structured(stack_files["primary"], "contactCenter")
    for flow in center["flows"]:
        if flow["name"] == "connectdr-inbound":
            flow["name"] = "care-entry"
    for number in center["phoneNumbers"]:
        number["flow"] = "care-entry"
    renamed = run_checked(stack_files["primary"].with_values(contactCenter=center))
    for alarm_name, alarm in flow_alarms(renamed).items():
        assert alarm.inputs["metricQueries"] == flow_alarms(primary)[alarm_name].inputs["metricQueries"]
        assert "care-entry" not in repr(alarm.inputs)


def put_metric_alarm_params(alarm) -> dict[str, Any]:
    """The PutMetricAlarm request the provider makes from the declared inputs (terraform-provider-aws's
    resource: `metric_query` blocks become Metrics with Id, Expression, Label, ReturnData and Period)."""
    inputs = alarm.inputs
    params: dict[str, Any] = {
        "AlarmName": alarm.name,
        "AlarmDescription": inputs["alarmDescription"],
        "EvaluationPeriods": int(inputs["evaluationPeriods"]),
        "DatapointsToAlarm": int(inputs["datapointsToAlarm"]),
        "Threshold": float(inputs["threshold"]),
        "ComparisonOperator": inputs["comparisonOperator"],
        "TreatMissingData": inputs["treatMissingData"],
    }
    if "metricQueries" in inputs:
        params["Metrics"] = [
            {
                "Id": query["id"],
                "Expression": query["expression"],
                "Label": query["label"],
                "ReturnData": query["returnData"],
                "Period": int(query["period"]),
            }
            for query in inputs["metricQueries"]
        ]
    else:
        params |= {
            "Namespace": inputs["namespace"],
            "MetricName": inputs["metricName"],
            "Dimensions": [{"Name": key, "Value": label} for key, label in inputs["dimensions"].items()],
            "Statistic": inputs["statistic"],
            "Period": int(inputs["period"]),
        }
    return params


@pytest.mark.parametrize("stack", STACKS)
def test_every_health_alarm_is_a_put_metric_alarm_request_the_cloudwatch_model_accepts(request, stack, monkeypatch):
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    plan = request.getfixturevalue(stack)
    health = [a for a in plan.of_type(METRIC_ALARM) if a.name.startswith("data-plane-failover-health")]
    assert len(health) == 9
    cloudwatch = boto3.client("cloudwatch", region_name="us-east-1")
    with Stubber(cloudwatch) as stub:
        for alarm in health:
            params = put_metric_alarm_params(alarm)
            stub.add_response("put_metric_alarm", {}, params)
            cloudwatch.put_metric_alarm(**params)
            if "Metrics" in params:
                query = only_item([q for q in params["Metrics"] if q["ReturnData"]])
                assert query["Period"] % 60 == 0
                assert query["Period"] * params["EvaluationPeriods"] <= INSIGHTS_WINDOW_SECONDS
        stub.assert_no_pending_responses()


def upper_bound(model: type, field_name: str) -> int:
    return next(rule.le for rule in model.model_fields[field_name].metadata if hasattr(rule, "le"))


def test_no_accepted_config_takes_the_flow_alarm_beyond_the_three_hours_metrics_insights_evaluates():
    longest = max(upper_bound(HealthAlarm, "evaluation_periods"), upper_bound(FastSignal, "confirm_within_minutes"))
    assert longest * 60 <= INSIGHTS_WINDOW_SECONDS


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        (name("AWS/Connect"), '"AWS/Connect"'),
        (name("Type of Connection"), '"Type of Connection"'),
        (name('Bytes"Input"'), '"Bytes\\"Input\\""'),
        (name("it's"), '"it\\\'s"'),
        (value("c3.4xlarge"), "'c3.4xlarge'"),
        (value("O'Brien line"), "'O\\'Brien line'"),
    ],
)
def test_names_and_values_are_quoted_and_escaped_as_metrics_insights_requires(written, expected):
    assert written == expected


@pytest.mark.parametrize(
    ("call", "message"),
    [
        (lambda: value("a\\b"), "backslash"),
        (lambda: name("line\nbreak"), "control character"),
        (lambda: schema_query("p99", "M", "N", ("A",), {}), "statistic p99 has no Metrics Insights function"),
        (lambda: schema_query("Sum", "M", "N", ("A",), {"B": "x"}), "WHERE names B"),
        (lambda: schema_query("Sum", "M", "N", ("A",), {"A": "x" * 2048}), "at most 1024"),
    ],
)
def test_a_query_that_cannot_be_written_faithfully_is_refused(call, message):
    with pytest.raises(ValueError, match=message):
        call()


def test_a_query_longer_than_the_engine_takes_is_refused():
    """botocore allows 2048 characters, but the engine's provider (terraform-provider-aws, aws_cloudwatch_metric_alarm
    metric_query.expression: StringLenBetween(1, 1024)) refuses more than 1024 at `up`."""
    padding = "x" * (1024 - len(schema_query("Sum", "M", "N", ("A",), {"A": ""})))
    assert len(schema_query("Sum", "M", "N", ("A",), {"A": padding})) == 1024
    with pytest.raises(ValueError, match="the query is 1025 characters"):
        schema_query("Sum", "M", "N", ("A",), {"A": padding + "x"})


def test_a_query_without_conditions_has_no_where():
    assert schema_query("Average", "Latency", "App", ("Service",), {}) == (
        'SELECT AVG("Latency") FROM SCHEMA("App", "Service")'
    )
