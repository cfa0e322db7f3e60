"""Fakes for the driver's tests: a stack backend, and one region's Connect, CloudWatch, table and Lambda."""

import io
import json
from typing import Any

from botocore.exceptions import ClientError
from pulumi.automation import EngineEvent

from connect.desired_split import versioned
from deploy.backend import RunOptions, StackRun
from deploy.cloud import CloudClients
from deploy.errors import DriverError

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
DESIRED = versioned(
    {
        "regions": [EAST, WEST],
        "default": {"arn": TDG, "telephony": {EAST: 50, WEST: 50}, "agents": {EAST: 50, WEST: 50}},
        "groups": [],
        "schedule": [],
        "override": {"mode": "none", "region": None},
    }
)


class FakeBackend:
    """Records what the commands ask of Pulumi; `failures` maps (stack, operation) to the error raised."""

    def __init__(self, outputs: dict | None = None, failures: dict[tuple[str, str], DriverError] | None = None):
        self.calls: list[tuple] = []
        self.failures = failures or {}
        self.stack_outputs = OUTPUTS if outputs is None else outputs

    def _maybe_fail(self, stack: str, operation: str) -> None:
        if (stack, operation) in self.failures:
            raise self.failures[(stack, operation)]

    def run(self, stack: str, operation: str, options: RunOptions, *, on_output: Any, on_event: Any = None) -> StackRun:
        self.calls.append(("run", stack, operation, options))
        on_output(f"{operation} in progress")
        if on_event is not None:
            metadata = {"op": "update", "urn": f"urn:{stack}", "type": "t"}
            on_event(EngineEvent.from_json({"resourcePreEvent": {"metadata": metadata, "planning": True}}))
        self._maybe_fail(stack, operation)
        outputs = self.stack_outputs.get(stack) if operation == "up" else None
        return StackRun({"same": 10, "update": 1}, outputs)

    def outputs(self, stack: str) -> dict:
        self.calls.append(("outputs", stack))
        self._maybe_fail(stack, "outputs")
        if stack not in self.stack_outputs:
            raise DriverError(f"{stack}: no outputs", 4)
        return self.stack_outputs[stack]

    def set_config(self, stack: str, values: dict) -> None:
        self.calls.append(("set_config", stack, values))
        self._maybe_fail(stack, "set_config")

    def remove_config(self, stack: str, keys: list) -> None:
        self.calls.append(("remove_config", stack, keys))
        self._maybe_fail(stack, "remove_config")

    def init(self, stack: str, secrets_provider: str | None = None) -> bool:
        self.calls.append(("init", stack, secrets_provider))
        return stack != "primary"

    def operations(self) -> list[tuple[str, str]]:
        return [(call[1], call[2]) for call in self.calls if call[0] == "run"]


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

    def put_item(self, Item, ConditionExpression=None):
        if ConditionExpression is not None:
            expression = ConditionExpression.get_expression()  # only Attr(name).eq(value) is needed here
            assert expression["operator"] == "="
            attribute, expected = expression["values"]
            current = self.items.get((Item["pk"], Item["sk"]), {}).get(attribute.name)
            if current != expected:
                error = {
                    "Error": {"Code": "ConditionalCheckFailedException", "Message": "The conditional request failed"}
                }
                raise ClientError(error, "PutItem")
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

    def desired(self) -> dict:
        return json.loads(self.items[("traffic", "desired")]["document"])


def table_with_desired(document: dict = DESIRED) -> FakeTable:
    table = FakeTable()
    table.put_item({"pk": "traffic", "sk": "desired", "document": json.dumps(document), "version": document["version"]})
    return table


class FakeLambda:
    def __init__(self) -> None:
        self.invoked: list[str] = []

    def invoke(self, FunctionName, InvocationType, Payload):
        self.invoked.append(FunctionName)
        return {
            "StatusCode": 200,
            "Payload": io.BytesIO(json.dumps({"reason": "us-east-1 unhealthy: all traffic to us-west-2"}).encode()),
        }


def cloud_with(connect=None, watches=None, tables=None, lam=None) -> CloudClients:
    connect = connect or FakeConnect()
    watches = watches or {EAST: FakeCloudWatch(), WEST: FakeCloudWatch()}
    tables = tables or {EAST: FakeTable(), WEST: FakeTable()}
    lam = lam or FakeLambda()

    def factory(service, region):
        if service.startswith("table:"):
            return tables[region]
        return {"connect": connect, "cloudwatch": watches[region], "lambda": lam}[service]

    return CloudClients(factory=factory)
