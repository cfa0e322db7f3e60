"""The driver's commands against a fake stack backend and fake cloud clients."""

import io
import json

import pytest
from conftest import VirtualClock

from deploy import cli
from deploy.backend import EXIT_DRIFT, EXIT_ENVIRONMENT, DriverError
from deploy.cloud import CloudClients
from deploy.lifecycle import run_lifecycle
from deploy.split import run_split
from deploy.status import collect_status
from deploy.verify import run_verify

EAST, WEST = "us-east-1", "us-west-2"
TDG = "arn:aws:connect:us-east-1:123456789012:traffic-distribution-group/99999999-8888-7777-6666-555555555555"
OUTPUTS = {
    "primary": {
        "region": EAST,
        "instanceId": "11111111-2222-3333-4444-555555555555",
        "defaultTdgArn": TDG,
        "trafficDistributionGroupArns": [TDG],
        "tableNames": {"config": "connectdr-acme-care-config"},
        "healthAlarm": "connectdr-acme-care-region-health",
        "failoverController": "connectdr-acme-care-failover-controller",
        "streamSyncConsumer": "connectdr-acme-care-stream-sync",
    },
    "secondary": {
        "region": WEST,
        "failoverController": "connectdr-acme-care-failover-controller",
        "streamSyncConsumer": "connectdr-acme-care-stream-sync",
    },
}


class FakeBackend:
    def __init__(self, stack_files=None, failures: dict[str, DriverError] | None = None) -> None:
        self.calls: list[tuple] = []
        self.failures = failures or {}
        self.stack_files = stack_files or {}

    def run(self, stack, operation, *, on_output, expect_no_changes=False):
        self.calls.append(("run", stack, operation, expect_no_changes))
        on_output(f"{operation} in progress")
        if stack in self.failures:
            raise self.failures[stack]
        return {"same": 10, "update": 1}

    def outputs(self, stack):
        return OUTPUTS[stack]

    def config(self, stack):
        file = self.stack_files[stack]
        return {key: (value, key in file.secret_keys) for key, value in file.values.items()}

    def set_config(self, stack, values):
        self.calls.append(("set_config", stack, values))


@pytest.mark.parametrize(
    ("operation", "order"),
    [
        ("preview", ["primary", "secondary"]),
        ("up", ["primary", "secondary"]),
        ("refresh", ["primary", "secondary"]),
        ("destroy", ["secondary", "primary"]),
    ],
)
def test_all_runs_the_stacks_in_dependency_order(operation, order):
    backend, out = FakeBackend(), io.StringIO()
    assert run_lifecycle(backend, operation, "all", out=out) == 0
    assert [call[1] for call in backend.calls] == order
    assert f"[{order[0]}] {operation} in progress" in out.getvalue()
    assert f"  {order[0]}: ok (same 10, update 1)" in out.getvalue()


def test_a_failed_stack_stops_the_rest_and_sets_the_exit_code():
    backend, out = FakeBackend(failures={"primary": DriverError("primary: boom")}), io.StringIO()
    assert run_lifecycle(backend, "up", "all", out=out) == 1
    assert [call[1] for call in backend.calls] == ["primary"]
    assert "  secondary: skipped (an earlier stack failed)" in out.getvalue()


def test_drift_exits_3_with_a_json_result_on_stdout():
    backend = FakeBackend(failures={"secondary": DriverError("secondary: drift", EXIT_DRIFT)})
    out, err = io.StringIO(), io.StringIO()
    code = run_lifecycle(backend, "preview", "all", expect_no_changes=True, as_json=True, out=out, err=err)
    assert code == EXIT_DRIFT
    result = json.loads(out.getvalue())
    assert result["ok"] is False
    assert [(s["stack"], s["ok"]) for s in result["stacks"]] == [("primary", True), ("secondary", False)]
    assert backend.calls[0][3] is True
    assert "[primary] preview in progress" in err.getvalue()


def test_environment_problems_are_one_line_not_a_traceback(capsys):
    class NoCli(FakeBackend):
        def outputs(self, stack):
            raise DriverError(
                "the Pulumi CLI is not installed or not on PATH (https://www.pulumi.com/docs/install/)",
                EXIT_ENVIRONMENT,
            )

    assert cli.main(["status"], backend_factory=NoCli) == EXIT_ENVIRONMENT
    assert (
        capsys.readouterr().err
        == "error: the Pulumi CLI is not installed or not on PATH (https://www.pulumi.com/docs/install/)\n"
    )


def test_split_validates_with_the_config_model_before_touching_the_stack(stack_files):
    backend, out = FakeBackend(stack_files), io.StringIO()
    code = run_split(backend, CloudClients(factory=lambda *_: None), {"telephony": {EAST: 75, WEST: 25}}, out=out)
    assert code == 2
    assert (
        "connectdr:traffic.telephony = {'us-east-1': 75, 'us-west-2': 25}: each percentage must be 0..100 in steps of 10"
        in out.getvalue()
    )
    assert backend.calls == []


class FakeConnect:
    def __init__(self, east: int = 50, replication: str = "INSTANCE_REPLICATION_COMPLETE") -> None:
        self.east, self.replication = east, replication

    def get_traffic_distribution(self, Id):
        assert Id == TDG
        return {
            "TelephonyConfig": {
                "Distributions": [
                    {"Region": EAST, "Percentage": self.east},
                    {"Region": WEST, "Percentage": 100 - self.east},
                ]
            }
        }

    def describe_instance(self, InstanceId):
        return {
            "Instance": {},
            "ReplicationConfiguration": {
                "ReplicationStatusSummaryList": [{"Region": WEST, "ReplicationStatus": self.replication}]
            },
        }

    def describe_traffic_distribution_group(self, TrafficDistributionGroupId):
        return {"TrafficDistributionGroup": {"Name": "default", "Status": "ACTIVE"}}

    def list_replication_findings(self, InstanceId, ResourceType, MaxResults):
        return {"ReplicationFindingsList": []}


class FakeCloudWatch:
    def __init__(self, state: str = "OK", iterator_ms: float | None = None) -> None:
        self.state, self.iterator_ms = state, iterator_ms

    def describe_alarms(self, **_):
        return {"CompositeAlarms": [{"StateValue": self.state}]}

    def get_metric_statistics(self, **_):
        return {"Datapoints": [] if self.iterator_ms is None else [{"Maximum": self.iterator_ms}]}


class FakeTable:
    """A region's replica; `peer` receives each write after `lag_polls` reads (replication)."""

    def __init__(self, lag_polls: int = 1) -> None:
        self.items: dict[tuple, dict] = {}
        self.pending: list[tuple[int, dict]] = []
        self.peer: FakeTable | None = None
        self.lag_polls = lag_polls

    def put_item(self, Item):
        self.items[(Item["pk"], Item["sk"])] = Item
        if self.peer:
            self.peer.pending.append((self.peer.lag_polls, Item))

    def get_item(self, Key, **_):
        arrived = [(n - 1, item) for n, item in self.pending]
        self.pending = [(n, item) for n, item in arrived if n > 0]
        for _n, item in [(n, item) for n, item in arrived if n <= 0]:
            self.items[(item["pk"], item["sk"])] = item
        found = self.items.get((Key["pk"], Key["sk"]))
        return {"Item": found} if found else {}

    def delete_item(self, Key, replicate: bool = True):
        self.items.pop((Key["pk"], Key["sk"]), None)
        self.pending = [(n, item) for n, item in self.pending if (item["pk"], item["sk"]) != (Key["pk"], Key["sk"])]
        if self.peer and replicate:
            self.peer.delete_item(Key, replicate=False)

    def query(self, **_):
        audits = sorted((i for i in self.items.values() if i["pk"] == "audit"), key=lambda i: i["sk"], reverse=True)
        return {"Items": audits[:5]}


def cloud_with(connect=None, watches=None, tables=None) -> CloudClients:
    connect = connect or FakeConnect()
    watches = watches or {EAST: FakeCloudWatch(), WEST: FakeCloudWatch()}
    tables = tables or {EAST: FakeTable(), WEST: FakeTable()}

    def factory(service, region):
        if service.startswith("table:"):
            return tables[region]
        return {"connect": connect, "cloudwatch": watches[region]}[service]

    return CloudClients(factory=factory)


def test_status_shows_desired_effective_health_replication_and_decisions(stack_files):
    tables = {EAST: FakeTable(), WEST: FakeTable()}
    tables[WEST].items[("audit", "2026-11-24T15:00:00.000#us-west-2")] = {
        "pk": "audit",
        "sk": "2026-11-24T15:00:00.000#us-west-2",
        "document": json.dumps({"action": "failover", "reason": "us-east-1 unhealthy"}),
    }
    cloud = cloud_with(FakeConnect(east=0), {EAST: FakeCloudWatch("ALARM"), WEST: FakeCloudWatch("OK")}, tables)
    status = collect_status(FakeBackend(stack_files), cloud)
    assert status["desired"]["telephony"] == {EAST: 50, WEST: 50}
    assert status["effective"] == {EAST: 0, WEST: 100}
    assert status["health"] == {EAST: "unhealthy", WEST: "healthy"}
    assert status["replication"] == "INSTANCE_REPLICATION_COMPLETE"
    assert status["decisions"][WEST][0]["action"] == "failover" and status["decisions"][EAST] == []


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


def test_drill_command_refuses_an_unknown_region(capsys):
    assert cli.main(["drill", "--away-from", "eu-west-2"], backend_factory=FakeBackend, cloud=cloud_with()) == 2
    assert "must be one of us-east-1, us-west-2" in capsys.readouterr().err


class FakeLambda:
    def __init__(self) -> None:
        self.invoked: list[str] = []

    def invoke(self, FunctionName, InvocationType, Payload):
        self.invoked.append(FunctionName)
        return {
            "StatusCode": 200,
            "Payload": io.BytesIO(json.dumps({"reason": "us-east-1 unhealthy: all traffic to us-west-2"}).encode()),
        }


def test_split_direct_writes_the_surviving_regions_item_and_invokes_its_controller():
    from connect.desired_split import versioned

    tables, lam = {EAST: FakeTable(), WEST: FakeTable()}, FakeLambda()
    document = versioned(
        {
            "regions": [EAST, WEST],
            "default": {"arn": TDG, "telephony": {EAST: 50, WEST: 50}},
            "override": {"mode": "none"},
        }
    )
    tables[WEST].put_item({"pk": "traffic", "sk": "desired", "document": json.dumps(document)})
    base = cloud_with(tables=tables)
    cloud = CloudClients(factory=lambda service, region: lam if service == "lambda" else base.factory(service, region))
    out = io.StringIO()
    assert run_split(FakeBackend(), cloud, {"telephony": {EAST: 0, WEST: 100}}, direct_region=WEST, out=out) == 0
    written = json.loads(tables[WEST].items[("traffic", "desired")]["document"])
    assert written["default"]["telephony"] == {EAST: 0, WEST: 100}
    assert written["version"] != document["version"]
    assert lam.invoked == ["connectdr-acme-care-failover-controller"]
    assert "pulumi config set --path 'connectdr:traffic.telephony[\"us-east-1\"]' 0 --stack primary" in out.getvalue()
    assert tables[EAST].items == {}


def test_split_direct_rejects_a_bad_split_before_writing():
    tables = {EAST: FakeTable(), WEST: FakeTable()}
    with pytest.raises(DriverError, match="percentages must sum to 100"):
        run_split(FakeBackend(), cloud_with(tables=tables), {"telephony": {EAST: 20, WEST: 20}}, direct_region=WEST)
    assert tables[WEST].items == {}
