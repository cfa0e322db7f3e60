"""Faster detection: stream_sync's failed-calls metric, its high-resolution alarm, and the health rule that lets
it make a region unhealthy only with an AWS/Connect signal breaching within the confirmation window. Also the
new failover and traffic keys: validated with their key, value and rule, and what they deploy."""

import base64
import json
from datetime import UTC, datetime

import pytest
from alarm_rules import evaluate_expression
from conftest import load_lambda, only, run_checked, structured
from hypothesis import given
from hypothesis import strategies as st

from components.health_rule import HealthRule
from config import ConfigError
from config.names import STREAM_SYNC
from deploy.render import plain
from deploy.stack_files import validate_stack_file

STACKS = {"primary": ("us-east-1", "us-west-2"), "secondary": ("us-west-2", "us-east-1")}
METRIC_ALARM, COMPOSITE = "aws:cloudwatch/metricAlarm:MetricAlarm", "aws:cloudwatch/compositeAlarm:CompositeAlarm"

SUSTAINED = ("throttled", "quota", "fatal", "loss")
CONFIRMING = tuple(f"{name}-confirming" for name in SUSTAINED)
NAMES = st.sets(st.sampled_from([*SUSTAINED, *CONFIRMING, "fast"]))


@given(NAMES, st.booleans())
def test_the_rule_the_component_writes_says_what_the_pure_rule_says(alarming, alone):
    rule = HealthRule(SUSTAINED, "fast", () if alone else CONFIRMING, fast_alone=alone)
    assert evaluate_expression(rule.expression(), alarming) == rule.in_alarm(alarming)


@given(NAMES)
def test_one_source_alone_never_makes_a_region_unhealthy_unless_it_is_a_sustained_aws_connect_signal(alarming):
    """Two independent sources: the AWS/Connect metrics Connect publishes, and the contact records stream_sync
    counts. The fast alarm alone, or AWS/Connect datapoints short of an alarm, do not fail a region over."""
    rule = HealthRule(SUSTAINED, "fast", CONFIRMING)
    sustained = bool(alarming & set(SUSTAINED))
    both = "fast" in alarming and bool(alarming & set(CONFIRMING))
    assert rule.in_alarm(alarming) == (sustained or both)


def test_a_rule_without_the_fast_signal_is_the_aws_connect_alarms_alone():
    assert HealthRule(SUSTAINED).expression() == " OR ".join(f'ALARM("{name}")' for name in SUSTAINED)
    with pytest.raises(ValueError, match="needs confirming alarms"):
        HealthRule(SUSTAINED, "fast")


def alarms_of(plan) -> tuple[dict, dict, object, str]:
    metric_alarms = {a.name: a for a in plan.of_type(METRIC_ALARM) if a.name.startswith("data-plane-failover-health")}
    composite = only(plan.of_type(COMPOSITE))
    rule = composite.inputs["alarmRule"]
    in_rule = {name: alarm for name, alarm in metric_alarms.items() if f'ALARM("{name}")' in rule}
    fast = [alarm for alarm in in_rule.values() if alarm.inputs.get("namespace") == "connectdr"]
    return in_rule, metric_alarms, (fast[0] if fast else None), rule


def instance_of(plan) -> str:
    """The instance id the stack's AWS/Connect alarms watch (ThrottledCalls is one of them)."""
    throttled = [
        a
        for a in plan.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
        if a.inputs.get("metricName") == "ThrottledCalls"
    ]
    return throttled[0].inputs["dimensions"]["InstanceId"]


@pytest.mark.parametrize("stack", STACKS)
def test_the_failed_calls_are_counted_and_watched_per_instance_so_deployments_sharing_a_region_stay_apart(
    request, stack
):
    plan = request.getfixturevalue(stack)
    _in_rule, _all, fast, _rule = alarms_of(plan)
    functions = plan.of_type("aws:lambda/function:Function")
    sync = [f for f in functions if str(f.inputs.get("name", "")).endswith(STREAM_SYNC)]
    assert sync, "the stack declares stream_sync"
    instance = instance_of(plan)
    assert all(f.inputs["environment"]["variables"]["INSTANCE_ID"] == instance for f in sync)
    assert fast.inputs["dimensions"] == {"InstanceId": instance, "Region": STACKS[stack][0]}


@pytest.mark.parametrize("stack", STACKS)
def test_the_fast_alarm_watches_the_failed_calls_every_ten_seconds_and_needs_an_aws_connect_datapoint(request, stack):
    region, _other = STACKS[stack]
    in_rule, _all, fast, rule = alarms_of(request.getfixturevalue(stack))
    assert fast is not None
    inputs = fast.inputs
    assert (inputs["metricName"], inputs["dimensions"], inputs["statistic"]) == (
        "FailedCalls",
        {"InstanceId": instance_of(request.getfixturevalue(stack)), "Region": region},
        "Sum",
    )
    assert (inputs["period"], inputs["evaluationPeriods"], inputs["datapointsToAlarm"]) == (10, 11, 10)
    assert inputs["threshold"] == 2 and inputs["treatMissingData"] == "notBreaching"
    confirming = [a for name, a in in_rule.items() if name.endswith("-confirming")]
    sustained = [a for name, a in in_rule.items() if a is not fast and a not in confirming]
    assert len(confirming) == len(sustained) == 4
    for early in confirming:
        twin = in_rule[early.name.removesuffix("-confirming")]
        assert (early.inputs["evaluationPeriods"], early.inputs["datapointsToAlarm"]) == (3, 1)
        watched = ("threshold", "namespace", "metricName", "dimensions", "statistic", "period", "metricQueries")
        assert {key: early.inputs.get(key) for key in watched} == {key: twin.inputs.get(key) for key in watched}
        assert 60 in (early.inputs.get("period"), *(q["period"] for q in early.inputs.get("metricQueries", [])))
        assert "alarmActions" not in early.inputs, "only the composite alerts"
    assert not evaluate_expression(rule, {fast.name})
    assert not evaluate_expression(rule, {a.name for a in confirming})
    assert all(evaluate_expression(rule, {fast.name, a.name}) for a in confirming)
    assert all(evaluate_expression(rule, {a.name}) for a in sustained)


def failover_with(stack_files, **keys) -> dict:
    failover = structured(stack_files["primary"], "failover") or {}
    return {**failover, **keys}


def test_the_fast_signal_can_be_turned_off_or_allowed_to_act_alone(stack_files):
    off = run_checked(
        stack_files["primary"].with_values(failover=failover_with(stack_files, fastSignal={"enabled": False}))
    )
    in_rule, every, fast, rule = alarms_of(off)
    assert fast is None and len(in_rule) == len(every) == 4 and rule.count("ALARM(") == 4
    alone = failover_with(
        stack_files,
        fastSignal={"confirmation": "none", "periodSeconds": 30, "evaluationPeriods": 4, "datapointsToAlarm": 4},
    )
    in_rule, every, fast, rule = alarms_of(run_checked(stack_files["primary"].with_values(failover=alone)))
    assert fast.inputs["period"] == 30 and not [name for name in every if name.endswith("-confirming")]
    assert evaluate_expression(rule, {fast.name})


@pytest.mark.parametrize("stack", STACKS)
def test_the_controller_is_told_how_to_fail_back_and_which_instance_it_counts_agents_of(request, stack):
    plan = request.getfixturevalue(stack)
    variables = plan.named("data-plane-failover-controller").inputs["environment"]["variables"]
    assert (variables["FAILBACK_STEP_PERCENT"], variables["FAILBACK_INTERVAL_SECONDS"]) == ("10", "60")
    assert variables["INSTANCE_ID"] == request.getfixturevalue("primary").outputs["instanceId"]


@pytest.mark.parametrize("stack", STACKS)
def test_only_the_tie_breakers_controller_may_count_agents_on_the_instances_queues_in_both_regions(request, stack):
    plan = request.getfixturevalue(stack)
    policy = json.loads(plain(plan.named("data-plane-failover-controller-policy").inputs["policy"]))
    statements = {s["Sid"]: s for s in policy["Statement"]}
    if stack == "secondary":
        assert "ReadStaffedAgents" not in statements
        return
    instance = request.getfixturevalue("primary").outputs["instanceId"]
    assert statements["ReadStaffedAgents"] == {
        "Sid": "ReadStaffedAgents",
        "Effect": "Allow",
        "Action": ["connect:GetCurrentMetricData"],
        "Resource": [
            f"arn:aws:connect:{r}:123456789012:instance/{instance}/queue/*" for r in ("us-east-1", "us-west-2")
        ],
    }


def test_following_the_agents_puts_the_mode_and_the_queues_in_the_desired_item(stack_files, primary):
    traffic = structured(stack_files["primary"], "traffic")
    traffic.pop("schedule")
    traffic["followAgents"] = {"enabled": True, "minPercent": 30, "intervalMinutes": 3}
    plan = run_checked(stack_files["primary"].with_values(traffic=traffic))
    item = json.loads(only(plan.of_type("aws:dynamodb/tableItem:TableItem")).inputs["item"])
    document = json.loads(item["document"]["S"])
    queues = sorted(q.outputs["queueId"] for q in plan.of_type("aws:connect/queue:Queue"))
    assert document["followAgents"] == {
        "metric": "AGENTS_STAFFED",
        "minPercent": 30,
        "maxPercent": 80,
        "smoothingMinutes": 5,
        "intervalMinutes": 3,
        "queues": queues,
    }
    load_lambda("failover_controller")
    from desired import parse_desired

    following = parse_desired(document, 0.0).following
    assert following.settings.bounds() == (30, 70) and following.queues == tuple(queues)
    default_item = json.loads(only(primary.of_type("aws:dynamodb/tableItem:TableItem")).inputs["item"])
    assert "followAgents" not in json.loads(default_item["document"]["S"]), "off by default"


def problems(stack_files, **values) -> list[str]:
    with pytest.raises(ConfigError) as raised:
        validate_stack_file(stack_files["primary"].with_values(**values))
    return [str(problem) for problem in raised.value.problems]


@pytest.mark.parametrize(
    ("failover", "expected"),
    [
        (
            {"fastSignal": {"datapointsToAlarm": 9}},
            "connectdr:failover.fastSignal = {'datapointsToAlarm': 9}: (datapointsToAlarm - 1) x periodSeconds is 80 s: "
            "it must be at least 90 s, so that calls failing for one minute (their contact records counted over up "
            "to 30 s more) cannot fire the alarm",
        ),
        (
            {"fastSignal": {"periodSeconds": 15}},
            "connectdr:failover.fastSignal.periodSeconds = 15: must be one of: 10, 20, 30",
        ),
        (
            {"fastSignal": {"confirmation": "maybe"}},
            "connectdr:failover.fastSignal.confirmation = 'maybe': must be one of: alarms, none",
        ),
        (
            {"fastSignal": {"confirmWithinMinutes": 0}},
            "connectdr:failover.fastSignal.confirmWithinMinutes = 0: must be at least 1",
        ),
        (
            {"failback": {"stepPercent": 25}},
            "connectdr:failover.failback.stepPercent = 25: must be a multiple of 10 (traffic distribution moves in "
            "steps of 10%)",
        ),
        ({"failback": {"intervalMinutes": 0}}, "connectdr:failover.failback.intervalMinutes = 0: must be at least 1"),
    ],
)
def test_each_new_failover_key_is_refused_naming_key_value_and_rule(stack_files, failover, expected):
    assert problems(stack_files, failover=failover_with(stack_files, **failover)) == [expected]


@pytest.mark.parametrize(
    ("follow", "keep_schedule", "expected"),
    [
        (
            {"enabled": True},
            True,
            "connectdr:traffic.followAgents.enabled = True: cannot be combined with "
            "connectdr:traffic.schedule: both set the default group's telephony split",
        ),
        ({"minPercent": 60}, False, "connectdr:traffic.followAgents.minPercent = 60: must be at most 50"),
        (
            {"minPercent": 40, "maxPercent": 50},
            False,
            "connectdr:traffic.followAgents = {'minPercent': 40, 'maxPercent': 50}: minPercent 40 and maxPercent 50 "
            "hold the split at 50/50: minPercent must be below 50 and maxPercent above 50 for the split to follow "
            "the agents",
        ),
        (
            {"maxPercent": 75},
            False,
            "connectdr:traffic.followAgents.maxPercent = 75: must be a multiple of 10 "
            "(traffic distribution moves in steps of 10%)",
        ),
        (
            {"metric": "AGENTS_ON_CALL"},
            False,
            "connectdr:traffic.followAgents.metric = 'AGENTS_ON_CALL': must be one "
            "of: AGENTS_STAFFED, AGENTS_ONLINE, AGENTS_AVAILABLE",
        ),
    ],
)
def test_each_follow_the_agents_key_is_refused_naming_key_value_and_rule(stack_files, follow, keep_schedule, expected):
    traffic = structured(stack_files["primary"], "traffic")
    if not keep_schedule:
        traffic.pop("schedule")
    traffic["followAgents"] = follow
    assert problems(stack_files, traffic=traffic) == [expected]


def contact_record(**fields) -> dict:
    body = {
        "ContactId": "c-1",
        "Channel": "VOICE",
        "InitiationMethod": "INBOUND",
        "InitiationTimestamp": "2026-11-24T15:00:00Z",
        "ConnectedToSystemTimestamp": "2026-11-24T15:00:01Z",
        "DisconnectTimestamp": "2026-11-24T15:00:30Z",
        "DisconnectReason": "CUSTOMER_DISCONNECT",
        "LastUpdateTimestamp": "2026-11-24T15:00:31Z",
    }
    return {key: value for key, value in {**body, **fields}.items() if value is not None}


@pytest.mark.parametrize(
    ("fields", "failed"),
    [
        ({}, False),
        ({"DisconnectReason": "TELECOM_PROBLEM"}, True),
        ({"ConnectedToSystemTimestamp": None}, True),
        ({"ConnectedToSystemTimestamp": None, "DisconnectTimestamp": None}, False),
        ({"ConnectedToSystemTimestamp": None, "InitiationMethod": "OUTBOUND"}, False),
        ({"DisconnectReason": "TELECOM_PROBLEM", "Channel": "CHAT"}, False),
        ({"DisconnectReason": "CONTACT_FLOW_DISCONNECT"}, False),
    ],
)
def test_a_failed_call_is_a_voice_contact_lost_to_a_telecom_problem_or_never_connected(fields, failed):
    load_lambda("stream_sync")
    from records import failed_call

    assert failed_call(contact_record(**fields)) is failed


def test_stream_sync_counts_each_failed_call_once_in_a_high_resolution_metric(monkeypatch, capsys):
    handler = load_lambda("stream_sync")
    from writer import WRITTEN

    class Store:
        requests = 0

        def __init__(self):
            self.versions = {}

        def put_newer(self, change):
            self.requests += 1
            if self.versions.get(change.key, "") >= change.version:
                return "stale"
            self.versions[change.key] = change.version
            return WRITTEN

    class Letters:
        def send(self, letters):
            return []

    def kinesis(body, number):
        data = base64.b64encode(json.dumps(body).encode()).decode()
        arn = "arn:aws:kinesis:us-west-2:123456789012:stream/ctr"
        return {
            "eventID": f"shardId-0:{number}",
            "eventSourceARN": arn,
            "kinesis": {"sequenceNumber": str(number), "partitionKey": "k", "data": data},
        }

    batch = [
        kinesis(contact_record(ContactId="a", DisconnectReason="TELECOM_PROBLEM"), 1),
        kinesis(contact_record(ContactId="b", ConnectedToSystemTimestamp=None), 2),
        kinesis(contact_record(ContactId="c"), 3),
        kinesis(contact_record(ContactId="a", DisconnectReason="TELECOM_PROBLEM"), 4),
    ]
    store, now = Store(), datetime(2026, 11, 24, 15, 1, tzinfo=UTC).timestamp()  # 30 s after the calls ended
    _response, summary = handler.process({"Records": batch}, store, Letters(), now=now)
    assert summary.failed_calls == 2
    _response, again = handler.process({"Records": batch}, store, Letters(), now=now)
    assert again.failed_calls == 0, "a batch delivered again counts nothing"
    line = handler.metrics_line(summary, "instance-1", "us-west-2", 1_800_000_000.5)
    (directive,) = line["_aws"]["CloudWatchMetrics"]
    assert directive == {
        "Namespace": "connectdr",
        "Dimensions": [["InstanceId", "Region"]],
        "Metrics": [{"Name": "FailedCalls", "Unit": "Count", "StorageResolution": 1}],
    }
    assert (line["InstanceId"], line["Region"], line["FailedCalls"], line["_aws"]["Timestamp"]) == (
        "instance-1",
        "us-west-2",
        2,
        1_800_000_000_500,
    )
    assert line["summary"]["failed_calls"] == 2
    unnamed = handler.metrics_line(summary, "", "us-west-2", 1_800_000_000.5)
    assert unnamed["_aws"]["CloudWatchMetrics"][0]["Dimensions"] == [["Region"]] and "InstanceId" not in unnamed, (
        "code that runs before its environment names the instance counts where no alarm watches, with no empty value"
    )


def test_the_controllers_metrics_are_per_instance_too(capsys):
    load_lambda("failover_controller")
    import controller
    from decisions import Settings

    env = controller.ControllerEnv("us-east-1", "us-west-2", "health", "arn:aws:sns:us-east-1:1:t", Settings(), "i-1")
    controller._emit_metrics(env, "none", moved=False, own_share=50, errors=0, now=1_800_000_000.0)
    line = json.loads(capsys.readouterr().out)
    (directive,) = line["_aws"]["CloudWatchMetrics"]
    assert directive["Dimensions"] == [["InstanceId", "ControllerRegion"]]
    assert (line["InstanceId"], line["ControllerRegion"], line["OwnRegionTelephonyShare"]) == ("i-1", "us-east-1", 50)
