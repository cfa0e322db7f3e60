"""`drill --via-plan` and `status` against botocore's Stubber for Region switch (the model checks every request
and response), Connect and CloudWatch, and moto for the config table."""

import copy
import io
import json
from datetime import UTC, datetime

import boto3
import pytest
from botocore.exceptions import EndpointConnectionError
from botocore.stub import ANY, Stubber
from conftest import VirtualClock, create_config_table
from driver_fakes import DESIRED, OUTPUTS, TDG, FakeBackend, FakeCloudWatch, FakeConnect, table_with_desired
from moto import mock_aws

from deploy import cli
from deploy.cloud import CloudClients
from deploy.errors import ExitCode
from deploy.plan_drill import PlanDrillTargets, run_drill_via_plan
from deploy.region_switch import activating_region, plan_status
from deploy.traffic_ops import OperationError, RegionPorts

EAST, WEST = "us-east-1", "us-west-2"
PLAN = "arn:aws:arc-region-switch::123456789012:plan/connectdr-acme-care:abc123"
AWAY, BACK = "us-west-2/0123456789abcdef", "us-east-1/fedcba9876543210"
TARGETS = PlanDrillTargets(PLAN, "connectdr-acme-care-region-health", TDG)
SESSION = boto3.session.Session(aws_access_key_id="t", aws_secret_access_key="t")


def stubbed(service: str, region: str):
    client = SESSION.client(service, region_name=region)
    stub = Stubber(client)
    stub.activate()
    return client, stub


def started(execution_id: str) -> dict:
    return {"executionId": execution_id, "plan": PLAN, "planVersion": "1"}


def execution(execution_id: str, state: str, pending_step: str | None = None) -> dict:
    steps = [{"name": pending_step, "status": "pendingApproval"}] if pending_step else []
    return {
        "planArn": PLAN,
        "executionId": execution_id,
        "startTime": datetime(2026, 11, 9, tzinfo=UTC),
        "mode": "graceful",
        "executionState": state,
        "executionAction": "deactivate" if execution_id == AWAY else "activate",
        "executionRegion": EAST,
        "stepStates": steps,
    }


def events(*items: tuple[str, str, str]) -> dict:
    return {
        "items": [
            {"eventId": event_id, "type": kind, "stepName": step, "timestamp": datetime(2026, 11, 9, tzinfo=UTC)}
            for event_id, kind, step in items
        ]
    }


def split(east: int) -> dict:
    return {
        "TelephonyConfig": {
            "Distributions": [{"Region": EAST, "Percentage": east}, {"Region": WEST, "Percentage": 100 - east}]
        }
    }


def start_params(action: str) -> dict:
    return {
        "planArn": PLAN,
        "targetRegion": EAST,
        "action": action,
        "mode": "graceful",
        "comment": f"connectdr drill: {action} {EAST}",
        "latestVersion": "true",
        "clientToken": ANY,
    }


@pytest.fixture
def world(aws_env):
    with mock_aws():
        table = create_config_table(WEST)
        table.put_item(
            Item={"pk": "traffic", "sk": "desired", "document": json.dumps(DESIRED), "version": DESIRED["version"]}
        )
        (connect, connect_stub), (watch, watch_stub) = stubbed("connect", WEST), stubbed("cloudwatch", WEST)
        switches = {region: stubbed("arc-region-switch", region) for region in (EAST, WEST)}
        stubs = {"connect": connect_stub, "cloudwatch": watch_stub, **{r: s for r, (_, s) in switches.items()}}
        watch_stub.add_response("describe_alarms", {"CompositeAlarms": [{"AlarmName": "h", "StateValue": "OK"}]})
        clock, said = VirtualClock(), []
        drill = {
            "away_from": EAST,
            "to": RegionPorts(WEST, table, None, connect, watch),
            "switch": {region: client for region, (client, _) in switches.items()},
            "targets": TARGETS,
            "timeout_seconds": 60,
            "poll_seconds": 10,
            "say": said.append,
            "clock": clock,
            "sleep": clock.sleep,
        }
        yield drill, stubs, said
        for stub in stubs.values():
            stub.assert_no_pending_responses()


def run(drill: dict):
    return run_drill_via_plan(
        drill["away_from"],
        drill["to"],
        drill["switch"],
        drill["targets"],
        **{key: drill[key] for key in ("timeout_seconds", "poll_seconds", "say", "clock", "sleep")},
    )


def test_executions_run_in_the_region_they_activate():
    assert activating_region("deactivate", EAST, (EAST, WEST)) == WEST
    assert activating_region("activate", EAST, (EAST, WEST)) == EAST


def test_the_drill_deactivates_through_the_plan_in_the_receiving_region_then_activates_back(world):
    drill, stubs, said = world
    west, east = stubs[WEST], stubs[EAST]
    west.add_response("start_plan_execution", started(AWAY), start_params("deactivate"))
    west.add_response("get_plan_execution", execution(AWAY, "inProgress"), {"planArn": PLAN, "executionId": AWAY})
    west.add_response("list_plan_execution_events", events(("1", "stepStarted", "force-calls-here")))
    west.add_response("get_plan_execution", execution(AWAY, "completed"))
    west.add_response(
        "list_plan_execution_events",
        events(("1", "stepStarted", "force-calls-here"), ("2", "stepSucceeded", "check-after-deactivation")),
    )
    stubs["connect"].add_response("get_traffic_distribution", split(0), {"Id": TDG})
    east.add_response("start_plan_execution", started(BACK), start_params("activate"))
    east.add_response("get_plan_execution", execution(BACK, "completed"), {"planArn": PLAN, "executionId": BACK})
    east.add_response("list_plan_execution_events", events(("3", "executionSucceeded", "")))
    stubs["connect"].add_response("get_traffic_distribution", split(50))
    report = run(drill)
    assert report.shifted_after_seconds == 10 and report.restored_after_seconds == 0
    assert said == [
        f"plan execution {AWAY}: deactivate {EAST}, running in {WEST}",
        "stepStarted force-calls-here",
        "stepSucceeded check-after-deactivation",
        f"{EAST} at 0% after 10.0 s",
        f"plan execution {BACK}: activate {EAST}, running in {EAST}",
        "executionSucceeded",
        f"desired split {{'{EAST}': 50, '{WEST}': 50}} back after 0.0 s",
    ]
    assert report.steps == said


def test_an_approval_wait_is_announced_once_and_never_approved_by_the_driver(world):
    drill, stubs, said = world
    west, east = stubs[WEST], stubs[EAST]
    west.add_response("start_plan_execution", started(AWAY))
    for _ in range(2):
        west.add_response("get_plan_execution", execution(AWAY, "pendingManualApproval", "approve-deactivation"))
        west.add_response("list_plan_execution_events", events())
    west.add_response("get_plan_execution", execution(AWAY, "completed"))
    west.add_response("list_plan_execution_events", events())
    stubs["connect"].add_response("get_traffic_distribution", split(0))
    east.add_response("start_plan_execution", started(BACK))
    east.add_response("get_plan_execution", execution(BACK, "completed"))
    east.add_response("list_plan_execution_events", events())
    stubs["connect"].add_response("get_traffic_distribution", split(50))
    run(drill)
    hints = [line for line in said if "awaits approval" in line]
    assert hints == [
        "step approve-deactivation awaits approval: approve in the ARC console (us-west-2) or, as the plan's "
        f"approval role, aws arc-region-switch approve-plan-execution-step --region us-west-2 --plan-arn {PLAN} "
        f"--execution-id {AWAY} --step-name approve-deactivation --approval approve"
    ]


def test_a_failed_deactivation_still_returns_through_the_plan_and_fails_the_drill(world):
    drill, stubs, _ = world
    west, east = stubs[WEST], stubs[EAST]
    west.add_response("start_plan_execution", started(AWAY))
    west.add_response("get_plan_execution", execution(AWAY, "failed"))
    west.add_response("list_plan_execution_events", events())
    east.add_response("start_plan_execution", started(BACK), start_params("activate"))
    east.add_response("get_plan_execution", execution(BACK, "completed"))
    east.add_response("list_plan_execution_events", events())
    stubs["connect"].add_response("get_traffic_distribution", split(50))
    with pytest.raises(OperationError) as failed:
        run(drill)
    assert str(failed.value) == "the plan's deactivation of us-east-1 ended failed (the desired split is back)"


def test_a_completed_plan_that_did_not_move_the_calls_fails_the_drill(world):
    drill, stubs, _ = world
    west, east = stubs[WEST], stubs[EAST]
    west.add_response("start_plan_execution", started(AWAY))
    west.add_response("get_plan_execution", execution(AWAY, "completed"))
    west.add_response("list_plan_execution_events", events())
    stubs["connect"].add_response("get_traffic_distribution", split(100))
    east.add_response("start_plan_execution", started(BACK))
    east.add_response("get_plan_execution", execution(BACK, "completed"))
    east.add_response("list_plan_execution_events", events())
    stubs["connect"].add_response("get_traffic_distribution", split(50))
    with pytest.raises(OperationError, match="deactivation completed but us-east-1 still carries 100% of calls"):
        run(drill)


def test_an_execution_that_outlives_the_timeout_is_canceled_before_the_way_back(world):
    drill, stubs, said = world
    west, east = stubs[WEST], stubs[EAST]
    west.add_response("start_plan_execution", started(AWAY))
    for _ in range(8):  # at 0, 10, ... 70 s: past the 60 s timeout
        west.add_response("get_plan_execution", execution(AWAY, "inProgress"))
        west.add_response("list_plan_execution_events", events())
    west.add_response("cancel_plan_execution", {}, {"planArn": PLAN, "executionId": AWAY, "comment": ANY})
    west.add_response("get_plan_execution", execution(AWAY, "canceled"))
    west.add_response("list_plan_execution_events", events())
    east.add_response("start_plan_execution", started(BACK))
    east.add_response("get_plan_execution", execution(BACK, "completed"))
    east.add_response("list_plan_execution_events", events())
    stubs["connect"].add_response("get_traffic_distribution", split(50))
    with pytest.raises(OperationError, match="deactivation of us-east-1 ended inProgress, then canceled"):
        run(drill)
    assert f"plan execution {AWAY} canceled: it was inProgress" in said


def test_a_plan_that_cannot_start_is_one_sentence_and_moves_nothing(world):
    drill, stubs, _ = world
    stubs[WEST].add_client_error("start_plan_execution", "ConflictException", "an execution is in progress")
    with pytest.raises(OperationError) as failed:
        run(drill)
    assert str(failed.value) == (
        "the Region switch plan did not start (deactivate us-east-1): ConflictException: an execution is in "
        "progress (`deploy status` lists its executions; one may still be running)"
    )


def test_a_failed_way_back_says_where_the_calls_may_be(world):
    drill, stubs, _ = world
    west, east = stubs[WEST], stubs[EAST]
    west.add_response("start_plan_execution", started(AWAY))
    west.add_response("get_plan_execution", execution(AWAY, "completed"))
    west.add_response("list_plan_execution_events", events())
    stubs["connect"].add_response("get_traffic_distribution", split(0))
    east.add_response("start_plan_execution", started(BACK))
    east.add_response("get_plan_execution", execution(BACK, "pausedByFailedStep"))
    east.add_response("list_plan_execution_events", events(("9", "stepFailed", "await-desired-split")))
    east.add_response("cancel_plan_execution", {})
    east.add_response("get_plan_execution", execution(BACK, "canceled"))
    east.add_response("list_plan_execution_events", events())
    with pytest.raises(OperationError) as failed:
        run(drill)
    assert str(failed.value) == (
        "the plan's activation of us-east-1 ended pausedByFailedStep, then canceled: calls may still be forced to "
        "us-west-2; run "
        "the plan's activate workflow for us-east-1 again, or end the override in the desired item"
    )


def test_the_drill_refuses_before_starting_the_plan_when_an_override_is_set(world):
    drill, _, _ = world
    forced = {**DESIRED, "override": {"mode": "force", "region": WEST}}
    drill["to"].table.put_item(Item={"pk": "traffic", "sk": "desired", "document": json.dumps(forced), "version": "x"})
    with pytest.raises(OperationError, match="refusing to drill: an override is already set"):
        run(drill)


# -- through the command line ------------------------------------------------------------------------------------


class FakeSwitch:
    """Region switch as the command sees it: every execution completes at once."""

    def __init__(self, region: str, calls: list) -> None:
        self.region, self.calls = region, calls

    def start_plan_execution(self, **kwargs):
        self.calls.append((self.region, kwargs["action"], kwargs["targetRegion"]))
        return {"executionId": f"{self.region}/0123456789abcdef"}

    def get_plan_execution(self, planArn, executionId):
        return {"executionState": "completed", "stepStates": []}

    def list_plan_execution_events(self, **_):
        return {"items": []}


def cli_cloud(connect: FakeConnect, calls: list) -> CloudClients:
    table = table_with_desired()
    watches = {EAST: FakeCloudWatch(), WEST: FakeCloudWatch()}

    def factory(service, region):
        if service.startswith("table:"):
            return table
        if service == "arc-region-switch":
            return FakeSwitch(region, calls)
        return {"connect": connect, "cloudwatch": watches[region], "lambda": object()}[service]

    return CloudClients(factory=factory)


class Moving(FakeConnect):
    """Reports 0% in us-east-1 after the deactivation, 50% after the activation."""

    def __init__(self, calls: list) -> None:
        super().__init__()
        self.calls = calls

    def get_traffic_distribution(self, Id):
        self.east = 50 if self.calls[-1][1] == "activate" else 0
        return super().get_traffic_distribution(Id)


def with_plan() -> dict:
    outputs = copy.deepcopy(OUTPUTS)
    outputs["secondary"]["regionSwitchPlanArn"] = PLAN
    return outputs


def main(capsys, argv, outputs, cloud):
    backend = FakeBackend(outputs=outputs)
    code = cli.main(argv, backend_factory=lambda: backend, cloud=cloud, stdin=io.StringIO())
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def test_drill_via_plan_prints_the_plans_steps_as_they_happen(capsys):
    calls: list = []
    code, out, err = main(
        capsys, ["drill", "--away-from", EAST, "--via-plan"], with_plan(), cli_cloud(Moving(calls), calls)
    )
    assert (code, err) == (0, "")
    assert calls == [(WEST, "deactivate", EAST), (EAST, "activate", EAST)]
    lines = out.splitlines()
    assert lines[0] == f"  plan execution {WEST}/0123456789abcdef: deactivate {EAST}, running in {WEST}"
    assert lines[-1].startswith("drill: away from us-east-1 in ") and len(lines) == 5  # each step printed once


def test_drill_via_plan_without_a_plan_is_one_line_exit_4(capsys):
    calls: list = []
    code, out, err = main(
        capsys, ["drill", "--away-from", EAST, "--via-plan"], OUTPUTS, cli_cloud(FakeConnect(), calls)
    )
    assert (code, out, calls) == (ExitCode.ENVIRONMENT, "", [])
    assert err == (
        "error: drill --via-plan: the secondary stack has no Region switch plan (output regionSwitchPlanArn): set "
        "failover.regionSwitch.enabled in Pulumi.yaml and run `python -m deploy up`\n"
    )


# -- status ------------------------------------------------------------------------------------------------------


def listed(*items: tuple[str, str, int]) -> dict:
    return {
        "items": [
            {
                "planArn": PLAN,
                "executionId": execution_id,
                "version": "1",
                "startTime": datetime(2026, 11, 9, hour, tzinfo=UTC),
                "mode": "graceful",
                "executionState": state,
                "executionAction": "deactivate",
                "executionRegion": EAST,
            }
            for execution_id, state, hour in items
        ]
    }


def warning(step: str, status: str, message: str) -> dict:
    return {
        "version": "1",
        "stepName": step,
        "warningStatus": status,
        "warningUpdatedTime": datetime(2026, 11, 9, tzinfo=UTC),
        "warningMessage": message,
    }


def plan_in_region(version: str) -> dict:
    plan = {
        "arn": PLAN,
        "workflows": [{"workflowTargetAction": "activate"}, {"workflowTargetAction": "deactivate"}],
        "executionRole": "arn:aws:iam::123456789012:role/region-switch-execution-role",
        "name": "connectdr-acme-care",
        "regions": [EAST, WEST],
        "recoveryApproach": "activeActive",
        "owner": "123456789012",
        "version": version,
    }
    return {"plan": plan}


def test_status_merges_the_executions_both_regions_list_and_shows_the_evaluation():
    (east, east_stub), (west, west_stub) = stubbed("arc-region-switch", EAST), stubbed("arc-region-switch", WEST)
    east_stub.add_response("get_plan_in_region", plan_in_region("3"), {"arn": PLAN})
    west_stub.add_client_error("get_plan_in_region", "ResourceNotFoundException", "no such plan")
    east_stub.add_response(
        "get_plan_evaluation_status",
        {
            "planArn": PLAN,
            "evaluationState": "actionRequired",
            "warnings": [
                warning("force-calls-here", "active", "role cannot invoke"),
                warning("await-calls-here", "resolved", "old"),
            ],
        },
        {"planArn": PLAN},
    )
    east_stub.add_response("list_plan_executions", listed((BACK, "completed", 3)), {"planArn": PLAN, "maxResults": 5})
    west_stub.add_response("list_plan_executions", listed((AWAY, "completed", 2), (BACK, "completed", 3)))
    status = plan_status({EAST: east, WEST: west}, PLAN)
    assert status["evaluation"]["state"] == "actionRequired"
    assert status["evaluation"]["warnings"] == ["force-calls-here: role cannot invoke"]
    assert [run["id"] for run in status["executions"]] == [BACK, AWAY]
    assert status["inRegions"] == {
        EAST: "version 3",
        WEST: "unavailable (GetPlanInRegion: ResourceNotFoundException: no such plan)",
    }


def test_status_says_what_it_could_not_read_instead_of_failing():
    (east, east_stub), (west, west_stub) = stubbed("arc-region-switch", EAST), stubbed("arc-region-switch", WEST)
    for stub in (east_stub, west_stub):
        stub.add_response("get_plan_in_region", plan_in_region("3"))
    east_stub.add_client_error("get_plan_evaluation_status", "AccessDeniedException", "no")
    west_stub.add_client_error("get_plan_evaluation_status", "AccessDeniedException", "no")
    east_stub.add_client_error("list_plan_executions", "AccessDeniedException", "no")
    west_stub.add_response("list_plan_executions", listed((AWAY, "failed", 2)))
    status = plan_status({EAST: east, WEST: west}, PLAN)
    assert status["evaluation"].startswith("us-east-1: unavailable (GetPlanEvaluationStatus: AccessDeniedException")
    assert [run["state"] for run in status["executions"]] == ["failed"]


class StatusSwitch:
    def get_plan_in_region(self, arn):
        return plan_in_region("3")

    def get_plan_evaluation_status(self, planArn):
        return {"evaluationState": "passed", "warnings": []}

    def list_plan_executions(self, planArn, maxResults):
        return listed((AWAY, "completed", 2))


def test_status_shows_the_plan_only_when_there_is_one(capsys):
    cloud = CloudClients(
        factory=lambda service, region: (
            table_with_desired()
            if service.startswith("table:")
            else {"connect": FakeConnect(), "cloudwatch": FakeCloudWatch(), "arc-region-switch": StatusSwitch()}[
                service
            ]
        )
    )
    code, out, err = main(capsys, ["status"], with_plan(), cloud)
    assert (code, err) == (0, "")
    assert f"region switch plan:  {PLAN} (evaluation passed, 0 warning(s))" in out
    assert "  in us-east-1: version 3, us-west-2: version 3" in out
    assert f"  2026-11-09 02:00:00+00:00  deactivate us-east-1  graceful  completed  ({AWAY})" in out
    code, out, err = main(capsys, ["status", "--json"], OUTPUTS, cloud)
    assert code == 0 and "regionSwitch" not in json.loads(out)


def test_an_interrupted_drill_cancels_the_running_execution(world):
    drill, stubs, said = world
    west = stubs[WEST]
    west.add_response("start_plan_execution", started(AWAY))
    west.add_response("get_plan_execution", execution(AWAY, "inProgress"))
    west.add_response("list_plan_execution_events", events())
    west.add_response("cancel_plan_execution", {}, {"planArn": PLAN, "executionId": AWAY, "comment": ANY})

    def interrupted(_seconds):
        raise KeyboardInterrupt

    drill["sleep"] = interrupted
    with pytest.raises(KeyboardInterrupt):
        run(drill)
    assert said[-1] == f"plan execution {AWAY} canceled (interrupted); `deploy status` shows where the calls are"


# -- failure paths of the drill's executions ---------------------------------------------------------------------


def test_a_poll_that_fails_is_said_once_and_the_drill_keeps_following_the_execution(world):
    """A throttled or timed-out GetPlanExecution must not end the drill with the deactivation running alone."""
    drill, stubs, said = world
    west, east = stubs[WEST], stubs[EAST]
    west.add_response("start_plan_execution", started(AWAY))
    for _ in range(2):
        west.add_client_error("get_plan_execution", "ThrottlingException", "Rate exceeded", http_status_code=400)
    west.add_response("get_plan_execution", execution(AWAY, "completed"))
    west.add_client_error("list_plan_execution_events", "InternalServerException", "try later", http_status_code=500)
    stubs["connect"].add_response("get_traffic_distribution", split(0))
    east.add_response("start_plan_execution", started(BACK))
    east.add_response("get_plan_execution", execution(BACK, "completed"))
    east.add_response("list_plan_execution_events", events())
    stubs["connect"].add_response("get_traffic_distribution", split(50))
    report = run(drill)
    assert report.restored_after_seconds is not None
    assert (
        said.count(
            f"could not read plan execution {AWAY} (GetPlanExecution: ThrottlingException: Rate exceeded); trying again"
        )
        == 1
    )
    assert any("ListPlanExecutionEvents: InternalServerException" in line for line in said)


def test_a_canceled_execution_is_followed_until_it_ends_before_the_way_back_starts(world):
    """Region switch runs one execution of a plan at a time: the activation can start only once the canceled
    deactivation has ended."""
    drill, stubs, said = world
    west, east = stubs[WEST], stubs[EAST]
    west.add_response("start_plan_execution", started(AWAY))
    west.add_response("get_plan_execution", execution(AWAY, "pausedByFailedStep"))
    west.add_response("list_plan_execution_events", events(("1", "stepFailed", "await-calls-here")))
    west.add_response("cancel_plan_execution", {}, {"planArn": PLAN, "executionId": AWAY, "comment": ANY})
    west.add_response("get_plan_execution", execution(AWAY, "pausedByFailedStep"))
    west.add_response("list_plan_execution_events", events())
    west.add_response("get_plan_execution", execution(AWAY, "canceled"))
    west.add_response("list_plan_execution_events", events(("2", "executionCanceled", "")))
    east.add_response("start_plan_execution", started(BACK))
    east.add_response("get_plan_execution", execution(BACK, "completed"))
    east.add_response("list_plan_execution_events", events())
    stubs["connect"].add_response("get_traffic_distribution", split(50))
    with pytest.raises(OperationError, match="deactivation of us-east-1 ended pausedByFailedStep, then canceled"):
        run(drill)
    assert said.index("executionCanceled") < said.index(f"plan execution {BACK}: activate {EAST}, running in {EAST}")


def test_a_way_back_that_cannot_start_says_where_the_calls_may_be(world):
    drill, stubs, _ = world
    west, east = stubs[WEST], stubs[EAST]
    west.add_response("start_plan_execution", started(AWAY))
    west.add_response("get_plan_execution", execution(AWAY, "completed"))
    west.add_response("list_plan_execution_events", events())
    stubs["connect"].add_response("get_traffic_distribution", split(0))
    east.add_client_error("start_plan_execution", "IllegalStateException", "plan not found in this region")
    with pytest.raises(OperationError) as failed:
        run(drill)
    assert str(failed.value) == (
        "the Region switch plan did not start (activate us-east-1): IllegalStateException: plan not found in this "
        "region (`deploy status` lists its executions; one may still be running): calls may still be forced to "
        "us-west-2; run the plan's activate workflow for us-east-1 again, or end the override in the desired item"
    )


def test_an_unreadable_split_after_the_deactivation_still_takes_the_way_back(world):
    drill, stubs, _ = world
    west, east = stubs[WEST], stubs[EAST]
    west.add_response("start_plan_execution", started(AWAY))
    west.add_response("get_plan_execution", execution(AWAY, "completed"))
    west.add_response("list_plan_execution_events", events())
    stubs["connect"].add_client_error("get_traffic_distribution", "ThrottlingException", "Rate exceeded")
    east.add_response("start_plan_execution", started(BACK))
    east.add_response("get_plan_execution", execution(BACK, "completed"))
    east.add_response("list_plan_execution_events", events())
    stubs["connect"].add_response("get_traffic_distribution", split(50))
    with pytest.raises(OperationError) as failed:
        run(drill)
    assert str(failed.value) == (
        "the split could not be read after the plan's deactivation of us-east-1 (GetTrafficDistribution: "
        "ThrottlingException: Rate exceeded) (the desired split is back)"
    )


def test_the_split_checked_on_the_way_back_is_the_desired_item_as_it_is_then(world):
    """A split written while the drill ran (`up`, `split --direct`) is the one the activation restores."""
    drill, stubs, said = world
    west, east = stubs[WEST], stubs[EAST]
    west.add_response("start_plan_execution", started(AWAY))
    west.add_response("get_plan_execution", execution(AWAY, "completed"))
    west.add_response("list_plan_execution_events", events())
    stubs["connect"].add_response("get_traffic_distribution", split(0))
    east.add_response("start_plan_execution", started(BACK))
    east.add_response("get_plan_execution", execution(BACK, "completed"))
    east.add_response("list_plan_execution_events", events())
    stubs["connect"].add_response("get_traffic_distribution", split(30))
    changed = {**DESIRED, "default": {**DESIRED["default"], "telephony": {EAST: 30, WEST: 70}}}

    def say(line: str) -> None:
        said.append(line)
        if line.startswith(f"plan execution {BACK}"):  # `up` rewrites the item while the activation runs
            item = {"pk": "traffic", "sk": "desired", "document": json.dumps(changed), "version": "changed"}
            drill["to"].table.put_item(Item=item)

    drill["say"] = say
    report = run(drill)
    assert report.steps[-1] == f"desired split {{'{EAST}': 30, '{WEST}': 70}} back after 0.0 s"


class InterruptedStart:
    """The client whose StartPlanExecution reaches Region switch, but Ctrl-C arrives before the answer."""

    def __init__(self, client) -> None:
        self.client, self.tokens = client, []

    def start_plan_execution(self, **kwargs):
        self.tokens.append(kwargs["clientToken"])
        answer = self.client.start_plan_execution(**kwargs)
        if len(self.tokens) == 1:
            raise KeyboardInterrupt
        return answer

    def __getattr__(self, name):
        return getattr(self.client, name)


def test_ctrl_c_while_the_plan_starts_cancels_the_execution_it_started(world):
    drill, stubs, said = world
    west = stubs[WEST]
    west.add_response("start_plan_execution", started(AWAY))
    west.add_response("start_plan_execution", started(AWAY))  # the same client token: the same execution
    west.add_response("cancel_plan_execution", {}, {"planArn": PLAN, "executionId": AWAY, "comment": ANY})
    drill["switch"][WEST] = starting = InterruptedStart(drill["switch"][WEST])
    with pytest.raises(KeyboardInterrupt) as interrupted:
        run(drill)
    assert starting.tokens[0] == starting.tokens[1]
    assert f"plan execution {AWAY} canceled (interrupted)" in said[-1]
    assert "run the plan's activate workflow for us-east-1" in str(interrupted.value)


def test_ctrl_c_between_the_executions_says_how_to_bring_the_calls_back(world):
    drill, stubs, _ = world
    west = stubs[WEST]
    west.add_response("start_plan_execution", started(AWAY))
    west.add_response("get_plan_execution", execution(AWAY, "completed"))
    west.add_response("list_plan_execution_events", events())

    def interrupted(**_):
        raise KeyboardInterrupt

    drill["to"].connect.get_traffic_distribution = interrupted
    with pytest.raises(KeyboardInterrupt) as stopped:
        run(drill)
    assert str(stopped.value) == (
        "calls may still be forced to us-west-2: run the plan's activate workflow for us-east-1 (started in "
        f"us-east-1: aws arc-region-switch start-plan-execution --region us-east-1 --plan-arn {PLAN} --target-region "
        "us-east-1 --action activate --mode graceful), or end the override in the desired item"
    )


def test_an_execution_that_cannot_be_canceled_stops_the_drill_naming_it(world):
    drill, stubs, _ = world
    west = stubs[WEST]
    west.add_response("start_plan_execution", started(AWAY))
    west.add_response("get_plan_execution", execution(AWAY, "pausedByFailedStep"))
    west.add_response("list_plan_execution_events", events())
    west.add_client_error("cancel_plan_execution", "AccessDeniedException", "not allowed")
    with pytest.raises(OperationError) as failed:
        run(drill)
    assert str(failed.value) == (
        f"plan execution {AWAY} (us-west-2) could not be canceled (CancelPlanExecution: AccessDeniedException: not "
        "allowed): it is pausedByFailedStep; cancel it in the ARC console of us-west-2; calls may still be forced "
        "to us-west-2; run the plan's activate workflow for us-east-1 again, or end the override in the desired item"
    )


class DarkRegion:
    """A region whose Region switch endpoint does not answer (every call times out after botocore's retries)."""

    def __init__(self) -> None:
        self.calls = 0

    def __getattr__(self, operation):
        def call(**_):
            self.calls += 1
            raise EndpointConnectionError(endpoint_url="https://arc-region-switch.us-east-1.amazonaws.com/")

        return call


def test_status_asks_a_region_whose_endpoint_does_not_answer_only_once():
    """Each unanswered call costs botocore's connect timeouts and retries: status must not pay them three times."""
    dark = DarkRegion()
    west, west_stub = stubbed("arc-region-switch", WEST)
    west_stub.add_response("get_plan_in_region", plan_in_region("3"))
    west_stub.add_response("get_plan_evaluation_status", {"planArn": PLAN, "evaluationState": "passed"})
    west_stub.add_response("list_plan_executions", listed((AWAY, "completed", 2)))
    status = plan_status({EAST: dark, WEST: west}, PLAN)
    assert dark.calls == 1
    assert status["inRegions"][EAST].startswith("unreachable (Could not connect to the endpoint URL")
    assert status["evaluation"]["state"] == "passed"
    assert [run["id"] for run in status["executions"]] == [AWAY]
    assert plan_status({EAST: DarkRegion(), WEST: DarkRegion()}, PLAN)["executions"] == (
        "us-east-1: not asked (its endpoint did not answer); us-west-2: not asked (its endpoint did not answer)"
    )
