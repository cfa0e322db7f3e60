"""Property tests of the decision function, and two controllers sharing one split."""

import itertools
from dataclasses import replace

from conftest import load_lambda
from hypothesis import given, settings
from hypothesis import strategies as st

load_lambda("failover_controller")
from decisions import (  # noqa: E402
    FAILOVER,
    HEALTHY,
    NONE,
    RESTORE,
    UNHEALTHY,
    UNKNOWN,
    Memory,
    Observation,
    Override,
    Settings,
    Split,
    decide,
)

EAST, WEST = "us-east-1", "us-west-2"
REGIONS = (EAST, WEST)
HEALTH = st.sampled_from([HEALTHY, UNHEALTHY, UNKNOWN])
SETTINGS = Settings(healthy_evaluations_before_failback=3, cooldown_seconds=300, unknown_evaluations_as_unhealthy=3)


@st.composite
def splits(draw) -> Split:
    east = draw(st.integers(0, 10)) * 10
    agents_east = draw(st.integers(0, 10)) * 10
    sign_in = draw(st.sampled_from([(True, True), (True, False), (False, True)]))
    return Split(
        {EAST: east, WEST: 100 - east},
        {EAST: agents_east, WEST: 100 - agents_east},
        dict(zip(REGIONS, sign_in, strict=True)),
    )


@st.composite
def memories(draw) -> Memory:
    return Memory(
        healthy_streak=((EAST, draw(st.integers(0, 10))), (WEST, draw(st.integers(0, 10)))),
        other_unknown_streak=draw(st.integers(0, 5)),
        unknown_counted_at=draw(st.none() | st.floats(9_000, 10_000)),
        last_shift_at=draw(st.none() | st.floats(0, 10_000)),
        failed_away_from=draw(st.none() | st.sampled_from(REGIONS)),
        forced=draw(st.booleans()),
    )


OVERRIDES = st.sampled_from([Override(), Override("freeze"), Override("force", EAST), Override("force", WEST)])


NO_MEMORY, NO_OVERRIDE = Memory(), Override()


def run(desired, current, own, observation, memory=NO_MEMORY, override=NO_OVERRIDE, now=10_000.0):
    other = WEST if own == EAST else EAST
    return decide(
        desired=desired,
        current=current,
        own_region=own,
        other_region=other,
        observation=observation,
        memory=memory,
        override=override,
        now=now,
        settings=SETTINGS,
    )


def valid(split: Split) -> bool:
    values = [*split.telephony.values(), *(split.agents or {}).values()]
    return (
        all(v % 10 == 0 and 0 <= v <= 100 for v in values)
        and sum(split.telephony.values()) == 100
        and (split.agents is None or sum(split.agents.values()) == 100)
        and set(split.telephony) == set(REGIONS)
    )


@settings(max_examples=400)
@given(
    splits(),
    splits(),
    st.sampled_from(REGIONS),
    HEALTH,
    HEALTH,
    memories(),
    OVERRIDES,
    st.none() | st.sampled_from([HEALTHY, UNHEALTHY]),
)
def test_decisions_are_safe(desired, current, own, own_health, other_health, memory, override, peer):
    other = WEST if own == EAST else EAST
    observation = Observation(own_health, other_health, 9_000.0, peer, 9_500.0 if peer else None)
    decision = run(desired, current, own, observation, memory, override)
    if decision.target is None:
        assert decision.action == NONE
        return
    assert valid(decision.target)
    health = {own: own_health, other: other_health}
    for region in REGIONS:
        if health[region] != HEALTHY:
            assert decision.target.share_of(region) <= current.share_of(region), "more traffic to an unhealthy region"
    assert own_health == HEALTHY, "shifted while its own region is not healthy"
    assert decision.target in (Split.all_to(own, REGIONS), desired), (
        "moved traffic other than all toward itself or to the desired split"
    )


@given(splits(), splits(), st.sampled_from(REGIONS), memories())
def test_no_shift_while_both_regions_are_unhealthy_or_unknown(desired, current, own, memory):
    for own_health in (UNHEALTHY, UNKNOWN):
        for other_health in (UNHEALTHY, UNKNOWN):
            decision = run(desired, current, own, Observation(own_health, other_health), memory)
            assert decision.target is None and decision.alert


@given(splits(), splits(), st.sampled_from(REGIONS), HEALTH, HEALTH, memories(), OVERRIDES)
def test_idempotent_on_repeated_input(desired, current, own, own_health, other_health, memory, override):
    """The same inputs give the same decision, and repeating the observation once the decision is in
    effect (an alarm event arriving right after a sweep) changes nothing."""
    observation = Observation(own_health, other_health)
    first = run(desired, current, own, observation, memory, override)
    assert run(desired, current, own, observation, memory, override) == first
    again = run(desired, first.target or current, own, observation, first.memory, override, now=10_001.0)
    assert again.target is None


@given(st.integers(2, 20), st.lists(st.booleans(), min_size=1, max_size=60))
def test_no_flapping_under_alternating_health_shorter_than_the_hysteresis(n, pattern):
    """The other region fails, then its health alternates in runs shorter than N: one shift, no failback."""
    configured = replace(SETTINGS, healthy_evaluations_before_failback=n, cooldown_seconds=0)
    desired = Split({EAST: 50, WEST: 50}, {EAST: 50, WEST: 50}, {EAST: True, WEST: True})
    current, memory, shifts = desired, Memory(), 0
    observations = [UNHEALTHY]
    run_length = 0
    for healthy in pattern:
        run_length = run_length + 1 if healthy else 0
        if run_length >= n:
            run_length = 0
            healthy = False
        observations.append(HEALTHY if healthy else UNHEALTHY)
    for minute, other_health in enumerate(observations):
        decision = decide(
            desired=desired,
            current=current,
            own_region=EAST,
            other_region=WEST,
            observation=Observation(HEALTHY, other_health, float(minute)),
            memory=memory,
            override=Override(),
            now=minute * 60.0,
            settings=configured,
        )
        memory = decision.memory
        if decision.target is not None:
            shifts += 1
            current = decision.target
    assert shifts == 1
    assert current.share_of(EAST) == 100


def test_failback_after_n_healthy_evaluations_and_the_cooldown():
    desired = Split({EAST: 50, WEST: 50}, {EAST: 50, WEST: 50}, {EAST: True, WEST: True})
    failover = run(desired, desired, EAST, Observation(HEALTHY, UNHEALTHY))
    assert failover.action == FAILOVER and failover.target.share_of(EAST) == 100
    current, memory, actions = failover.target, failover.memory, []
    for minute in range(1, 8):
        decision = run(desired, current, EAST, Observation(HEALTHY, HEALTHY), memory, now=10_000.0 + minute * 60)
        memory, actions = decision.memory, [*actions, decision.action]
        current = decision.target or current
    assert actions[:3] == [NONE, NONE, NONE]
    assert RESTORE in actions and current == desired


def test_unknown_other_region_becomes_unhealthy_after_the_configured_evaluations():
    desired = Split({EAST: 50, WEST: 50})
    memory, actions = Memory(), []
    for minute in range(4):
        decision = run(desired, desired, EAST, Observation(HEALTHY, UNKNOWN), memory, now=10_000.0 + 60 * minute)
        memory, actions = decision.memory, [*actions, decision.action]
        extra = run(desired, desired, EAST, Observation(HEALTHY, UNKNOWN), memory, now=10_005.0 + 60 * minute)
        assert extra.memory.other_unknown_streak == memory.other_unknown_streak, "an extra invocation counted"
    assert actions == [NONE, NONE, FAILOVER, FAILOVER]


def test_ending_an_override_restores_without_waiting():
    desired = Split({EAST: 50, WEST: 50})
    forced = run(desired, desired, WEST, Observation(HEALTHY, HEALTHY), override=Override("force", WEST))
    restored = run(desired, forced.target, EAST, Observation(HEALTHY, HEALTHY), forced.memory, now=10_060.0)
    assert restored.action == RESTORE and restored.target == desired


def test_freeze_and_force():
    desired = Split({EAST: 50, WEST: 50})
    assert run(desired, desired, EAST, Observation(HEALTHY, UNHEALTHY), override=Override("freeze")).target is None
    forced = run(desired, desired, WEST, Observation(HEALTHY, HEALTHY), override=Override("force", WEST))
    assert forced.target.share_of(WEST) == 100
    assert run(desired, desired, EAST, Observation(HEALTHY, HEALTHY), override=Override("force", WEST)).target is None
    assert run(desired, desired, WEST, Observation(HEALTHY, UNHEALTHY), override=Override("force", EAST)).target is None


class SharedWorld:
    """Two controllers sharing what the real ones share: the effective split and the config table."""

    def __init__(self, desired: Split) -> None:
        self.desired, self.current = desired, desired
        self.own_memory = {EAST: Memory(), WEST: Memory()}
        self.shared: tuple[float | None, str | None, bool] = (None, None, False)
        self.reports: dict[str, tuple[str, float]] = {}
        self.shifts: list[tuple[float, str, int]] = []

    def evaluate(self, region: str, own: str, other: str, other_since: float, now: float) -> None:
        peer = WEST if region == EAST else EAST
        memory = replace(
            self.own_memory[region],
            last_shift_at=self.shared[0],
            failed_away_from=self.shared[1],
            forced=self.shared[2],
        )
        report, at = self.reports.get(peer, (None, None))
        decision = decide(
            desired=self.desired,
            current=self.current,
            own_region=region,
            other_region=peer,
            observation=Observation(own, other, other_since, report, at),
            memory=memory,
            override=Override(),
            now=now,
            settings=SETTINGS,
        )
        self.own_memory[region] = decision.memory
        self.reports[region] = (own, now)
        if decision.target is not None:
            self.current = decision.target
            self.shared = (decision.memory.last_shift_at, decision.memory.failed_away_from, decision.memory.forced)
            self.shifts.append((now, region, self.current.share_of(EAST)))


@given(st.lists(st.tuples(HEALTH, HEALTH), min_size=5, max_size=40))
def test_two_controllers_with_conflicting_views_never_oscillate(views):
    """Each believes itself healthy and the other unhealthy at times; traffic never swings back and forth."""
    world = SharedWorld(Split({EAST: 50, WEST: 50}, {EAST: 50, WEST: 50}, {EAST: True, WEST: True}))
    for minute, (east_view_of_west, west_view_of_east) in enumerate(views):
        now = 1_000.0 + minute * 60
        world.evaluate(EAST, HEALTHY, east_view_of_west, now - 30, now)
        world.evaluate(WEST, HEALTHY, west_view_of_east, now - 30, now + 5)
    holders = [share for _, _, share in world.shifts if share in (0, 100)]
    swings = sum(1 for a, b in itertools.pairwise(holders) if a != b)
    assert swings == 0, world.shifts


@given(st.lists(st.sampled_from([HEALTHY, UNHEALTHY]), min_size=5, max_size=40))
def test_two_controllers_with_the_same_view_agree(west_health):
    world = SharedWorld(Split({EAST: 50, WEST: 50}, {EAST: 50, WEST: 50}, {EAST: True, WEST: True}))
    for minute, health in enumerate(west_health):
        now = 1_000.0 + minute * 60
        world.evaluate(EAST, HEALTHY, health, now - 30, now)
        world.evaluate(WEST, health, HEALTHY, now - 30, now + 5)
        if health == UNHEALTHY:
            assert world.current.share_of(WEST) == 0
    assert all(region == EAST or share == 50 for _, region, share in world.shifts)


def test_follow_the_sun_window_in_force_replaces_the_default():
    from datetime import UTC, datetime

    from desired import parse_desired

    document = {
        "regions": [EAST, WEST],
        "default": {
            "arn": "tdg",
            "telephony": {EAST: 50, WEST: 50},
            "agents": {EAST: 50, WEST: 50},
            "signIn": {EAST: True, WEST: True},
        },
        "groups": [{"name": "vip", "arn": "tdg-vip", "telephony": {EAST: 70, WEST: 30}}],
        "schedule": [
            {
                "name": "evenings",
                "days": ["MON"],
                "startHour": 0,
                "endHour": 5,
                "telephony": {EAST: 30, WEST: 70},
                "agents": None,
            }
        ],
        "override": {"mode": "none", "region": None},
        "version": "v",
    }
    monday_night = datetime(2026, 11, 23, 3, 0, tzinfo=UTC).timestamp()
    monday_noon = datetime(2026, 11, 23, 12, 0, tzinfo=UTC).timestamp()
    night, noon = parse_desired(document, monday_night), parse_desired(document, monday_noon)
    assert (night.window, night.default.telephony, night.default.agents) == (
        "evenings",
        {EAST: 30, WEST: 70},
        {EAST: 30, WEST: 70},
    )
    assert (noon.window, noon.default.telephony) == (None, {EAST: 50, WEST: 50})
    assert night.groups[0].split.telephony == {EAST: 70, WEST: 30}
    failover = run(night.default, night.default, EAST, Observation(HEALTHY, UNHEALTHY))
    assert failover.target.share_of(EAST) == 100, "failover wins over the schedule"
