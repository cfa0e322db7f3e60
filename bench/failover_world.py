"""Two regions and their two controllers running the deployed code path, on a virtual clock.

Each invocation is `controller.evaluate` with its region's config table (moto or `MemoryTable`), so state
goes through the store exactly as in Lambda. Traffic groups are one global `ConnectService`. The link
between the regions can be cut: cross-region alarm reads fail and table replication stops, independently
per direction. A region can go dark: its controller stops and nothing in it answers.
"""

import contextlib
import io
import json
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from bench.fake_aws import Alarm, ConnectService, FakeCloudWatch, FakeSns, Group, client_error

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "lambdas" / "failover_controller"))
from controller import Clients, ControllerEnv, evaluate
from decisions import Settings

EAST, WEST = "us-east-1", "us-west-2"
REGIONS = (EAST, WEST)
ACCOUNT = "123456789012"
ALARM = "connectdr-acme-care-region-health"
DEFAULT_ARN = f"arn:aws:connect:{EAST}:{ACCOUNT}:traffic-distribution-group/99999999-8888-7777-6666-555555555555"
GROUP_ARN = f"arn:aws:connect:{EAST}:{ACCOUNT}:traffic-distribution-group/aaaaaaaa-bbbb-cccc-dddd-eeeeeeeeeeee"
INSTANCE_ID = "12345678-1234-1234-1234-123456789012"
QUEUE_IDS = ["aaaa1111-2222-3333-4444-555555555555", "bbbb1111-2222-3333-4444-555555555555"]


def other(region: str) -> str:
    return WEST if region == EAST else EAST


def desired_document(
    telephony: dict[str, int] | None = None,
    group: dict[str, int] | None = None,
    override: dict[str, Any] | None = None,
    version: str = "v1",
    follow_agents: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A desired-split document as `connect.desired_split` writes it: the default group and one custom group
    (and follow-the-agents settings, given as they are written, without the queues)."""
    telephony = telephony or {EAST: 50, WEST: 50}
    following = {"followAgents": {**follow_agents, "queues": QUEUE_IDS}} if follow_agents is not None else {}
    return {
        **following,
        "regions": [EAST, WEST],
        "default": {
            "arn": DEFAULT_ARN,
            "telephony": telephony,
            "agents": telephony,
            "signIn": dict.fromkeys(REGIONS, True),
        },
        "groups": [{"name": "vip-lines", "arn": GROUP_ARN, "telephony": group or {EAST: 70, WEST: 30}}],
        "schedule": [],
        "override": override or {"mode": "none", "region": None},
        "version": version,
    }


class RecordingTable:
    """A table that remembers which items each controller wrote (to check one writer per item), and
    whose writes can be made to fail."""

    def __init__(self, table: Any) -> None:
        self.table, self.writes, self.failing = table, [], False

    def get_item(self, **params: Any) -> dict[str, Any]:
        return self.table.get_item(**params)

    def put_item(self, Item: dict[str, Any]) -> dict[str, Any]:
        if self.failing:
            raise client_error("InternalServerError", "PutItem")
        self.writes.append((Item["pk"], Item["sk"]))
        return self.table.put_item(Item=Item)


@dataclass
class Invocation:
    at: float
    region: str
    result: dict[str, Any] | None
    error: str | None = None


@dataclass
class World:
    tables: dict[str, Any]
    settings: dict[str, Settings]
    now: float = 0.0
    connect: ConnectService = field(default_factory=ConnectService)
    alarms: dict[str, Alarm] = field(default_factory=lambda: {r: Alarm() for r in REGIONS})
    alarm_reads: dict[tuple[str, str], bool] = field(default_factory=dict)
    """(reader, region) -> whether the reader's controller can read that region's alarm."""
    alarm_views: dict[tuple[str, str], Alarm] = field(default_factory=dict)
    """(reader, region) -> the alarm as that reader gets it, when it is not what the region's alarm says."""
    replicating: dict[tuple[str, str], bool] = field(default_factory=dict)
    """(from, to) -> whether table replication flows that way."""
    dark: set[str] = field(default_factory=set)
    sns: dict[str, FakeSns] = field(default_factory=lambda: {r: FakeSns() for r in REGIONS})
    log: list[Invocation] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.connect.clock = lambda: self.now
        self.tables = {region: RecordingTable(table) for region, table in self.tables.items()}
        self.connect.groups = {
            DEFAULT_ARN: Group({EAST: 50, WEST: 50}, {EAST: 50, WEST: 50}, dict.fromkeys(REGIONS, True), True),
            GROUP_ARN: Group({EAST: 70, WEST: 30}, {EAST: 70, WEST: 30}, None, False),
        }

    def write_desired(self, document: dict[str, Any], regions: tuple[str, ...] = REGIONS) -> None:
        for region in regions:
            self.tables[region].table.put_item(
                Item={
                    "pk": "traffic",
                    "sk": "desired",
                    "document": json.dumps(document),
                    "version": document["version"],
                }
            )

    def cut(self, *, alarms: bool = True, replication: bool = True, one_way: tuple[str, str] | None = None) -> None:
        """Cut the link both ways, or only from one region toward the other (its reads of the other fail
        and its writes stop replicating there)."""
        for reader, region in [one_way] if one_way else [(EAST, WEST), (WEST, EAST)]:
            if alarms:
                self.alarm_reads[(reader, region)] = False
            if replication:
                self.replicating[(reader, region)] = False

    def heal(self) -> None:
        self.alarm_reads.clear()
        self.replicating.clear()

    def _can_read(self, reader: str, region: str) -> bool:
        return region not in self.dark and self.alarm_reads.get((reader, region), True)

    def replicate(self) -> None:
        """Copy each controller's own item to the other region (its only writer is its own controller)."""
        for source in REGIONS:
            target = other(source)
            if source in self.dark or target in self.dark or not self.replicating.get((source, target), True):
                continue
            key = {"pk": "controller", "sk": source}
            item = self.tables[source].table.get_item(Key=key, ConsistentRead=True).get("Item")
            if item:
                self.tables[target].table.put_item(Item=item)

    def invoke(self, region: str) -> Invocation:
        """One invocation of the region's controller, as Lambda runs it; an exception is the invocation's error."""
        self.replicate()
        clients = Clients(
            connect=self.connect.client(region),
            cloudwatch={
                r: FakeCloudWatch(
                    r, ALARM, self.alarm_views.get((region, r), self.alarms[r]), lambda r=r: self._can_read(region, r)
                )
                for r in REGIONS
            },
            table=self.tables[region],
            sns=self.sns[region],
            sleep=lambda _seconds: None,
            connect_by_region={r: self.connect.client(r, lambda r=r: self._can_read(region, r)) for r in REGIONS},
        )
        env = ControllerEnv(
            region, other(region), ALARM, f"arn:aws:sns:{region}:{ACCOUNT}:alerts", self.settings[region], INSTANCE_ID
        )
        before = len(self.tables[region].writes)
        try:
            with contextlib.redirect_stdout(io.StringIO()):  # the metrics log line
                invocation = Invocation(self.now, region, evaluate(clients, env, self.now))
        except Exception as error:  # Lambda records the error; the world goes on
            invocation = Invocation(self.now, region, None, f"{type(error).__name__}: {error}")
        foreign = [w for w in self.tables[region].writes[before:] if w[0] == "controller" and w[1] != region]
        assert not foreign, f"the {region} controller wrote another controller's item: {foreign}"
        self.log.append(invocation)
        self.replicate()
        return invocation

    def east_share(self) -> int:
        return self.connect.groups[DEFAULT_ARN].telephony[EAST]

    def swings(self) -> list[tuple[float, int]]:
        """(time, east share) of every change of the default group's split."""
        return [(at, telephony[EAST]) for at, _region, arn, telephony in self.connect.updates if arn == DEFAULT_ARN]
