"""Follow the agents: the default group's telephony split follows where agents are staffed, smoothed, in steps
of 10 within the operator's bounds, moved by the tie-breaker's controller only and only while both regions are
healthy; failover and overrides win. The rules (pure, property-tested), the desired item's section, and the
deployed path (GetCurrentMetricData in both regions, faked to botocore's model)."""

import itertools
import math
from dataclasses import replace

import pytest
from conftest import load_lambda
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.failover_world import DEFAULT_ARN, EAST, GROUP_ARN, REGIONS, WEST, World, desired_document, other
from bench.fake_aws import MemoryTable

load_lambda("failover_controller")
from decisions import (  # noqa: E402
    FAILOVER,
    FOLLOW,
    FORCE,
    HEALTHY,
    NONE,
    SWEEP_JITTER_SECONDS,
    UNHEALTHY,
    UNKNOWN,
    FollowAgents,
    Memory,
    Observation,
    Override,
    PeerReport,
    Settings,
    ShiftRecord,
    Split,
    Staffing,
    Traffic,
    decide,
)
from desired import DesiredInvalid, parse_desired  # noqa: E402

DEFAULT, GROUP = "tdg-default", "tdg-vip"
FOLLOW_SETTINGS = FollowAgents(min_percent=20, max_percent=80, smoothing_seconds=300, interval_seconds=120)
LEADER = Settings(healthy_evaluations_before_failback=3, cooldown_seconds=300, tie_breaker=True)
OTHER = replace(LEADER, tie_breaker=False)
NOW = 10_000.0


def traffic(east: int, group_east: int = 70, agents_east: int = 50) -> Traffic:
    default = Split(
        {EAST: east, WEST: 100 - east}, {EAST: agents_east, WEST: 100 - agents_east}, {EAST: True, WEST: True}
    )
    return Traffic.of(DEFAULT, {DEFAULT: default, GROUP: Split({EAST: group_east, WEST: 100 - group_east})})


def staffing(east: float, west: float) -> Staffing:
    return Staffing(((EAST, east), (WEST, west)))


NO_MEMORY, NO_OVERRIDE = Memory(), Override()


def run(current, own, observation, memory=NO_MEMORY, config=LEADER, override=NO_OVERRIDE, now=NOW):
    return decide(
        desired=traffic(50),
        current=current,
        own_region=own,
        other_region=other(own),
        observation=observation,
        memory=memory,
        override=override,
        now=now,
        settings=config,
        follow=FOLLOW_SETTINGS,
    )


def healthy(measured: Staffing | None = None, at: float = NOW - 20) -> Observation:
    return Observation(HEALTHY, HEALTHY, peer=PeerReport(HEALTHY, at), staffing=measured)


tens = st.integers(0, 10).map(lambda n: n * 10)
HEALTH = st.sampled_from([HEALTHY, HEALTHY, UNHEALTHY, UNKNOWN])
OVERRIDES = st.sampled_from(
    [Override(), Override(), Override("freeze"), Override("force", EAST), Override("force", WEST)]
)


@settings(max_examples=300)
@given(
    tens,
    tens,
    st.sampled_from(REGIONS),
    st.booleans(),
    HEALTH,
    HEALTH,
    OVERRIDES,
    st.none() | st.floats(0, 100),
    st.none() | st.floats(0, 600),
    st.floats(0, 60),
    st.floats(0, 60),
    st.none() | st.sampled_from(REGIONS),
)
def test_the_split_follows_the_agents_only_from_the_tie_breaker_by_one_step_within_bounds_while_both_are_healthy(
    east,
    group_east,
    own,
    tie_breaker,
    own_health,
    other_health,
    override,
    smoothed,
    since,
    east_agents,
    west_agents,
    failed,
):
    current = traffic(east, group_east)
    memory = Memory(
        staffed_share=smoothed,
        staffed_at=NOW - 30 if smoothed is not None else None,
        shift=ShiftRecord(at=1.0, last_shift_at=None if since is None else NOW - since, failed_away_from=failed),
    )
    observation = Observation(
        own_health, other_health, peer=PeerReport(HEALTHY, NOW - 20), staffing=staffing(east_agents, west_agents)
    )
    config = replace(LEADER, tie_breaker=tie_breaker)
    decision = run(current, own, observation, memory, config, override)
    low, high = FOLLOW_SETTINGS.bounds()
    before = current.split(DEFAULT)
    after = decision.target.split(DEFAULT) if decision.target is not None else before
    if decision.action in (FAILOVER, FORCE) or not low <= east <= high or after.telephony == before.telephony:
        assert decision.action != FOLLOW
        return
    assert tie_breaker and (own_health, other_health) == (HEALTHY, HEALTHY) and override.mode == "none"
    assert observation.staffing.share_of(own) is not None, "a step without agents measured now"
    assert failed is None, "a failback in progress is finished first"
    assert since is None or since >= FOLLOW_SETTINGS.interval_seconds - SWEEP_JITTER_SECONDS
    moved = after.share_of(own) - before.share_of(own)
    assert abs(moved) == 10 and low <= after.share_of(own) <= high
    wanted = decision.memory.staffed_share
    assert (moved > 0) == (wanted > before.share_of(own)), "a step away from where the agents are"
    if decision.action == FOLLOW:
        assert decision.writes == (DEFAULT,), "only the default group follows the agents"
        assert (after.agents, after.sign_in) == (before.agents, before.sign_in)


@given(tens, st.floats(0, 100), st.sampled_from(REGIONS))
def test_the_controller_that_does_not_follow_never_moves_a_followed_split_within_the_bounds(east, smoothed, own):
    low, high = FOLLOW_SETTINGS.bounds()
    memory = Memory(staffed_share=smoothed, staffed_at=NOW - 30)
    decision = run(traffic(east), own, healthy(staffing(smoothed, 100 - smoothed)), memory, OTHER)
    if low <= east <= high:
        assert decision.target is None or decision.target.split(DEFAULT).share_of(EAST) == east
    else:
        assert decision.target.split(DEFAULT).share_of(EAST) == min(max(east, low), high), "into the bounds"


def follow(shares_east, *, minutes: int, start: int = 50, interval: float = 60.0) -> list[int]:
    """The tie-breaker's controller evaluated every `interval` s with the staffing given per evaluation: the
    default group's share for us-east-1 after each."""
    current, memory, shares = traffic(start), Memory(), []
    for index in range(minutes):
        now = NOW + interval * index
        east = shares_east(index)
        decision = run(current, EAST, healthy(staffing(east, 100 - east), at=now - 10), memory, now=now)
        memory, current = decision.memory, decision.target or current
        shares.append(current.split(DEFAULT).share_of(EAST))
    return shares


def test_a_staffing_shift_moves_the_split_step_by_step_up_to_the_bound_and_no_further():
    shares = follow(lambda _minute: 90.0, minutes=16)
    assert shares[-1] == 80 and sorted(shares) == shares, "one way, up to maxPercent"
    changes = [index for index in range(1, len(shares)) if shares[index] != shares[index - 1]]
    assert all(b - a >= 2 for a, b in itertools.pairwise(changes)), "at most one step per interval (120 s)"


def test_staffing_that_hovers_between_two_steps_does_not_move_the_split_back_and_forth():
    shares = [50, *follow(lambda minute: 65.0 + (4.0 if minute % 2 else -4.0), minutes=60)]
    moves = [b - a for a, b in itertools.pairwise(shares) if b != a]
    assert moves and all(move > 0 for move in moves), f"back and forth: {shares}"
    assert shares[-1] in (60, 70) and len(set(shares[-30:])) == 1


def test_the_share_is_smoothed_with_the_configured_time_constant():
    first = run(traffic(50), EAST, healthy(staffing(80, 20)), Memory())
    assert first.memory.staffed_share == pytest.approx(80.0), "a first measurement counts in full"
    later = run(traffic(50), EAST, healthy(staffing(20, 80)), first.memory, now=NOW + 60)
    assert later.memory.staffed_share == pytest.approx(80 - 60 * (1 - math.exp(-60 / 300)))
    unknown = run(traffic(50), EAST, healthy(staffing(0, 0)), first.memory, now=NOW + 60)
    assert unknown.memory.staffed_share == first.memory.staffed_share, "no agents anywhere: nothing learned"


def test_failover_and_overrides_win_over_the_agents():
    memory = Memory(staffed_share=90.0, staffed_at=NOW - 30)
    failover = run(traffic(50), WEST, Observation(HEALTHY, UNHEALTHY, peer=PeerReport(UNHEALTHY, NOW - 5)), memory)
    assert failover.action == FAILOVER and not failover.target.carries(EAST)
    forced = run(traffic(50), WEST, healthy(), memory, override=Override("force", WEST))
    assert forced.action == FORCE and not forced.target.carries(EAST)
    frozen = run(traffic(50), EAST, healthy(staffing(90, 10)), memory, override=Override("freeze"))
    assert frozen.target is None


def test_no_step_toward_a_region_whose_alarm_is_not_ok():
    memory = Memory(staffed_share=90.0, staffed_at=NOW - 30)
    for own_health, other_health in ((HEALTHY, UNKNOWN), (UNKNOWN, HEALTHY), (UNHEALTHY, HEALTHY)):
        observation = Observation(
            own_health, other_health, peer=PeerReport(HEALTHY, NOW - 5), staffing=staffing(90, 10)
        )
        assert run(traffic(50), EAST, observation, memory).action != FOLLOW


def test_after_a_failover_the_failback_returns_the_region_to_its_minimum_and_the_agents_take_it_from_there():
    memory = Memory(
        healthy_streak=((EAST, 5), (WEST, 5)),
        counted_at=((EAST, NOW - 50), (WEST, NOW - 50)),
        shift=ShiftRecord(at=NOW - 900, last_shift_at=NOW - 900, failed_away_from=EAST),
        staffed_share=70.0,
        staffed_at=NOW - 30,
    )
    failed_over = Traffic.of(
        DEFAULT, {DEFAULT: Split.all_to(WEST, REGIONS), GROUP: Split.all_to(WEST, REGIONS, with_sign_in=False)}
    )
    back = run(failed_over, EAST, healthy(staffing(70, 30)), memory)
    assert back.target.split(DEFAULT).share_of(EAST) == FOLLOW_SETTINGS.bounds()[0], "back to the bound, not 50"
    assert back.target.split(GROUP).share_of(EAST) == 70, "custom groups keep their configured split"


def follow_document(**changes) -> dict:
    settings_ = {
        "metric": "AGENTS_STAFFED",
        "minPercent": 20,
        "maxPercent": 80,
        "smoothingMinutes": 5,
        "intervalMinutes": 2,
    }
    return desired_document(follow_agents={**settings_, **changes})


def test_the_desired_item_carries_the_mode_and_a_broken_section_is_refused_naming_the_key():
    parsed = parse_desired(follow_document(), NOW)
    assert (
        parsed.following.settings == FollowAgents(20, 80, 300.0, 120.0) and parsed.following.metric == "AGENTS_STAFFED"
    )
    assert parse_desired(desired_document(), NOW).following is None
    for change, message in (
        ({"metric": "AGENTS_ON_CALL"}, "followAgents.metric = 'AGENTS_ON_CALL': must be one of AGENTS_STAFFED"),
        ({"minPercent": 25}, "followAgents.minPercent = 25: a multiple of 10 from 0 to 50"),
        ({"maxPercent": 40}, "followAgents.maxPercent = 40: a multiple of 10 from 50 to 100"),
        ({"intervalMinutes": 0}, "followAgents.intervalMinutes = 0: whole minutes from 1 to 60"),
    ):
        with pytest.raises(DesiredInvalid, match=message.replace("(", r"\(").replace(")", r"\)")):
            parse_desired(follow_document(**change), NOW)
    broken = follow_document()
    broken["followAgents"]["queues"] = []
    with pytest.raises(DesiredInvalid, match=r"followAgents.queues = \[\]: must list 1 to 100 queue ids"):
        parse_desired(broken, NOW)


def followed_world(east_agents: float, west_agents: float | None) -> World:
    config = {
        EAST: replace(LEADER, healthy_evaluations_before_failback=2),
        WEST: replace(OTHER, healthy_evaluations_before_failback=2),
    }
    world = World({EAST: MemoryTable(), WEST: MemoryTable()}, config)
    world.write_desired(follow_document(intervalMinutes=1, smoothingMinutes=1))
    world.connect.staffed = {EAST: east_agents, **({WEST: west_agents} if west_agents is not None else {})}
    return world


def sweeps(world: World, minutes: int) -> None:
    for _ in range(minutes):
        world.now += 60
        for region in REGIONS:
            world.invoke(region)


def test_deployed_the_tie_breaker_reads_both_regions_staffing_and_moves_the_default_group_step_by_step():
    world = followed_world(east_agents=45, west_agents=5)
    sweeps(world, 8)
    assert all(invocation.error is None for invocation in world.log)
    moves = [(region, shares[EAST]) for _, region, arn, shares in world.connect.updates if arn == DEFAULT_ARN]
    assert moves == [(EAST, 60), (EAST, 70), (EAST, 80)]
    assert world.connect.groups[GROUP_ARN].telephony == {EAST: 70, WEST: 30}, "custom groups are not followed"
    assert {region for region, _ in world.connect.metric_reads} == {EAST, WEST}
    assert {metric for _, metric in world.connect.metric_reads} == {"AGENTS_STAFFED"}
    assert len(world.connect.metric_reads) == 2 * 8, "only the tie-breaker's controller measures, both regions"
    follow_audits = [i.result for i in world.log if i.result and i.result["decided"] == FOLLOW]
    assert follow_audits[0]["staffed"] == {EAST: 45.0, WEST: 5.0}


def test_deployed_staffing_that_cannot_be_read_in_one_region_moves_nothing():
    world = followed_world(east_agents=45, west_agents=None)
    sweeps(world, 2)
    assert world.east_share() == 60, "a region answering no result has no agents staffed: a real answer"
    world.connect.failing_metrics = {WEST}
    world.connect.staffed = {EAST: 45, WEST: 0}
    sweeps(world, 5)
    assert world.east_share() == 60, "a region that cannot be read is not a region without agents"
    assert all(i.error is None for i in world.log) and world.log[-2].result["decided"] == NONE
    assert "staffed" not in world.log[-2].result


def test_deployed_a_failover_while_following_sends_every_group_away_and_the_agents_resume_after_failback():
    world = followed_world(east_agents=30, west_agents=30)
    sweeps(world, 3)
    world.alarms[EAST].set("ALARM", world.now)
    world.invoke(WEST)
    assert world.east_share() == 0 and world.connect.groups[GROUP_ARN].telephony[EAST] == 0
    world.alarms[EAST].set("OK", world.now + 30)
    world.connect.staffed = {EAST: 45, WEST: 5}
    sweeps(world, 25)
    assert world.east_share() == 80, "failback, then the agents move it to the bound"
