"""The synced tables' layout under global tables' last-writer-wins replication, in a model of two replicas
(agent_state and contacts alike).

Each replica applies its own region's writes at once (conditions are checked against it alone) and the
other region's writes when replication delivers them, in any order and at any delay; a replicated write
replaces the local item only if it was written later (last writer wins). stream_sync's real writer runs
against the model. With one item per key and writing region, readers in both regions end with the newest
state whatever the interleaving; with one item per key (the first build's layout) they do not.
"""

from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from boto3.dynamodb.types import TypeDeserializer
from botocore.exceptions import ClientError
from conftest import load_lambda
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.workload import agent_event, agent_id, contact_record, kinesis_record

load_lambda("stream_sync")
from items import newest  # noqa: E402
from records import Record, decode  # noqa: E402
from writer import DynamoStore, apply_changes  # noqa: E402

EAST, WEST = "us-east-1", "us-west-2"
T0 = datetime(2026, 11, 24, 14, 0, tzinfo=UTC)
CONDITION = "attribute_not_exists(#v) OR #v < :incoming"
_deserializer = TypeDeserializer()


@dataclass
class Replicated:
    """A global table's replicas in two regions, with replication as a queue the test delivers from."""

    one_item_per_key: bool = False
    replicas: dict[str, dict[tuple[str, ...], tuple[int, dict[str, Any]]]] = field(
        default_factory=lambda: {EAST: {}, WEST: {}}
    )
    in_flight: list[tuple[str, tuple[str, ...], int, dict[str, Any]]] = field(default_factory=list)
    clock: int = 0

    def _key(self, item: dict[str, Any]) -> tuple[str, ...]:
        key = (item.get("agentId") or item["contactId"])["S"]
        return (key,) if self.one_item_per_key else (key, item["writerRegion"]["S"])

    def client(self, region: str) -> "ReplicaClient":
        return ReplicaClient(self, region)

    def deliver(self, index: int) -> None:
        """Replication delivers one write to the other replica: last writer wins by write time."""
        target, key, written_at, item = self.in_flight.pop(index % len(self.in_flight))
        current = self.replicas[target].get(key)
        if current is None or current[0] < written_at:
            self.replicas[target][key] = (written_at, item)

    def read(self, region: str, key: str) -> dict[str, Any] | None:
        """A reader in `region`: the key's items there (an agent's or a contact's), the newest version."""
        items = [
            {name: _deserializer.deserialize(value) for name, value in item.items()}
            for stored, (_, item) in self.replicas[region].items()
            if stored[0] == key
        ]
        return newest(items)


@dataclass
class ReplicaClient:
    table: Replicated
    region: str

    def put_item(self, TableName: str, Item: dict[str, Any], **condition: Any) -> dict[str, Any]:
        assert condition["ConditionExpression"] == CONDITION, "the model evaluates stream_sync's condition only"
        key = self.table._key(Item)
        local = self.table.replicas[self.region].get(key)
        incoming = condition["ExpressionAttributeValues"][":incoming"]["S"]
        if local is not None and local[1]["version"]["S"] >= incoming:
            raise ClientError({"Error": {"Code": "ConditionalCheckFailedException", "Message": ""}}, "PutItem")
        self.table.clock += 1
        self.table.replicas[self.region][key] = (self.table.clock, Item)
        other = WEST if self.region == EAST else EAST
        self.table.in_flight.append((other, key, self.table.clock, Item))
        return {}


def stream_of(region: str, name: str) -> str:
    """The stream a region's instance publishes to: each region's stream_sync reads its own."""
    return f"arn:aws:kinesis:{region}:123456789012:stream/connectdr-{name}"


def sync(table: Replicated, region: str, agent: int, second: int, status: str) -> None:
    """stream_sync in `region` writes one agent event (its real decode and writer)."""
    instance = f"arn:aws:connect:{region}:123456789012:instance/i"
    body = agent_event(agent, T0 + timedelta(seconds=second), status=status, instance_arn=instance)
    change = decode(Record.of(kinesis_record(body, second + 1, stream=stream_of(region, "agent-events"))))
    apply_changes([change], DynamoStore(table.client(region), {"agent_state": "agent_state"}, region))


EVENTS = st.tuples(st.just("event"), st.sampled_from([EAST, WEST]), st.integers(0, 2), st.integers(0, 600))
DELIVERIES = st.tuples(st.just("deliver"), st.integers(0, 50))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(EVENTS, DELIVERIES), max_size=40), st.randoms(use_true_random=False))
def test_any_interleaving_of_writes_and_replication_ends_with_the_newest_state(steps, rng):
    table = Replicated()
    newest_event: dict[str, tuple[int, str]] = {}
    seen: dict[tuple[str, str], str] = {}
    for step in steps:
        if step[0] == "event":
            _, region, agent, second = step
            status = f"{region}@{second}"
            sync(table, region, agent, second, status)
            newest_event[agent_id(agent)] = max(newest_event.get(agent_id(agent), (-1, "")), (second, status))
        elif table.in_flight:
            table.deliver(step[1])
        for region in (EAST, WEST):
            for agent in newest_event:
                read = table.read(region, agent)
                if read is not None:
                    assert read["version"] >= seen.get((region, agent), ""), "a reader went back in time"
                    seen[(region, agent)] = read["version"]
    while table.in_flight:
        table.deliver(rng.randrange(len(table.in_flight)))
    for agent, (_second, _status) in newest_event.items():
        east, west = table.read(EAST, agent), table.read(WEST, agent)
        assert east == west, "the replicas disagree after replication drained"
        assert east["eventTimestamp"] == (T0 + timedelta(seconds=_second)).isoformat(timespec="milliseconds").replace(
            "+00:00", "Z"
        )


def test_the_model_shows_why_one_item_per_key_loses_the_newest_state():
    """An agent moves from us-east-1 to us-west-2: the newer state is written in us-west-2 first, the older
    one in us-east-1 before replication arrives. With one item per key the older write is the later one,
    and last writer wins makes it the state in both regions."""
    for one_item_per_key, expected in ((True, "Available"), (False, "Break")):
        table = Replicated(one_item_per_key=one_item_per_key)
        sync(table, WEST, 1, 60, "Break")
        sync(table, EAST, 1, 10, "Available")
        while table.in_flight:
            table.deliver(0)
        assert table.read(EAST, agent_id(1))["status"] == table.read(WEST, agent_id(1))["status"] == expected


def sync_contact(table: Replicated, region: str, second: int, sequence: int, queue: str) -> None:
    """stream_sync in `region` writes one publication of contact c-1's record (LastUpdateTimestamp at
    `second`, one-second precision as Connect writes it), arriving as `sequence` on that region's stream."""
    body = contact_record("c-1", T0 + timedelta(seconds=second), queue=queue)
    body["LastUpdateTimestamp"] = (T0 + timedelta(seconds=second)).strftime("%Y-%m-%dT%H:%M:%SZ")
    body["InstanceARN"] = f"arn:aws:connect:{region}:123456789012:instance/i"
    change = decode(Record.of(kinesis_record(body, sequence, stream=stream_of(region, "ctr"))))
    apply_changes([change], DynamoStore(table.client(region), {"contacts": "contacts"}, region))


CONTACT_EVENTS = st.tuples(st.just("event"), st.sampled_from([EAST, WEST]), st.integers(0, 5))


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(CONTACT_EVENTS, DELIVERIES), max_size=40), st.randoms(use_true_random=False))
def test_contact_records_from_either_region_end_as_the_newest_publication_in_both(steps, rng):
    """A contact's record published again (an update, or a copy) in either region, often within one second:
    after replication both regions read the publication with the newest LastUpdateTimestamp, and within
    one second and one region the later one on the stream; readers never go back in time."""
    table = Replicated()
    published: list[tuple[int, str, int, str]] = []
    seen = {EAST: "", WEST: ""}
    for sequence, step in enumerate(steps, start=1):
        if step[0] == "event":
            _, region, second = step
            queue = f"{region}#{sequence}"
            sync_contact(table, region, second, sequence, queue)
            published.append((second, region, sequence, queue))
        elif table.in_flight:
            table.deliver(step[1])
        for region in (EAST, WEST):
            read = table.read(region, "c-1")
            if read is not None:
                assert read["version"] >= seen[region], "a reader went back in time"
                seen[region] = read["version"]
    while table.in_flight:
        table.deliver(rng.randrange(len(table.in_flight)))
    if not published:
        return
    east, west = table.read(EAST, "c-1"), table.read(WEST, "c-1")
    assert east == west, "the replicas disagree after replication drained"
    newest_second = max(second for second, *_ in published)
    latest = [p for p in published if p[0] == newest_second]
    assert east["queueName"] in {queue for *_, queue in latest}, "an older LastUpdateTimestamp won"
    for region in (EAST, WEST):
        in_region = [p for p in latest if p[1] == region]
        if in_region and east["handledInRegion"] == region:
            assert east["queueName"] == max(in_region, key=lambda p: p[2])[3], "an earlier publication won"
