"""The Region switch plan's step function: its pure core directly, its adapters against moto (the config table)
and botocore's Stubber (Lambda, Connect, CloudWatch, DynamoDB's DescribeTable), as the controller's are tested."""

import io
import json
from datetime import UTC, datetime

import boto3
import pytest
from botocore.response import StreamingBody
from botocore.stub import ANY, Stubber
from conftest import VirtualClock, create_config_table, load_lambda
from moto import mock_aws

from components import region_switch as component
from connect.desired_split import telephony_in_force
from connect.desired_split import versioned as program_versioned

handler = load_lambda("region_switch")
load_lambda("failover_controller")
import desired as controller_desired  # noqa: E402  (each function's modules, on the path once loaded)
import override_item as desired  # noqa: E402
import plan_steps as step_module  # noqa: E402
import region_checks as checks  # noqa: E402

EAST, WEST = "us-east-1", "us-west-2"
TDG = "arn:aws:connect:us-east-1:123456789012:traffic-distribution-group/99999999-8888-7777-6666-555555555555"
GROUP = "arn:aws:connect:us-east-1:123456789012:traffic-distribution-group/11111111-8888-7777-6666-555555555555"
CONTROLLER = "connectdr-acme-care-failover-controller"
ALARM = "connectdr-acme-care-region-health"
DOCUMENT = program_versioned(
    {
        "regions": [EAST, WEST],
        "default": {
            "arn": TDG,
            "telephony": {EAST: 50, WEST: 50},
            "agents": {EAST: 50, WEST: 50},
            "signIn": {EAST: True, WEST: True},
        },
        "groups": [{"name": "vip", "arn": GROUP, "telephony": {EAST: 70, WEST: 30}}],
        "schedule": [
            {
                "name": "night",
                "days": ["SAT"],
                "startHour": 0,
                "endHour": 6,
                "telephony": {EAST: 20, WEST: 80},
                "agents": {EAST: 20, WEST: 80},
            }
        ],
        "override": {"mode": "none", "region": None},
    }
)
TARGETS = checks.CheckTargets(
    instance_id="11111111-2222-3333-4444-555555555555",
    tables=("t-contacts", "t-config"),
    other_region=EAST,
    consumer="connectdr-acme-care-stream-sync",
    iterator_age_limit_ms=60_000,
)
SETTINGS = step_module.Settings(controller=CONTROLLER, health_alarm=ALARM, checks=TARGETS)
SATURDAY_NIGHT = datetime(2026, 11, 7, 3, tzinfo=UTC)
MONDAY_NOON = datetime(2026, 11, 9, 12, tzinfo=UTC)


# -- the pure core -----------------------------------------------------------------------------------------------


def test_the_steps_version_the_item_exactly_as_the_program_does():
    for document in (DOCUMENT, {**DOCUMENT, "override": {"mode": "force", "region": WEST, "setBy": "region-switch"}}):
        assert desired.versioned(document) == program_versioned(document)


def test_forcing_marks_the_override_as_the_plans_and_keeps_everything_else():
    forced = desired.forced_toward(DOCUMENT, WEST, "us-west-2/0123456789abcdef")
    assert forced["override"] == {
        "mode": "force",
        "region": WEST,
        "setBy": "region-switch",
        "execution": "us-west-2/0123456789abcdef",
    }
    assert {k: v for k, v in forced.items() if k not in ("override", "version")} == {
        k: v for k, v in DOCUMENT.items() if k not in ("override", "version")
    }
    assert forced["version"] == program_versioned(forced)["version"] != DOCUMENT["version"]
    assert desired.forced_toward(forced, WEST, "another") is None  # already so: nothing to write


def test_the_controller_reads_the_plans_override_as_a_force_toward_the_region():
    forced = desired.forced_toward(DOCUMENT, WEST, "x")
    parsed = controller_desired.parse_desired(forced, MONDAY_NOON.timestamp())
    assert (parsed.override.mode, parsed.override.region) == ("force", WEST)
    ended = desired.override_ended(forced, EAST)
    assert controller_desired.parse_desired(ended, MONDAY_NOON.timestamp()).override.mode == "none"


def test_the_plan_replaces_its_own_force_but_never_an_operators_override():
    ours = desired.forced_toward(DOCUMENT, EAST, "first")
    assert desired.forced_toward(ours, WEST, "second")["override"]["region"] == WEST
    for foreign in ({"mode": "freeze", "region": None}, {"mode": "force", "region": EAST}):
        document = program_versioned({**DOCUMENT, "override": foreign})
        with pytest.raises(desired.Refused, match="set outside Region switch"):
            desired.forced_toward(document, WEST, "x")
        with pytest.raises(desired.Refused, match="end it where it was set"):
            desired.override_ended(document, EAST)
    operator_forced_here = program_versioned({**DOCUMENT, "override": {"mode": "force", "region": WEST}})
    assert desired.forced_toward(operator_forced_here, WEST, "x") is None
    with pytest.raises(desired.Refused, match="eu-west-2 is not one of"):
        desired.forced_toward(DOCUMENT, "eu-west-2", "x")


def test_ending_the_override_restores_the_document_pulumi_wrote():
    assert desired.override_ended(DOCUMENT, EAST) is None
    ended = desired.override_ended(desired.forced_toward(DOCUMENT, WEST, "x"), EAST)
    assert ended == DOCUMENT


def test_the_expected_splits_follow_the_schedule_like_the_program():
    for moment in (SATURDAY_NIGHT, MONDAY_NOON):
        splits = desired.desired_at(DOCUMENT, moment)
        assert splits[TDG] == telephony_in_force(DOCUMENT, moment)
        assert splits[GROUP] == {EAST: 70, WEST: 30}
    assert desired.all_to(DOCUMENT, WEST) == {TDG: {EAST: 0, WEST: 100}, GROUP: {EAST: 0, WEST: 100}}


def test_pending_names_each_group_not_yet_there_and_what_it_shows():
    want = desired.all_to(DOCUMENT, WEST)
    actual = {TDG: {EAST: 0, WEST: 100}, GROUP: {EAST: 40, WEST: 60}}
    assert desired.pending(want, actual, [EAST, WEST]) == [
        "11111111-8888-7777-6666-555555555555: us-east-1 40% (want 0%), us-west-2 60% (want 100%)"
    ]
    assert desired.pending(want, {TDG: {WEST: 100}, GROUP: {EAST: 0, WEST: 100}}, [EAST, WEST]) == []


def test_the_plan_and_the_function_agree_on_the_step_names():
    declared = {
        component.FORCE_HERE,
        component.AWAIT_HERE,
        component.CHECK_AFTER_DEACTIVATION,
        component.END_OVERRIDE,
        component.AWAIT_DESIRED,
        component.CHECK_AFTER_ACTIVATION,
    }
    assert declared == set(step_module.STEP_NAMES)
    assert component.FUNCTION_TIMEOUT_SECONDS < component.RETRY_INTERVAL_MINUTES * 60
    assert step_module.WAIT_BUDGET_SECONDS + step_module.POLL_SECONDS < component.FUNCTION_TIMEOUT_SECONDS


# -- the adapters --------------------------------------------------------------------------------------------------


SESSION = boto3.session.Session(aws_access_key_id="t", aws_secret_access_key="t", region_name=WEST)
"""One session for every stubbed client: it loads each service model once."""


def stubbed(service: str):
    client = SESSION.client(service)
    stub = Stubber(client)
    stub.activate()
    return client, stub


def invoked(payload: dict, error: bool = False) -> dict:
    body = json.dumps(payload).encode()
    response = {"StatusCode": 200, "Payload": StreamingBody(io.BytesIO(body), len(body))}
    return {**response, "FunctionError": "Unhandled"} if error else response


def health(state: str) -> dict:
    return {"CompositeAlarms": [{"AlarmName": ALARM, "StateValue": state}], "MetricAlarms": []}


def split(east: int, arn: str = TDG) -> dict:
    distributions = [{"Region": EAST, "Percentage": east}, {"Region": WEST, "Percentage": 100 - east}]
    return {"Id": arn.rsplit("/", 1)[-1], "Arn": arn, "TelephonyConfig": {"Distributions": distributions}}


@pytest.fixture
def world(aws_env):
    with mock_aws():
        table = create_config_table(WEST)
        table.put_item(
            Item={"pk": "traffic", "sk": "desired", "document": json.dumps(DOCUMENT), "version": DOCUMENT["version"]}
        )
        clients = {name: stubbed(name) for name in ("lambda", "connect", "cloudwatch", "dynamodb")}
        clock = VirtualClock()
        ports = step_module.Ports(
            region=WEST,
            table=table,
            lambda_client=clients["lambda"][0],
            connect=clients["connect"][0],
            cloudwatch=clients["cloudwatch"][0],
            dynamodb=clients["dynamodb"][0],
            clock=clock,
            sleep=clock.sleep,
            now=lambda: MONDAY_NOON,
        )
        yield ports, {name: stub for name, (_, stub) in clients.items()}, table
        for _, stub in clients.values():
            stub.assert_no_pending_responses()


def put_desired(table, document: dict) -> None:
    table.put_item(
        Item={"pk": "traffic", "sk": "desired", "document": json.dumps(document), "version": document["version"]}
    )


def stored(table) -> dict:
    item = table.get_item(Key={"pk": "traffic", "sk": "desired"}, ConsistentRead=True)["Item"]
    document = json.loads(item["document"])
    assert item["version"] == document["version"]  # Pulumi's layout: the version beside the document
    return document


def test_forcing_here_writes_the_override_then_asks_this_regions_controller(world):
    ports, stubs, table = world
    stubs["cloudwatch"].add_response(
        "describe_alarms", health("OK"), {"AlarmNames": [ALARM], "AlarmTypes": ["CompositeAlarm"]}
    )
    stubs["lambda"].add_response(
        "invoke",
        invoked({"action": "force", "reason": "override: all traffic to us-west-2"}),
        {"FunctionName": CONTROLLER, "InvocationType": "RequestResponse", "Payload": ANY},
    )
    event = {"StepName": "force-calls-here", "ExecutionId": "us-west-2/0123456789abcdef", "PlanArn": "p"}
    result = step_module.run_step(ports, SETTINGS, event)
    assert result["controller"] == "override: all traffic to us-west-2"
    assert stored(table)["override"]["region"] == WEST and stored(table)["override"]["setBy"] == "region-switch"


def test_a_retried_force_step_writes_nothing_new_and_asks_again(world):
    ports, stubs, table = world
    for _ in range(2):
        stubs["cloudwatch"].add_response("describe_alarms", health("OK"))
        stubs["lambda"].add_response("invoke", invoked({"reason": "already in effect"}))
    step_module.force_here(ports, SETTINGS, "first")
    written = stored(table)
    step_module.force_here(ports, SETTINGS, "second")
    assert stored(table) == written  # same execution marker, same version: nothing rewritten


@pytest.mark.parametrize("state", ["ALARM", "INSUFFICIENT_DATA"])
def test_no_force_toward_a_region_whose_health_alarm_is_not_ok(world, state):
    ports, stubs, table = world
    stubs["cloudwatch"].add_response("describe_alarms", health(state))
    with pytest.raises(desired.Refused, match=f"us-west-2's health alarm is {state}"):
        step_module.force_here(ports, SETTINGS, "x")
    assert stored(table) == DOCUMENT


def test_a_concurrent_writer_is_not_overwritten(world):
    """Someone (a `pulumi up`, `split --direct`) rewrites the item between the step's read and its write: the
    conditional write fails, the step reads again and keeps their change."""
    ports, stubs, table = world
    stubs["cloudwatch"].add_response("describe_alarms", health("OK"))
    stubs["lambda"].add_response("invoke", invoked({"reason": "ok"}))
    theirs = program_versioned({**DOCUMENT, "default": {**DOCUMENT["default"], "telephony": {EAST: 30, WEST: 70}}})
    real_put = table.put_item
    raced = []

    def put_after_a_rival(**kwargs):
        if not raced:
            raced.append(True)
            real_put(
                Item={"pk": "traffic", "sk": "desired", "document": json.dumps(theirs), "version": theirs["version"]}
            )
        return real_put(**kwargs)

    ports.table = type("Racing", (), {"get_item": table.get_item, "put_item": staticmethod(put_after_a_rival)})()
    step_module.force_here(ports, SETTINGS, "x")
    now = stored(table)
    assert now["default"]["telephony"] == {EAST: 30, WEST: 70} and now["override"]["region"] == WEST


def test_a_busy_controller_does_not_fail_the_step_but_a_failing_one_does(world):
    ports, stubs, _ = world
    stubs["cloudwatch"].add_response("describe_alarms", health("OK"))
    stubs["lambda"].add_client_error("invoke", "TooManyRequestsException", http_status_code=429)
    assert "busy" in step_module.force_here(ports, SETTINGS, "x")["controller"]
    stubs["cloudwatch"].add_response("describe_alarms", health("OK"))
    stubs["lambda"].add_response("invoke", invoked({"errorMessage": "failed: group: AccessDenied"}, error=True))
    with pytest.raises(step_module.NotYet, match="failed: group: AccessDenied"):
        step_module.force_here(ports, SETTINGS, "x")


def test_waiting_polls_every_group_until_all_calls_are_here(world):
    ports, stubs, table = world
    table.put_item(
        Item={
            "pk": "traffic",
            "sk": "desired",
            "document": json.dumps(f := desired.forced_toward(DOCUMENT, WEST, "x")),
            "version": f["version"],
        }
    )
    for east, group_east in ((50, 70), (0, 70), (0, 0)):
        stubs["connect"].add_response("get_traffic_distribution", split(east), {"Id": TDG})
        stubs["connect"].add_response("get_traffic_distribution", split(group_east, GROUP), {"Id": GROUP})
    result = step_module.run_step(ports, SETTINGS, {"StepName": "await-calls-here"})
    assert result["shown"] == desired.all_to(DOCUMENT, WEST)
    assert ports.clock() == 10  # two polls of 5 s


def test_waiting_past_its_budget_fails_the_invocation_with_the_progress(world):
    ports, stubs, table = world
    table.put_item(
        Item={
            "pk": "traffic",
            "sk": "desired",
            "document": json.dumps(f := desired.forced_toward(DOCUMENT, WEST, "x")),
            "version": f["version"],
        }
    )
    polls = int(SETTINGS.wait_budget_seconds // SETTINGS.poll_seconds) + 1  # at 0 s, 5 s, ... 90 s
    for _ in range(polls):
        stubs["connect"].add_response("get_traffic_distribution", split(0))
        stubs["connect"].add_response("get_traffic_distribution", split(40, GROUP))
    with pytest.raises(step_module.NotYet) as failed:
        step_module.await_here(ports, SETTINGS)
    assert str(failed.value) == (
        "not yet: 11111111-8888-7777-6666-555555555555: us-east-1 40% (want 0%), us-west-2 60% (want 100%)"
    )
    assert ports.clock() <= SETTINGS.wait_budget_seconds


def test_waiting_for_calls_here_stops_when_the_override_is_gone(world):
    ports, _, _ = world
    with pytest.raises(desired.Refused, match="no longer forces us-west-2"):
        step_module.await_here(ports, SETTINGS)


def test_ending_the_override_and_waiting_for_the_desired_split(world):
    """us-west-2 was deactivated (every call forced to us-east-1); its activation runs here, in us-west-2."""
    ports, stubs, table = world
    forced = desired.forced_toward(DOCUMENT, EAST, "x")
    table.put_item(
        Item={"pk": "traffic", "sk": "desired", "document": json.dumps(forced), "version": forced["version"]}
    )
    stubs["lambda"].add_response("invoke", invoked({"reason": "override ended, both regions healthy: desired split"}))
    step_module.run_step(ports, SETTINGS, {"StepName": "end-override"})
    assert stored(table) == DOCUMENT
    for east, group_east in ((100, 100), (50, 70)):
        stubs["connect"].add_response("get_traffic_distribution", split(east), {"Id": TDG})
        stubs["connect"].add_response("get_traffic_distribution", split(group_east, GROUP), {"Id": GROUP})
    assert step_module.run_step(ports, SETTINGS, {"StepName": "await-desired-split"})["shown"][TDG] == {
        EAST: 50,
        WEST: 50,
    }


def test_the_desired_split_awaited_is_the_schedule_window_in_force(world):
    ports, stubs, _ = world
    ports.now = lambda: SATURDAY_NIGHT
    stubs["connect"].add_response("get_traffic_distribution", split(20))
    stubs["connect"].add_response("get_traffic_distribution", split(70, GROUP))
    assert step_module.await_desired(ports, SETTINGS)["shown"][TDG] == {EAST: 20, WEST: 80}


def describe_table(name: str, status: str = "ACTIVE", replica: str = "ACTIVE") -> dict:
    return {
        "Table": {
            "TableName": name,
            "TableStatus": status,
            "Replicas": [{"RegionName": EAST, "ReplicaStatus": replica}],
        }
    }


def test_checks_pass_on_a_sound_region(world):
    ports, stubs, _ = world
    stubs["connect"].add_response(
        "describe_instance",
        {
            "Instance": {},
            "ReplicationConfiguration": {
                "ReplicationStatusSummaryList": [{"Region": WEST, "ReplicationStatus": "INSTANCE_REPLICATION_COMPLETE"}]
            },
        },
        {"InstanceId": TARGETS.instance_id},
    )
    for name in TARGETS.tables:
        stubs["dynamodb"].add_response("describe_table", describe_table(name), {"TableName": name})
    stubs["cloudwatch"].add_response(
        "get_metric_statistics",
        {"Datapoints": [{"Maximum": 1200.0}]},
        {
            **{k: ANY for k in ("StartTime", "EndTime")},
            "Namespace": "AWS/Lambda",
            "MetricName": "IteratorAge",
            "Dimensions": [{"Name": "FunctionName", "Value": TARGETS.consumer}],
            "Period": 60,
            "Statistics": ["Maximum"],
        },
    )
    result = step_module.run_step(ports, SETTINGS, {"StepName": "check-after-deactivation"})
    assert result["checks"][-1] == "stream consumer: iterator age up to 1.2 s"


def test_checks_fail_the_step_naming_each_problem(world):
    ports, stubs, _ = world
    stubs["connect"].add_client_error("describe_instance", "AccessDeniedException", "not allowed")
    stubs["dynamodb"].add_response("describe_table", describe_table("t-contacts", replica="UPDATING"))
    stubs["dynamodb"].add_response("describe_table", describe_table("t-config"))
    stubs["cloudwatch"].add_response("get_metric_statistics", {"Datapoints": [{"Maximum": 90_000.0}]})
    with pytest.raises(step_module.NotYet) as failed:
        step_module.check_here(ports, SETTINGS, "check-after-activation")
    assert str(failed.value) == (
        "checks failed: instance replication: DescribeInstance: AccessDeniedException: not allowed; "
        "table t-contacts: table ACTIVE, replica in us-east-1 UPDATING; stream consumer: iterator age up to 90.0 s"
    )


def test_an_unknown_step_is_refused_before_anything_is_called(world):
    ports, _, table = world
    with pytest.raises(desired.Refused, match="unknown step 'approve-deactivation'"):
        step_module.run_step(ports, SETTINGS, {"StepName": "approve-deactivation"})
    assert stored(table) == DOCUMENT


def test_the_handler_reads_its_settings_from_the_environment(monkeypatch):
    for key, value in {
        "CONTROLLER": CONTROLLER,
        "HEALTH_ALARM": ALARM,
        "INSTANCE_ID": TARGETS.instance_id,
        "GLOBAL_TABLES": "t-contacts,t-config",
        "OTHER_REGION": EAST,
        "CONSUMER": TARGETS.consumer,
        "ITERATOR_AGE_LIMIT_MS": "60000",
    }.items():
        monkeypatch.setenv(key, value)
    assert handler.settings() == SETTINGS


def test_a_writer_that_keeps_racing_fails_the_invocation_for_a_retry_and_writes_nothing(world):
    ports, stubs, table = world
    stubs["cloudwatch"].add_response("describe_alarms", health("OK"))
    real_put, rivals = table.put_item, []

    def always_changed(**kwargs):
        rivals.append(len(rivals))
        put_desired(table, program_versioned({**DOCUMENT, "note": f"rival write {len(rivals)}"}))
        return real_put(**kwargs)

    ports.table = type("Racing", (), {"get_item": table.get_item, "put_item": staticmethod(always_changed)})()
    with pytest.raises(step_module.NotYet, match="the desired item changed 3 times while this step wrote it"):
        step_module.force_here(ports, SETTINGS, "x")
    assert stored(table)["override"] == {"mode": "none", "region": None} and len(rivals) == 3


def test_no_desired_item_is_a_refusal_that_says_which_item(world):
    ports, stubs, table = world
    table.delete_item(Key={"pk": "traffic", "sk": "desired"})
    stubs["cloudwatch"].add_response("describe_alarms", health("OK"))
    with pytest.raises(desired.Refused, match=r"no desired split item \(pk=traffic, sk=desired\)"):
        step_module.force_here(ports, SETTINGS, "x")


def test_activating_the_region_the_plans_override_sends_every_call_to_leaves_the_other_deactivated(world):
    """us-east-1 was deactivated (the plan forces us-west-2); an activation of us-west-2, which already has every
    call, must not end that override and send calls back to us-east-1."""
    ports, _, table = world
    forced_here = desired.forced_toward(DOCUMENT, WEST, "us-west-2/0123456789abcdef")
    put_desired(table, forced_here)
    with pytest.raises(desired.Refused) as refused:
        step_module.run_step(ports, SETTINGS, {"StepName": "end-override"})
    assert str(refused.value) == (
        "the plan's override sends every call to us-west-2 (us-east-1 is deactivated, execution "
        "us-west-2/0123456789abcdef): activating us-west-2 would return calls to us-east-1; activate us-east-1 "
        "to return it to service"
    )
    assert stored(table) == forced_here  # nothing written, the controller not asked
    assert desired.override_ended(desired.forced_toward(DOCUMENT, EAST, "x"), WEST) == DOCUMENT


def test_a_region_whose_instance_lists_no_replication_status_does_not_fail_the_checks():
    """Connect documents the replication summaries on the source instance; whether the replica's DescribeInstance
    lists them is not documented. Their absence is no evidence of a broken replica (the await step has just seen
    every group's split move), so the check passes saying so; a listed status that is not complete still fails."""
    connect, stub = stubbed("connect")
    stub.add_response("describe_instance", {"Instance": {"Id": TARGETS.instance_id}})
    stub.add_response(
        "describe_instance",
        {
            "Instance": {},
            "ReplicationConfiguration": {
                "ReplicationStatusSummaryList": [{"Region": EAST, "ReplicationStatus": "INSTANCE_REPLICATION_FAILED"}]
            },
        },
    )
    assert checks.replication(connect, TARGETS) == (
        "instance replication",
        True,
        "no status listed by this region's DescribeInstance (no evidence either way)",
    )
    assert checks.replication(connect, TARGETS) == (
        "instance replication",
        False,
        "us-east-1 INSTANCE_REPLICATION_FAILED",
    )


def test_slow_polls_end_the_invocation_before_the_function_times_out(world):
    """GetTrafficDistribution answering slowly (retries, a throttled Connect): the next poll is started only if it
    fits the budget as long as the slowest one so far, so the execution's events show the progress, not a Lambda
    timeout."""
    ports, stubs, table = world
    put_desired(table, desired.forced_toward(DOCUMENT, WEST, "x"))
    slow = 40.0
    real_get = ports.connect.get_traffic_distribution

    def slowly(**kwargs):
        ports.clock.sleep(slow / 2)  # two groups: each poll takes 40 s
        return real_get(**kwargs)

    ports.connect.get_traffic_distribution = slowly
    for _ in range(2):
        stubs["connect"].add_response("get_traffic_distribution", split(40))
        stubs["connect"].add_response("get_traffic_distribution", split(40, GROUP))
    with pytest.raises(step_module.NotYet, match="not yet: "):
        step_module.await_here(ports, SETTINGS)
    assert ports.clock() <= SETTINGS.wait_budget_seconds  # 0-40 s, sleep 5 s, 45-85 s: a third poll would end at 130 s
