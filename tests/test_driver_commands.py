"""The driver's commands against a fake stack backend and fake cloud clients, through `cli.main`."""

import io
import json
import re
import threading

import pytest
import yaml
from conftest import VirtualClock, edit_config
from driver_fakes import (
    DESIRED,
    EAST,
    OUTPUTS,
    TDG,
    WEST,
    FakeBackend,
    FakeCloudWatch,
    FakeConnect,
    FakeLambda,
    FakeTable,
    cloud_with,
    table_with_desired,
)

from connect.desired_split import versioned
from deploy import cli
from deploy.cloud import CloudClients
from deploy.deployment import RoleOutputs
from deploy.drill import DrillTargets, run_drill
from deploy.errors import DriverError, ExitCode
from deploy.outputs_cache import save_outputs
from deploy.split import _restore, check_split, run_split
from deploy.split_direct import DirectTargets, deployment_names
from deploy.stack_pair import discover_pair
from deploy.status import collect_status
from deploy.traffic_ops import OperationError, RegionPorts
from deploy.verify import run_verify


class Terminal(io.StringIO):
    """stdin of someone at a terminal, who answers `answer`."""

    def __init__(self, answer: str) -> None:
        super().__init__(answer + "\n")

    def isatty(self) -> bool:
        return True


def run(capsys, argv, backend=None, cloud=None, stdin=None):
    backend = backend if backend is not None else FakeBackend()
    code = cli.main(argv, backend_factory=lambda: backend, cloud=cloud or cloud_with(), stdin=stdin or io.StringIO())
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def no_backend():
    raise AssertionError("the command touched the backend")


@pytest.mark.parametrize(
    ("argv", "order"),
    [
        (["preview"], ["primary", "secondary"]),
        (["up"], ["primary", "secondary"]),
        (["refresh"], ["primary", "secondary"]),
        (["destroy", "--yes"], ["secondary", "primary"]),
    ],
)
def test_all_runs_the_stacks_in_dependency_order(capsys, argv, order):
    backend = FakeBackend()
    code, out, err = run(capsys, argv, backend)
    assert (code, err) == (0, "")
    assert [stack for stack, _ in backend.operations()] == order
    assert f"[{order[0]}] {argv[0]} in progress" in out
    assert f"  {order[0]}: ok (same 10, update 1)" in out


def test_a_failed_stack_stops_the_rest_with_one_line_on_stderr(capsys):
    backend = FakeBackend(failures={("primary", "up"): DriverError("primary: boom", ExitCode.FAILED)})
    code, out, err = run(capsys, ["up"], backend)
    assert code == 1
    assert backend.operations() == [("primary", "up")]
    assert "  secondary: skipped (an earlier stack failed)" in out
    assert err == "error: primary: boom\n"


def test_drift_exits_3_with_the_json_document_on_stdout_and_no_progress(capsys):
    backend = FakeBackend(failures={("secondary", "preview"): DriverError("secondary: drift", ExitCode.DRIFT)})
    code, out, err = run(capsys, ["preview", "--refresh", "--expect-no-changes", "--json"], backend)
    assert code == ExitCode.DRIFT
    result = json.loads(out)
    assert (result["ok"], result["exit_code"]) == (False, 3)
    assert [(s["stack"], s["ok"]) for s in result["stacks"]] == [("primary", True), ("secondary", False)]
    assert result["stacks"][0]["resources"] == [
        {"urn": "urn:primary", "type": "t", "op": "update", "status": "planned"}
    ]
    assert result["stacks"][1]["resources"][0]["urn"] == "urn:secondary", "a failed stack reports what it touched"
    options = backend.calls[0][3]
    assert (options.refresh, options.expect_no_changes) == (True, True)
    assert err == "error: secondary: drift\n"


def test_pass_through_flags_reach_the_backend(capsys, tmp_path):
    backend = FakeBackend()
    urn = "urn:pulumi:primary::connectdr::aws:s3/bucket:Bucket::b"
    argv = ["up", "--stack", "primary", "--target", urn, "--replace", urn, "--diff", "--parallel", "4"]
    code, _, err = run(capsys, [*argv, "--message", "m", "--policy-pack", str(tmp_path)], backend)
    assert (code, err) == (0, "")
    options = backend.calls[0][3]
    assert options.target == (urn,) and options.replace == (urn,) and options.diff and options.parallel == 4
    assert (options.message, options.policy_packs) == ("m", (str(tmp_path),))


@pytest.mark.parametrize(
    ("argv", "said"),
    [
        (
            ["up", "--target", "urn:pulumi:primary::connectdr::x::y"],
            "name resources of one stack: choose it with --stack",
        ),
        (
            ["up", "--stack", "secondary", "--exclude", "urn:pulumi:primary::p::t::n"],
            "names stack primary, not secondary",
        ),
        (["destroy", "--expect-no-changes", "--yes"], "unrecognized arguments: --expect-no-changes"),
        (["up", "--expect-no-changes"], "unrecognized arguments: --expect-no-changes"),
        (["refresh", "--replace", "urn:x"], "unrecognized arguments: --replace"),
        (["preview", "--parallel", "0"], "0 must be greater than 0"),
        (["drill", "--away-from", EAST, "--timeout", "0"], "0 must be greater than 0 seconds"),
        (["drill", "--away-from", EAST, "--timeout", "-5"], "-5 must be greater than 0 seconds"),
        (["split", "us-east-1=70", "us-west-2=20"], "percentages must sum to 100 (they sum to 90)"),
        (["split", "us-east-1=70", "eu-west-2=30"], "must list exactly the two regions us-east-1 and us-west-2"),
        (["split", "us-east-1=75", "us-west-2=25"], "each percentage must be 0..100 in steps of 10"),
        (["split", "us-east-1=seventy", "us-west-2=30"], "'us-east-1=seventy': expected REGION=PERCENT"),
        (["split", "us-east-1=70", "us-west-2=30", "--controller", "c"], "--controller only go with --direct REGION"),
        (["split", "us-east-1=70", "us-west-2=30", "--direct", "eu-west-2"], "--direct eu-west-2: must be one of"),
        (["drill", "--away-from", "eu-west-2"], "--away-from eu-west-2: must be one of us-east-1, us-west-2"),
        (["destroy"], "pass --yes (stdin is not a terminal to ask)"),
        (["--bogus"], "unrecognized arguments: --bogus; a command comes first"),
        (["--stack", "primary"], "unrecognized arguments: --stack; a command comes first"),
        (["--stack", "all", "up"], "unrecognized arguments: --stack; a command comes first"),
        ([], "the following arguments are required: command"),
    ],
)
def test_bad_arguments_exit_2_before_the_backend(capsys, argv, said):
    code = cli.main(argv, backend_factory=no_backend, cloud=cloud_with(), stdin=io.StringIO())
    err = capsys.readouterr().err
    assert code == ExitCode.USAGE
    assert err.count("\n") == 1 and err.startswith("error: ") and said in err, err


def test_destroy_previews_asks_and_stops_on_anything_but_yes(capsys):
    backend = FakeBackend()
    code, out, err = run(capsys, ["destroy"], backend, stdin=Terminal("no"))
    assert code == ExitCode.FAILED
    assert backend.operations() == [("secondary", "preview-destroy"), ("primary", "preview-destroy")]
    assert "secondary: same 10, update 1" in out
    assert err.endswith("error: destroy not confirmed: nothing was deleted\n")


def test_destroy_goes_on_after_yes(capsys):
    backend = FakeBackend()
    code, _, _ = run(capsys, ["destroy", "--stack", "secondary"], backend, stdin=Terminal("yes"))
    assert code == 0
    assert backend.operations() == [("secondary", "preview-destroy"), ("secondary", "destroy")]


def test_init_creates_what_is_missing_and_leaves_the_rest(capsys):
    backend = FakeBackend()
    code, out, _ = run(capsys, ["init", "--secrets-provider", "awskms://alias/x"], backend)
    assert code == 0
    assert backend.calls == [("init", "primary", "awskms://alias/x"), ("init", "secondary", "awskms://alias/x")]
    assert out == "primary: exists already (nothing changed)\nsecondary: created\n"


def test_environment_problems_are_one_line_not_a_traceback(capsys):
    message = "the Pulumi CLI is not installed or not on PATH (https://www.pulumi.com/docs/install/)"
    backend = FakeBackend(failures={("primary", "outputs"): DriverError(message, ExitCode.ENVIRONMENT)})
    code, out, err = run(capsys, ["status"], backend)
    assert (code, out, err) == (ExitCode.ENVIRONMENT, "", f"error: {message}\n")


def test_split_sets_config_runs_up_and_reads_only_the_primary(capsys):
    backend = FakeBackend(outputs={"primary": OUTPUTS["primary"]})
    code, out, err = run(capsys, ["split", "us-east-1=70", "us-west-2=30"], backend, cloud_with(FakeConnect(east=70)))
    assert (code, err) == (0, "")
    assert backend.calls[0] == (
        "set_config",
        "primary",
        {'connectdr:traffic.telephony["us-east-1"]': "70", 'connectdr:traffic.telephony["us-west-2"]': "30"},
    )
    assert backend.operations() == [("primary", "up")]
    assert "effective telephony: {'us-east-1': 70, 'us-west-2': 30}" in out


def test_a_failed_up_puts_the_split_config_back(capsys):
    failure = DriverError("primary: another update holds the stack", ExitCode.CONCURRENT)
    backend = FakeBackend(failures={("primary", "up"): failure})
    code, _, err = run(
        capsys, ["split", "us-east-1=70", "us-west-2=30", "--agents", "us-east-1=60", "us-west-2=40"], backend
    )
    assert code == ExitCode.CONCURRENT
    set_calls = [call for call in backend.calls if call[0] in {"set_config", "remove_config"}]
    assert set_calls[1:] == [
        (
            "set_config",
            "primary",
            {
                'connectdr:traffic.telephony["us-east-1"]': "50",
                'connectdr:traffic.telephony["us-west-2"]': "50",
                'connectdr:traffic.agents["us-east-1"]': "50",
                'connectdr:traffic.agents["us-west-2"]': "50",
            },
        )
    ]
    assert err.count("\n") == 1 and "stack config put back as it was" in err


def test_a_split_field_the_config_did_not_have_is_removed_again(project_copy):
    edit_config(project_copy / "Pulumi.primary.yaml", lambda config: config["connectdr:traffic"].pop("signIn"))
    checked = check_split(
        "primary", {"telephony": {EAST: 70, WEST: 30}, "signIn": {EAST: True, WEST: False}}, project_copy
    )
    backend = FakeBackend()
    assert _restore(backend, "primary", checked) == []
    assert backend.calls == [
        (
            "set_config",
            "primary",
            {'connectdr:traffic.telephony["us-east-1"]': "50", 'connectdr:traffic.telephony["us-west-2"]': "50"},
        ),
        ("remove_config", "primary", ["connectdr:traffic.signIn"]),
    ]


def test_when_putting_the_config_back_fails_the_line_says_what_is_set(capsys):
    backend = FakeBackend(
        failures={
            ("primary", "up"): DriverError("primary: boom"),
            ("primary", "set_config"): DriverError("primary: backend gone", ExitCode.ENVIRONMENT),
        }
    )
    backend.failures.pop(("primary", "set_config"))
    original_set = backend.set_config

    def set_once_then_fail(stack, values):
        original_set(stack, values)
        backend.failures[("primary", "set_config")] = DriverError("primary: backend gone", ExitCode.ENVIRONMENT)

    backend.set_config = set_once_then_fail
    code, _, err = run(capsys, ["split", "us-east-1=70", "us-west-2=30"], backend)
    assert code == ExitCode.FAILED
    assert err.count("\n") == 1
    assert (
        'it now holds connectdr:traffic.telephony["us-east-1"]=70, connectdr:traffic.telephony["us-west-2"]=30' in err
    )

    def list_replication_findings(self, InstanceId, ResourceType, MaxResults):
        return {"ReplicationFindingsList": []}


def test_status_reads_desired_from_the_item_the_controller_reads(capsys):
    after_direct = versioned({**DESIRED, "default": {**DESIRED["default"], "telephony": {EAST: 0, WEST: 100}}})
    tables = {EAST: table_with_desired(after_direct), WEST: FakeTable()}
    tables[WEST].items[("audit", "2026-11-24T15:00:00.000#us-west-2")] = {
        "pk": "audit",
        "sk": "2026-11-24T15:00:00.000#us-west-2",
        "document": json.dumps({"action": "failover", "reason": "us-east-1 unhealthy"}),
    }
    cloud = cloud_with(FakeConnect(east=0), {EAST: FakeCloudWatch("ALARM"), WEST: FakeCloudWatch("OK")}, tables)
    backend = FakeBackend()
    status = collect_status(RoleOutputs(backend, discover_pair()), cloud)
    assert status["desired"]["telephony"] == {EAST: 0, WEST: 100}
    assert status["desired"]["version"] == after_direct["version"]
    assert status["effective"] == {EAST: 0, WEST: 100}
    assert status["health"] == {EAST: "unhealthy", WEST: "healthy"}
    assert status["replication"] == "INSTANCE_REPLICATION_COMPLETE"
    assert status["decisions"][WEST][0]["action"] == "failover" and status["decisions"][EAST] == []
    assert not [call for call in backend.calls if call[0] not in {"outputs"}]


def test_status_falls_back_to_the_replica_regions_item(capsys, outputs_file):
    tables = {EAST: FakeTable(), WEST: table_with_desired()}
    code, out, err = run(capsys, ["status"], cloud=cloud_with(tables=tables))
    assert (code, err) == (0, "")
    assert "desired telephony:   {'us-east-1': 50, 'us-west-2': 50} (override none" in out
    assert set(json.loads(outputs_file.read_text())["stacks"]) == {"primary", "secondary"}


def _linked_tables(lag_polls: int) -> dict[str, FakeTable]:
    east, west = FakeTable(lag_polls), FakeTable(lag_polls)
    east.peer, west.peer = west, east
    return {EAST: east, WEST: west}


def test_verify_times_replication_checks_statuses_and_cleans_up():
    tables = _linked_tables(lag_polls=3)
    clock, out = VirtualClock(), io.StringIO()
    code = run_verify(
        FakeBackend(), cloud_with(tables=tables), out=out, timeout=5, poll=0.5, clock=clock, sleep=clock.sleep
    )
    report = out.getvalue()
    assert code == 0, report
    assert "[ok] replication us-east-1 -> us-west-2: canary readable after 1.00 s" in report
    assert "[ok] replica in us-west-2: INSTANCE_REPLICATION_COMPLETE" in report
    assert "verify: 7 checks passed, 0 failed, 0 in progress" in report
    assert not [key for table in tables.values() for key in table.items if key[0] == "canary"]


def test_verify_fails_on_lag_a_broken_replica_and_a_stuck_consumer():
    tables = _linked_tables(lag_polls=100)
    watches = {EAST: FakeCloudWatch(iterator_ms=5_000), WEST: FakeCloudWatch(iterator_ms=600_000)}
    clock, out = VirtualClock(), io.StringIO()
    cloud = cloud_with(FakeConnect(replication="INSTANCE_REPLICATION_FAILED"), watches, tables)
    code = run_verify(FakeBackend(), cloud, out=out, timeout=2, poll=0.5, clock=clock, sleep=clock.sleep)
    report = out.getvalue()
    assert code == 1
    assert "[FAIL] replication us-east-1 -> us-west-2: canary not readable within 2 s" in report
    assert "[FAIL] replica in us-west-2: INSTANCE_REPLICATION_FAILED" in report
    assert "[FAIL] stream consumer in us-west-2: iterator age up to 600.0 s" in report
    assert "[ok] stream consumer in us-east-1: iterator age up to 5.0 s" in report


def test_split_direct_needs_no_backend_with_the_outputs_file(capsys, outputs_file):
    for stack in ("primary", "secondary"):
        save_outputs(stack, OUTPUTS[stack])
    tables, lam = {EAST: FakeTable(), WEST: table_with_desired()}, FakeLambda()
    argv = ["split", "us-east-1=0", "us-west-2=100", "--direct", WEST]
    code = cli.main(argv, backend_factory=no_backend, cloud=cloud_with(tables=tables, lam=lam))
    out, err = capsys.readouterr()
    assert (code, err) == (0, "")
    written = tables[WEST].desired()
    assert written["default"]["telephony"] == {EAST: 0, WEST: 100}
    assert written["default"]["agents"] == {EAST: 50, WEST: 50}, "the stack file sets agents on their own"
    assert written["version"] != DESIRED["version"]
    assert lam.invoked == ["connectdr-acme-care-failover-controller"]
    assert "pulumi config set --path 'connectdr:traffic.telephony[\"us-east-1\"]' 0 --stack primary" in out
    assert tables[EAST].items == {}


def test_split_direct_takes_names_from_arguments(capsys):
    tables, lam = {EAST: FakeTable(), WEST: table_with_desired()}, FakeLambda()
    argv = ["split", "us-east-1=0", "us-west-2=100", "--direct", WEST, "--config-table", "t", "--controller", "west-c"]
    cloud = cloud_with(tables=tables, lam=lam)
    assert cli.main(argv, backend_factory=no_backend, cloud=cloud) == 0
    assert lam.invoked == ["west-c"]


def test_split_direct_without_names_anywhere_says_what_to_pass(capsys):
    backend = FakeBackend(failures={("primary", "outputs"): DriverError("primary: unreachable", ExitCode.ENVIRONMENT)})
    code, _, err = run(capsys, ["split", "us-east-1=0", "us-west-2=100", "--direct", WEST], backend)
    assert code == ExitCode.ENVIRONMENT
    assert err.count("\n") == 1 and "has no outputs of stack primary" in err and "pass --config-table" in err


def test_split_direct_rejects_a_bad_split_before_writing(capsys):
    tables = {EAST: FakeTable(), WEST: table_with_desired()}
    argv = ["split", "us-east-1=20", "us-west-2=20", "--direct", WEST]
    assert cli.main(argv, backend_factory=no_backend, cloud=cloud_with(tables=tables)) == ExitCode.USAGE
    assert "percentages must sum to 100" in capsys.readouterr().err
    assert tables[WEST].desired() == DESIRED


def test_a_failed_check_ends_verify_with_its_one_line(capsys):
    tables = _linked_tables(lag_polls=1)
    cloud = cloud_with(FakeConnect(replication="INSTANCE_REPLICATION_FAILED"), tables=tables)
    code, out, err = run(capsys, ["verify"], cloud=cloud)
    assert code == ExitCode.FAILED
    assert "[FAIL] replica in us-west-2: INSTANCE_REPLICATION_FAILED" in out
    assert err == "error: verify: a check failed (its line above says which and why)\n"


class FileConfigBackend(FakeBackend):
    """Sets stack config as `pulumi config set --path` does: in the stack file of `root`."""

    def __init__(self, root, **kwargs) -> None:
        super().__init__(**kwargs)
        self.root = root

    def set_config(self, stack, values):
        super().set_config(stack, values)

        def change(config):
            for key, value in values.items():
                field, region = re.fullmatch(r'connectdr:traffic\.(\w+)\["(.+)"\]', key).groups()
                config["connectdr:traffic"].setdefault(field, {})[region] = json.loads(value)

        edit_config(self.root / f"Pulumi.{stack}.yaml", change)

    def telephony(self, stack="primary"):
        return yaml.safe_load((self.root / f"Pulumi.{stack}.yaml").read_text())["config"]["connectdr:traffic"][
            "telephony"
        ]


def test_a_rollback_leaves_a_value_someone_else_set_meanwhile(project_copy):
    backend = FileConfigBackend(project_copy, failures={("primary", "up"): DriverError("primary: boom")})
    original_run = backend.run

    def up_while_someone_sets_the_west(stack, operation, options, **kwargs):
        edit_config(
            project_copy / "Pulumi.primary.yaml",
            lambda config: config["connectdr:traffic"]["telephony"].update({WEST: 20}),
        )
        return original_run(stack, operation, options, **kwargs)

    backend.run = up_while_someone_sets_the_west
    checked = check_split("primary", {"telephony": {EAST: 70, WEST: 30}}, project_copy)
    with pytest.raises(DriverError) as raised:
        run_split(backend, cloud_with(), "primary", checked, out=io.StringIO())
    assert backend.telephony() == {EAST: 50, WEST: 20}
    said = str(raised.value)
    assert 'connectdr:traffic.telephony["us-west-2"] was changed meanwhile (now 20): left as it is' in said
    assert "\n" not in said


@pytest.mark.parametrize(
    ("interrupted", "said"),
    [
        ("up", "interrupted: primary: stopped (stack config put back as it was"),
        ("set_config", "interrupted while setting the stack config of primary: it may hold"),
        ("rollback", "putting the stack config back was interrupted: it may still hold"),
    ],
)
def test_an_interrupted_split_says_what_the_stack_config_holds(capsys, interrupted, said):
    backend = FakeBackend()
    original_set = backend.set_config

    def set_config(stack, values):
        original_set(stack, values)
        if interrupted == "set_config" or (interrupted == "rollback" and len(backend.calls) == 2):
            raise KeyboardInterrupt

    def run_up(stack, operation, options, **kwargs):
        raise KeyboardInterrupt if interrupted != "set_config" else AssertionError("up after an interrupt")

    backend.set_config, backend.run = set_config, run_up
    code, _, err = run(capsys, ["split", "us-east-1=70", "us-west-2=30"], backend)
    assert code == ExitCode.INTERRUPTED
    assert err.count("\n") == 1 and said in err, err
    if interrupted != "up":
        assert 'connectdr:traffic.telephony["us-east-1"]=70' in err


def test_split_direct_refuses_names_of_another_deployment(capsys):
    """An outputs file from another deployment (a staging pair, another org's `primary`) named its table: the
    direct split wrote the production split into it and invoked its controller."""
    staging = {
        "primary": {**OUTPUTS["primary"], "tableNames": {"config": "connectdr-staging-config"}},
        "secondary": {**OUTPUTS["secondary"], "failoverController": "connectdr-staging-failover-controller"},
    }
    for stack in ("primary", "secondary"):
        save_outputs(stack, staging[stack])
    opened, lam = [], FakeLambda()

    def factory(service, region):
        opened.append((service, region))
        return table_with_desired() if service.startswith("table:") else lam

    unreachable = DriverError("primary: backend or cloud not reachable", ExitCode.ENVIRONMENT)
    backend = FakeBackend(failures={("primary", "outputs"): unreachable})
    argv = ["split", "us-east-1=0", "us-west-2=100", "--direct", WEST]
    code = cli.main(argv, backend_factory=lambda: backend, cloud=CloudClients(factory=factory))
    out, err = capsys.readouterr()
    assert code == ExitCode.ENVIRONMENT
    assert (out, opened, lam.invoked) == ("", [], [])
    assert err.count("\n") == 1
    assert "connectdr-staging-config is not this deployment's config table (connectdr-acme-care-config)" in err
    assert "pass --config-table connectdr-acme-care-config --controller connectdr-acme-care-failover-controller" in err


def test_the_names_split_direct_expects_are_the_programs(plans):
    checked = check_split("primary", {"telephony": {EAST: 0, WEST: 100}})
    outputs = plans["primary"].plan.outputs
    expected = DirectTargets(outputs["tableNames"]["config"], outputs["failoverController"], "the stack file")
    assert deployment_names(checked) == expected


def test_destroy_with_stdin_closed_is_refused_like_a_pipe(capsys, monkeypatch):
    monkeypatch.setattr("sys.stdin", None)  # `python -m deploy destroy <&-`
    code = cli.main(["destroy"], backend_factory=no_backend, cloud=cloud_with())
    err = capsys.readouterr().err
    assert code == ExitCode.USAGE
    assert err.count("\n") == 1 and "pass --yes (stdin is not a terminal to ask)" in err


class WriterBetween(FakeTable):
    """A replica where another writer's change lands once, between a read of the desired item and the write."""

    def __init__(self, other_change) -> None:
        super().__init__()
        self.other_change, self.reads = other_change, 0

    def get_item(self, Key, **kwargs):
        found = super().get_item(Key, **kwargs)
        self.reads += 1
        if self.reads == 1 and Key == {"pk": "traffic", "sk": "desired"}:
            other = versioned(self.other_change(self.desired()))
            self.items[("traffic", "desired")] = {**found["Item"], "document": json.dumps(other)}
        return found


def test_split_direct_keeps_a_write_that_lands_between_its_read_and_its_write(capsys):
    def drill_forces_west(document):
        return {**document, "override": {"mode": "force", "region": WEST}}

    west = WriterBetween(drill_forces_west)
    west.put_item(table_with_desired().items[("traffic", "desired")])
    tables, argv = {EAST: FakeTable(), WEST: west}, ["split", "us-east-1=0", "us-west-2=100", "--direct", WEST]
    code = cli.main(
        [*argv, "--config-table", "t", "--controller", "c"], backend_factory=no_backend, cloud=cloud_with(tables=tables)
    )
    assert code == 0, capsys.readouterr().err
    written = west.desired()
    assert written["default"]["telephony"] == {EAST: 0, WEST: 100}
    assert written["override"] == {"mode": "force", "region": WEST}, "the other writer's override was overwritten"


def test_a_drill_keeps_a_split_made_while_it_ran_and_lifts_only_its_override():
    west = table_with_desired()
    connect, lam = FakeConnect(east=50), FakeLambda()

    def controller(FunctionName, InvocationType, Payload):
        if json.loads(Payload)["trigger"] == "drill":  # on-call runs split --direct meanwhile
            document = west.desired()
            default = {**document["default"], "telephony": {EAST: 20, WEST: 80}}
            west.put_item(
                {**west.items[("traffic", "desired")], "document": json.dumps({**document, "default": default})}
            )
        document = west.desired()
        connect.east = 0 if document["override"]["mode"] == "force" else document["default"]["telephony"][EAST]
        return FakeLambda.invoke(lam, FunctionName, InvocationType, Payload)

    ports = RegionPorts(
        WEST, west, type("Lambda", (), {"invoke": staticmethod(controller)})(), connect, FakeCloudWatch()
    )
    clock = VirtualClock()
    report = run_drill(EAST, ports, DrillTargets("c", "alarm", TDG), clock=clock, sleep=clock.sleep)
    after = west.desired()
    assert after["default"]["telephony"] == {EAST: 20, WEST: 80}, "the drill wrote its old copy back"
    assert after["override"] == {"mode": "none", "region": None}
    assert connect.east == 20 and report.restored_after_seconds is not None


def test_a_drill_leaves_an_override_someone_set_while_it_ran():
    west, connect, lam = table_with_desired(), FakeConnect(east=50), FakeLambda()
    someone_elses = {"mode": "force", "region": EAST}

    def controller(FunctionName, InvocationType, Payload):
        document = west.desired()
        if json.loads(Payload)["trigger"] == "drill":
            connect.east = 0
            document = {**document, "override": someone_elses}
            west.put_item({**west.items[("traffic", "desired")], "document": json.dumps(document)})
        return FakeLambda.invoke(lam, FunctionName, InvocationType, Payload)

    ports = RegionPorts(
        WEST, west, type("Lambda", (), {"invoke": staticmethod(controller)})(), connect, FakeCloudWatch()
    )
    clock = VirtualClock()
    with pytest.raises(OperationError, match=r"the override was changed while the drill ran .*left as it is"):
        run_drill(EAST, ports, DrillTargets("c", "alarm", TDG), clock=clock, sleep=clock.sleep)
    assert west.desired()["override"] == someone_elses


def test_two_writers_of_the_outputs_file_at_once_keep_both_stacks(outputs_file):
    """`up` in one terminal and `status` in another: they shared one temporary file and read, changed and
    wrote the file without a lock, so one stack's outputs were lost (or the file replaced half-written)."""
    problems: list[str | None] = []

    def save_many(stack: str) -> None:
        problems.extend(save_outputs(stack, {**OUTPUTS[stack], "n": n}) for n in range(40))

    writers = [threading.Thread(target=save_many, args=(stack,)) for stack in ("primary", "secondary")]
    for writer in writers:
        writer.start()
    for writer in writers:
        writer.join()
    assert set(problems) == {None}
    assert {
        stack: entry["outputs"]["n"] for stack, entry in json.loads(outputs_file.read_text())["stacks"].items()
    } == {
        "primary": 39,
        "secondary": 39,
    }
    left = sorted(path.name for path in outputs_file.parent.iterdir() if "outputs" in path.name)
    assert left == ["outputs.json", "outputs.json.lock"], "a temporary file was left behind"


def test_up_rewrites_an_unreadable_outputs_file_and_says_so(capsys, outputs_file):
    outputs_file.write_text('{"stacks": {"primary": ')  # cut off mid-write by an earlier crash
    code, out, err = run(capsys, ["up", "--stack", "primary"])
    assert (code, err) == (0, "")
    assert json.loads(outputs_file.read_text())["stacks"]["primary"]["outputs"] == OUTPUTS["primary"]
    assert "cannot read the outputs file" in out and "rewritten with the outputs of primary" in out


def test_up_says_when_it_cannot_keep_the_outputs(capsys, outputs_file):
    outputs_file.mkdir()  # not a file at all
    code, out, err = run(capsys, ["up", "--stack", "primary"])
    assert (code, err) == (0, "")
    assert f"note: outputs of primary not kept in {outputs_file}" in out


def test_status_says_when_it_cannot_keep_the_outputs(capsys, outputs_file):
    outputs_file.mkdir()
    code, out, err = run(capsys, ["status"])
    assert (code, err) == (0, "")
    assert f"note: outputs of secondary not kept in {outputs_file}" in out


def test_destroy_json_asks_on_stderr_and_prints_one_document(capsys):
    backend = FakeBackend()
    code, out, err = run(capsys, ["destroy", "--stack", "secondary", "--json"], backend, stdin=Terminal("yes"))
    assert code == 0
    assert json.loads(out)["operation"] == "destroy"
    assert "secondary: same 10, update 1" in err and "Type yes to go on" in err


def test_ctrl_c_during_a_drill_lifts_its_override_without_waiting(capsys):
    west, connect = table_with_desired(), FakeConnect(east=50)
    lam = FakeLambda()

    def interrupted(_seconds):
        raise KeyboardInterrupt

    ports = RegionPorts(WEST, west, lam, connect, FakeCloudWatch())
    with pytest.raises(KeyboardInterrupt, match="the drill's override is lifted"):
        run_drill(EAST, ports, DrillTargets("c", "alarm", TDG), clock=VirtualClock(), sleep=interrupted)
    assert west.desired()["override"] == {"mode": "none", "region": None}
    assert lam.invoked == ["c", "c"]


def test_operator_clients_give_up_on_a_dark_region_in_seconds(monkeypatch):
    from deploy.cloud import CloudClients

    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}.items():
        monkeypatch.setenv(key, value)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    cloud = CloudClients()
    for config in (
        cloud.client("connect", "us-west-2").meta.config,
        cloud.table("us-west-2", "t").meta.client.meta.config,
    ):
        assert config.connect_timeout <= 5 and config.read_timeout <= 20
        assert config.retries["total_max_attempts"] == 3 and config.retries["mode"] == "standard"
