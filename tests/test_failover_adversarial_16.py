"""Adversarial checks of gradual failback, the fast failed-calls signal and follow-the-agents, on their failure
paths: a link cut while a region steps back, desired splits and overrides changing mid-step, groups that fail
to write, staffing answers of odd shapes, contact records delivered late, and the deployed path."""

import base64
import itertools
import json
import random
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from unittest.mock import patch

import pytest
from conftest import load_lambda

from bench.failover_world import EAST, GROUP_ARN, REGIONS, WEST, World, desired_document
from bench.fake_aws import FakeConnect, MemoryTable

load_lambda("failover_controller")
from decisions import NONE, Settings  # noqa: E402

STEPPED = Settings(
    healthy_evaluations_before_failback=3, cooldown_seconds=300, failback_step_percent=10, failback_interval_seconds=60
)


def stepped_world(step: int = 10, interval: float = 60.0) -> World:
    """us-east-1's controller is the tie-breaker; both fail back `step` points every `interval` seconds."""
    config = replace(STEPPED, failback_step_percent=step, failback_interval_seconds=interval)
    world = World({EAST: MemoryTable(), WEST: MemoryTable()}, {EAST: replace(config, tie_breaker=True), WEST: config})
    world.write_desired(desired_document())
    return world


def sweep(world: World, minute: int) -> None:
    world.now = 60.0 * minute
    for region in REGIONS:
        world.invoke(region)


def failed_over_from_west(world: World) -> None:
    """us-west-2 fails at minute 5 and recovers at minute 8: its failback is due from minute 10."""
    for minute in range(1, 10):
        if minute == 5:
            world.alarms[WEST].set("ALARM", 60.0 * minute)
        if minute == 8:
            world.alarms[WEST].set("OK", 60.0 * minute)
        sweep(world, minute)
    assert world.east_share() == 100


@pytest.mark.parametrize("step", [10, 100])
@pytest.mark.parametrize("cut_at", [10, 11, 12])
def test_a_controller_cut_off_from_the_tie_breaker_does_not_take_calls_back_that_it_would_lose_again(step, cut_at):
    """us-west-2 recovered and its failback is due, but the link is cut: its controller can read neither
    us-east-1's alarm nor get its records replicated, and us-east-1's controller (the tie-breaker) counts
    us-west-2 as failed after three sweeps and sends every call to us-east-1. Giving calls back to us-west-2
    on the strength of a report written before the cut only swings them back and forth."""
    world = stepped_world(step)
    failed_over_from_west(world)
    cut_time = 60.0 * cut_at
    for minute in range(10, 20):
        if minute == cut_at:
            world.cut()
        sweep(world, minute)
    assert all(invocation.error is None for invocation in world.log), [i.error for i in world.log if i.error]
    after_cut = [(at, east) for at, east in world.swings() if at >= cut_time]
    assert all(east == 100 for _, east in after_cut), f"calls given to the cut-off region and taken back: {after_cut}"


@pytest.mark.parametrize("caller", REGIONS)
def test_a_desired_split_that_takes_calls_from_the_stepping_region_applies_at_once(caller):
    """The operator drains us-west-2 while it is being given its share back (a step every 5 minutes): the new
    desired split gives it nothing, so there is no step left to take; it applies within the minute, by either
    controller, not after the failback interval (up to an hour) nor only from us-west-2's controller."""
    world = stepped_world(interval=300)
    failed_over_from_west(world)
    for minute in (10, 11):
        sweep(world, minute)
    assert world.east_share() == 90 and world.connect.groups[GROUP_ARN].telephony[WEST] == 10
    world.now += 5
    world.write_desired(desired_document({EAST: 100, WEST: 0}, {EAST: 100, WEST: 0}, version="v2"))
    assert world.invoke(caller).error is None
    sweep(world, 12)
    assert world.east_share() == 100 and world.connect.groups[GROUP_ARN].telephony[EAST] == 100
    sweep(world, 13)
    assert [world.log[-2].result["decided"], world.log[-1].result["decided"]] == [NONE, NONE]
    assert "failback" not in world.log[-1].result["reason"], "a failback left running after the drain"


def kinesis_record(body: dict, number: int) -> dict:
    data = base64.b64encode(json.dumps(body).encode()).decode()
    return {
        "eventID": f"shardId-000000000000:{number}",
        "eventSourceARN": f"arn:aws:kinesis:{WEST}:123456789012:stream/ctr",
        "kinesis": {"sequenceNumber": str(number), "partitionKey": "k", "data": data},
    }


def failed_call_record(contact: str, ended: datetime, updated: datetime | None = None) -> dict:
    """A voice call lost to a telecom problem, as its contact record says it."""
    stamp = "%Y-%m-%dT%H:%M:%SZ"
    return {
        "ContactId": contact,
        "Channel": "VOICE",
        "InitiationMethod": "INBOUND",
        "InitiationTimestamp": (ended - timedelta(seconds=20)).strftime(stamp),
        "ConnectedToSystemTimestamp": (ended - timedelta(seconds=19)).strftime(stamp),
        "DisconnectTimestamp": ended.strftime(stamp),
        "DisconnectReason": "TELECOM_PROBLEM",
        "LastUpdateTimestamp": (updated or ended + timedelta(seconds=1)).strftime(stamp),
    }


class VersionedStore:
    """stream_sync's conditional write on a dict: a version not newer than the item's is stale."""

    requests = 0

    def __init__(self) -> None:
        self.versions: dict[str, str] = {}

    def put_newer(self, change) -> str:
        self.requests += 1
        if self.versions.get(change.key, "") >= change.version:
            return "stale"
        self.versions[change.key] = change.version
        return "written"


class NoLetters:
    def send(self, letters: list) -> list:
        return []


def test_only_calls_that_failed_moments_ago_count_as_calls_failing_now():
    """The fast signal says calls are failing in the region now. A contact record that reaches stream_sync long
    after the call ended (a backlog caught up after a stream or table outage, or Connect republishing the
    record with new information, which the contact records data model says it does, e.g. after
    UpdateContactAttributes) is written for the first time in its newer version, but it is no evidence of calls
    failing now: counted, an outage that is over fails the region again (with `confirmation: none`, on its own)."""
    handler = load_lambda("stream_sync")
    now = datetime(2026, 11, 25, 12, 0, 0, tzinfo=UTC)
    store = VersionedStore()
    fresh = [kinesis_record(failed_call_record(f"fresh-{n}", now - timedelta(seconds=20)), n) for n in range(3)]
    _, summary = handler.process({"Records": fresh}, store, NoLetters(), now=now.timestamp())
    assert summary.failed_calls == 3
    hour_ago = now - timedelta(hours=1)
    backlog = [kinesis_record(failed_call_record(f"old-{n}", hour_ago), 10 + n) for n in range(5)]
    republished = [kinesis_record(failed_call_record("fresh-0", now - timedelta(seconds=20), now), 20)]
    republished += [kinesis_record(failed_call_record("old-0", hour_ago, now - timedelta(seconds=5)), 21)]
    _, late = handler.process({"Records": backlog + republished}, store, NoLetters(), now=now.timestamp() + 600)
    assert late.items_written == 6, "the late records are still written"
    assert late.failed_calls == 0, "calls that failed minutes or an hour ago counted as failing now"


def test_a_failover_from_the_tie_breaker_does_not_wait_on_the_dark_regions_staffing():
    """Follow-the-agents reads GetCurrentMetricData in both regions, but the rules use it only while both regions'
    alarms read OK. When the peer region is dark, its endpoint answers nothing: each attempt runs into the
    client's timeouts (seconds, three attempts), on top of the DescribeAlarms that already did, within the
    controller's 60 s. The evaluation that fails over must not spend that time on agents it will not follow."""
    config = replace(STEPPED, tie_breaker=True)
    world = World({EAST: MemoryTable(), WEST: MemoryTable()}, {EAST: config, WEST: replace(config, tie_breaker=False)})
    follow = {"metric": "AGENTS_STAFFED", "minPercent": 20, "maxPercent": 80, "smoothingMinutes": 5}
    world.write_desired(desired_document(follow_agents={**follow, "intervalMinutes": 2}))
    world.connect.staffed = {EAST: 10, WEST: 10}
    attempts: list[tuple[float, str]] = []
    original = FakeConnect.get_current_metric_data

    def counted(self: FakeConnect, **params):
        attempts.append((world.now, self.region))
        return original(self, **params)

    with patch.object(FakeConnect, "get_current_metric_data", counted):
        for minute in range(1, 4):
            sweep(world, minute)
        assert {region for _, region in attempts} == {EAST, WEST}, "both regions are measured while both are OK"
        world.dark.add(WEST)
        for minute in range(4, 10):
            sweep(world, minute)
    assert world.east_share() == 100, "the tie-breaker fails the dark region over"
    assert not [at for at, region in attempts if region == WEST and at >= 240], "asked the dark region for its agents"


def test_a_controller_deployed_before_gradual_failback_still_fails_back_in_one_move():
    """An environment without the FAILBACK_* variables (a stack not yet updated) reads as one-step failback."""
    handler = load_lambda("failover_controller")
    old = {"HEALTHY_EVALUATIONS_BEFORE_FAILBACK": "3", "COOLDOWN_SECONDS": "300", "TIE_BREAKER": "false"}
    settings = handler.settings_from(old)
    assert (settings.failback_step_percent, settings.failback_interval_seconds) == (100, 60.0)
    world = World(
        {EAST: MemoryTable(), WEST: MemoryTable()},
        {EAST: replace(settings, tie_breaker=True), WEST: settings},
    )
    world.write_desired(desired_document())
    failed_over_from_west(world)
    for minute in range(10, 14):
        sweep(world, minute)
    assert [east for _, east in world.swings()] == [100, 50]


def test_a_step_a_minute_is_a_step_at_every_sweep_though_sweeps_run_a_little_early_or_late():
    """EventBridge's one-minute schedule and Lambda's start do not run to the millisecond: a sweep that comes
    0.3 s less than a minute after the step found the interval not yet over, and the next step waited for the
    sweep after, so a failback of 10% a minute ran at up to half its configured pace."""
    world = stepped_world()
    rng = random.Random(3)
    for minute in range(1, 30):
        if minute == 5:
            world.alarms[WEST].set("ALARM", 60.0 * minute)
        if minute == 8:
            world.alarms[WEST].set("OK", 60.0 * minute)
        for region in REGIONS:
            world.now = 60.0 * minute + rng.uniform(0, 2)
            world.invoke(region)
    steps = [at for at, east in world.swings() if east < 100]
    assert [east for _, east in world.swings()] == [100, 90, 80, 70, 60, 50]
    assert max(b - a for a, b in itertools.pairwise(steps)) < 90, f"a sweep without its step: {steps}"


def test_following_the_agents_a_step_a_minute_is_a_step_at_every_sweep_though_sweeps_jitter():
    """The same for follow-the-agents' interval: its steps come at every due sweep, not every other one."""
    leader = replace(STEPPED, tie_breaker=True)
    world = World({EAST: MemoryTable(), WEST: MemoryTable()}, {EAST: leader, WEST: STEPPED})
    follow = {"metric": "AGENTS_STAFFED", "minPercent": 20, "maxPercent": 80, "smoothingMinutes": 1}
    world.write_desired(desired_document(follow_agents={**follow, "intervalMinutes": 1}))
    world.connect.staffed = {EAST: 90, WEST: 10}
    rng = random.Random(3)
    for minute in range(1, 12):
        for region in REGIONS:
            world.now = 60.0 * minute + rng.uniform(0, 2)
            world.invoke(region)
    steps = [at for at, _ in world.swings()]
    assert [east for _, east in world.swings()] == [60, 70, 80]
    assert max(b - a for a, b in itertools.pairwise(steps)) < 90, f"a due sweep without its step: {steps}"
