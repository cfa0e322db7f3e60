"""The deployed controller is the pure rules: any sequence of invocations through `evaluate`, with its
state in a moto table between them, decides exactly what `decide` decides with the state carried in
memory; and what the store reads back is what the rules remembered."""

import itertools
import json
import random

import boto3
from conftest import load_lambda
from hypothesis import given, settings
from hypothesis import strategies as st
from moto import mock_aws

from bench.failover_world import DEFAULT_ARN, EAST, GROUP_ARN, WEST, World, desired_document
from bench.fake_aws import MemoryTable

load_lambda("failover_controller")
from decisions import HEALTHY, Memory, Observation, PeerReport, Settings, Split, Traffic, decide  # noqa: E402
from desired import parse_desired  # noqa: E402
from health import STATES  # noqa: E402
from store import ConfigTable  # noqa: E402

SETTINGS = Settings(healthy_evaluations_before_failback=2, cooldown_seconds=240, tie_breaker=True)
STEP_CHOICES = (
    [1.0, 4.0, 30.0, 55.0, 61.0, 90.0, 200.0],
    ["OK", "OK", "ALARM", "INSUFFICIENT_DATA"],
    ["OK", "OK", "ALARM", "INSUFFICIENT_DATA", "unreachable"],
    [None, None, ("healthy", 5.0), ("unhealthy", 5.0), ("unknown", 5.0), ("healthy", 400.0)],
    [None, None, None, 70, 100, 50],
)
"""Per invocation: seconds since the last, own alarm, peer alarm (or unreadable), the peer's report (health,
age) if it wrote one, and a new desired telephony share for us-east-1 if Pulumi wrote one."""
STEP = st.tuples(*(st.sampled_from(options) for options in STEP_CHOICES))
NAMES = itertools.count()


def fresh_tables() -> dict:
    """Config tables with the real key schema (new names per example: moto runs once per test)."""
    tables = {}
    for region in (EAST, WEST):
        tables[region] = boto3.resource("dynamodb", region_name=region).create_table(
            TableName=f"config-{next(NAMES)}",
            KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
            AttributeDefinitions=[
                {"AttributeName": "pk", "AttributeType": "S"},
                {"AttributeName": "sk", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
    return tables


def apply_pure(current: Traffic, decision) -> Traffic:
    if decision.target is None:
        return current
    return Traffic.of(current.default_arn, {**dict(current.splits), **dict(decision.target.splits)})


def compare(steps, tables) -> None:
    """Run `steps` through the deployed controller (us-west-2) and through `decide`, side by side."""
    world = World(tables, {EAST: SETTINGS, WEST: SETTINGS})
    world.write_desired(desired_document())
    document = desired_document()
    world.now = 1_000_000.0
    memory, changed_at, report = Memory(), None, None
    current = Traffic.of(
        DEFAULT_ARN,
        {
            DEFAULT_ARN: Split({EAST: 50, WEST: 50}, {EAST: 50, WEST: 50}, {EAST: True, WEST: True}),
            GROUP_ARN: Split({EAST: 70, WEST: 30}, {EAST: 70, WEST: 30}),
        },
    )
    for wait, own_alarm, other_alarm, peer, new_split in steps:
        world.now += wait
        if new_split is not None:
            document = desired_document({EAST: new_split, WEST: 100 - new_split}, version=f"v{new_split}")
            world.write_desired(document, (WEST,))
        world.alarms[WEST].set(own_alarm, world.now)
        world.alarms[EAST].set(other_alarm if other_alarm != "unreachable" else world.alarms[EAST].state, world.now)
        world.alarm_reads[(WEST, EAST)] = other_alarm != "unreachable"
        if peer is not None:  # the peer controller writes its item (replicated here); it stays until the next
            report = PeerReport(peer[0], world.now - peer[1])
            world.tables[WEST].table.put_item(
                Item={
                    "pk": "controller",
                    "sk": EAST,
                    "document": json.dumps({"report": {"health": report.health, "at": report.at}}),
                }
            )
        deployed = world.invoke(WEST)
        assert deployed.error is None, deployed.error
        other = STATES[world.alarms[EAST].state] if other_alarm != "unreachable" else "unknown"
        since = world.alarms[EAST].since if other_alarm != "unreachable" else None
        decision = decide(
            desired=parse_desired(document, world.now).traffic,
            current=current,
            own_region=WEST,
            other_region=EAST,
            observation=Observation(
                STATES[own_alarm], other, since, report, changed_at, parse_desired(document, world.now).identity
            ),
            memory=memory,
            override=parse_desired(document, world.now).override,
            now=world.now,
            settings=SETTINGS,
        )
        result = deployed.result
        assert (result["decided"], result["reason"], result["condition"]) == (
            decision.action,
            decision.reason,
            decision.condition,
        )
        assert result["written"] == list(decision.writes)
        memory, current = decision.memory, apply_pure(current, decision)
        changed_at = world.now if DEFAULT_ARN in decision.writes else changed_at
        assert ConfigTable(world.tables[WEST].table, WEST, EAST).memory() == memory


@settings(max_examples=150, deadline=None)
@given(st.lists(STEP, min_size=1, max_size=20))
def test_deployed_evaluations_decide_what_the_pure_rules_decide(steps):
    compare(steps, {EAST: MemoryTable(), WEST: MemoryTable()})


def test_deployed_evaluations_on_moto_decide_what_the_pure_rules_decide(aws_env):
    """The same with moto's DynamoDB behind the store: a long seeded sequence of invocations."""
    rng = random.Random(12)
    steps = [tuple(rng.choice(options) for options in STEP_CHOICES) for _ in range(50)]
    with mock_aws():
        compare(steps, fresh_tables())


def test_the_store_round_trips_every_part_of_the_memory(aws_env):
    from decisions import ShiftRecord

    with mock_aws():
        table = fresh_tables()[EAST]
        store = ConfigTable(table, EAST, WEST)
        memory = Memory(
            healthy_streak=((EAST, 4), (WEST, 2)),
            counted_at=((EAST, 1234.5), (WEST, 1200.25)),
            other_unknown_streak=2,
            unknown_counted_at=1190.125,
            alerted="other-unknown",
            shift=ShiftRecord(at=1100.5, last_shift_at=1100.5, failed_away_from=WEST, forced=False),
            seen=((DEFAULT_ARN, f"{EAST}=0,{WEST}=100"), (GROUP_ARN, f"{EAST}=0,{WEST}=100")),
            before=((DEFAULT_ARN, f"{EAST}=50,{WEST}=50"), (GROUP_ARN, f"{EAST}=70,{WEST}=30")),
            unexplained_since=1150.0,
            desired="v7/default",
            desired_since=1000.0,
        )
        store.save(memory, HEALTHY, 1300.0, "silent")
        assert store.memory() == memory
        peer_view = ConfigTable(table, WEST, EAST).peer()
        assert peer_view == PeerReport(HEALTHY, 1300.0, memory.shift, "silent", "v7/default")
