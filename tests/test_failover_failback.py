"""Gradual failback: the recovered region gets its share back in steps, from its own controller only, one step
per interval, and the other controller fails over again at its first unhealthy signal. The rules (pure,
property-tested) and the deployed path (both controllers, state in their tables, invoked at random times)."""

import itertools
import random
from dataclasses import replace
from unittest.mock import patch

import test_failover_schedules as schedules
from conftest import load_lambda
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.failover_world import DEFAULT_ARN, EAST, GROUP_ARN, REGIONS, WEST, World, desired_document, other
from bench.fake_aws import MemoryTable

load_lambda("failover_controller")
from decisions import (  # noqa: E402
    FAILBACK_STEP,
    FAILOVER,
    HEALTHY,
    NONE,
    RESTORE,
    SWEEP_JITTER_SECONDS,
    UNHEALTHY,
    UNKNOWN,
    Memory,
    Observation,
    Override,
    PeerReport,
    Settings,
    ShiftRecord,
    Split,
    Traffic,
    decide,
)

DEFAULT, GROUP = "tdg-default", "tdg-vip"
STEPPED = Settings(
    healthy_evaluations_before_failback=3,
    cooldown_seconds=300,
    failback_step_percent=10,
    failback_interval_seconds=60,
)
NOW = 10_000.0


def split(east: int, sign_in: tuple[bool, bool] | None = (True, True)) -> Split:
    return Split(
        {EAST: east, WEST: 100 - east},
        {EAST: east, WEST: 100 - east},
        dict(zip(REGIONS, sign_in, strict=True)) if sign_in else None,
    )


def traffic(east: int, group_east: int = 70) -> Traffic:
    return Traffic.of(DEFAULT, {DEFAULT: split(east), GROUP: split(group_east, sign_in=None)})


def peer(health: str = HEALTHY, at: float = NOW - 20) -> PeerReport:
    """A fresh report of the peer controller (an unreadable alarm then reads as what it reports)."""
    return PeerReport(health, at)


def run(desired, current, own, observation, memory, now=NOW, config=STEPPED):
    return decide(
        desired=desired,
        current=current,
        own_region=own,
        other_region=other(own),
        observation=observation,
        memory=memory,
        override=Override(),
        now=now,
        settings=config,
    )


def recovered(failed: str, *, stepping: bool = False, last: float = NOW - 400) -> Memory:
    """Traffic was failed away from `failed`, which has been healthy for the hysteresis since."""
    record = ShiftRecord(at=last, last_shift_at=last, failed_away_from=failed, stepping=stepping)
    streaks = tuple(sorted((region, 5) for region in REGIONS))
    counted = tuple(sorted((region, NOW - 50) for region in REGIONS))
    return Memory(healthy_streak=streaks, counted_at=counted, shift=record)


tens = st.integers(0, 10).map(lambda n: n * 10)


@settings(max_examples=300)
@given(
    tens,
    tens,
    tens,
    tens,
    st.sampled_from(REGIONS),
    st.sampled_from(REGIONS),
    st.sampled_from([HEALTHY, HEALTHY, UNHEALTHY, UNKNOWN]),
    st.sampled_from([HEALTHY, HEALTHY, UNHEALTHY, UNKNOWN]),
    st.booleans(),
    st.floats(0, 900),
    st.sampled_from([10, 20, 30, 50]),
)
def test_failback_steps_come_only_from_the_recovered_regions_controller_and_only_raise_it_by_a_step(
    want, want_group, had, had_group, own, failed, own_health, other_health, stepping, since, step
):
    config = replace(STEPPED, failback_step_percent=step)
    desired, current = traffic(want, want_group), traffic(had, had_group)
    memory = recovered(failed, stepping=stepping, last=NOW - since)
    decision = run(desired, current, own, Observation(own_health, other_health, peer=peer()), memory, config=config)
    if decision.action != FAILBACK_STEP:
        assert decision.action in (NONE, FAILOVER, RESTORE)
        if decision.action == RESTORE and memory.shift.failed_away_from:
            assert not desired.adds_to(failed, current), "a failback with steps configured came in one move"
        return
    assert own == failed, "only the controller of the region traffic comes back to steps"
    assert own_health == HEALTHY and other_health != UNHEALTHY, "a step while a region is not healthy"
    assert not stepping or since >= config.failback_interval_seconds - SWEEP_JITTER_SECONDS, "a step too early"
    for arn, target in decision.target.splits:
        before, wanted = current.split(arn).share_of(own), desired.split(arn).share_of(own)
        gets = target.share_of(own)
        if wanted > before:
            assert before < gets <= min(wanted, before + step)
        else:
            assert gets == wanted
    assert decision.memory.shift.stepping and decision.memory.shift.failed_away_from == own


def test_a_recovered_region_gets_its_share_back_in_steps_one_per_interval_then_it_is_over():
    desired, current, memory = traffic(50, 70), traffic(0, 0), recovered(EAST)
    shares, actions = [], []
    for minute in range(12):
        now = NOW + 60 * minute
        counted = replace(memory, counted_at=tuple((r, now - 55) for r in REGIONS))
        decision = run(desired, current, EAST, Observation(HEALTHY, HEALTHY, peer=peer(at=now - 10)), counted, now=now)
        memory, current = decision.memory, decision.target or current
        shares.append((current.split(DEFAULT).share_of(EAST), current.split(GROUP).share_of(EAST)))
        actions.append(decision.action)
    assert shares[:7] == [(10, 10), (20, 20), (30, 30), (40, 40), (50, 50), (50, 60), (50, 70)]
    assert actions[:7] == [FAILBACK_STEP] * 7 and actions[7:] == [NONE] * 5
    assert memory.shift.failed_away_from is None and not memory.shift.stepping, "over once the desired split is in"


def test_the_other_controller_holds_while_the_recovered_region_steps():
    memory = recovered(EAST, stepping=True, last=NOW - 120)
    decision = run(traffic(50), traffic(20), WEST, Observation(HEALTHY, HEALTHY, peer=peer()), memory)
    assert decision.target is None and decision.condition is None
    assert "failback in progress: the us-east-1 controller" in decision.reason


def test_steps_wait_for_the_interval_and_the_service_record_of_the_last_change():
    memory = recovered(EAST, stepping=True, last=NOW - 30)
    early = run(traffic(50), traffic(20), EAST, Observation(HEALTHY, HEALTHY, peer=peer()), memory)
    assert early.target is None and "next step of 10% in 25 s" in early.reason, "due 5 s early (sweep jitter)"
    due = replace(memory, shift=replace(memory.shift, last_shift_at=NOW - 61))
    changed = Observation(HEALTHY, HEALTHY, peer=peer(), traffic_changed_at=NOW - 10)
    assert run(traffic(50), traffic(20), EAST, changed, due).target is None, "LastFailoverTime holds it too"
    assert run(traffic(50), traffic(20), EAST, Observation(HEALTHY, HEALTHY, peer=peer()), due).action == FAILBACK_STEP


def test_a_relapse_during_failback_returns_all_traffic_at_once_and_restarts_the_hysteresis():
    stepping = recovered(EAST, stepping=True, last=NOW - 30)
    relapse = Observation(HEALTHY, UNHEALTHY, NOW - 5, peer(UNHEALTHY))
    back = run(traffic(50), traffic(30, 30), WEST, relapse, stepping)
    assert back.action == FAILOVER and not back.target.carries(EAST)
    assert back.memory.shift.failed_away_from == EAST and not back.memory.shift.stepping
    later = replace(back.memory, healthy_streak=((EAST, 5), (WEST, 5)), counted_at=((EAST, NOW + 60), (WEST, NOW + 60)))
    again = run(
        traffic(50), back.target, EAST, Observation(HEALTHY, HEALTHY, peer=peer(at=NOW + 100)), later, NOW + 120
    )
    assert again.target is None and "cooldown after the failover" in again.reason, "failback starts over"


def test_the_region_carrying_the_calls_failing_during_a_failback_sends_them_all_to_the_stepping_region():
    """The stepping region passed its hysteresis and cooldown: it takes everything when the other fails."""
    stepping = recovered(EAST, stepping=True, last=NOW - 30)
    decision = run(
        traffic(50), traffic(30, 30), EAST, Observation(HEALTHY, UNHEALTHY, NOW - 5, peer(UNHEALTHY)), stepping
    )
    assert decision.action == FAILOVER and not decision.target.carries(WEST)


def test_one_step_failback_is_still_one_move_by_either_controller():
    one_step = replace(STEPPED, failback_step_percent=100)
    for own in REGIONS:
        decision = run(
            traffic(50),
            traffic(0, 0),
            own,
            Observation(HEALTHY, HEALTHY, peer=peer()),
            recovered(EAST),
            config=one_step,
        )
        assert decision.action == RESTORE and decision.target == traffic(50)


def world_with_steps(seed: int) -> World:
    config = {EAST: replace(STEPPED, tie_breaker=True), WEST: STEPPED}
    world = World({EAST: MemoryTable(), WEST: MemoryTable()}, config)
    world.write_desired(desired_document())
    return world


def test_deployed_controllers_invoked_at_any_time_step_once_per_interval_and_only_from_the_recovered_region():
    """Both controllers on the deployed path, invoked every minute and by extra events at random moments
    (alarm changes, retries): the failback steps come from us-east-1's controller alone, at least an interval
    apart, and each is on record in its item before the write."""
    rng = random.Random(5)
    world = world_with_steps(5)
    world.now = 1_000.0
    world.alarms[EAST].set("ALARM", world.now)
    for minute in range(1, 60):
        if minute == 10:
            world.alarms[EAST].set("OK", world.now)
        moments = sorted(
            [minute * 60.0 + 1_000, minute * 60.0 + 1_030]
            + [minute * 60.0 + 1_000 + rng.uniform(0, 60) for _ in range(2)]
        )
        for at in moments:
            world.now = at
            world.invoke(rng.choice(REGIONS))
    assert all(i.error is None for i in world.log), [i.error for i in world.log if i.error]
    steps = [(at, region, shares[EAST]) for at, region, arn, shares in world.connect.updates if arn == DEFAULT_ARN]
    failback = [step for step in steps if step[2] > 0]
    assert [share for _, _, share in failback] == [10, 20, 30, 40, 50]
    assert {region for _, region, _ in failback} == {EAST}
    gaps = [b[0] - a[0] for a, b in itertools.pairwise(failback)]
    assert min(gaps) >= STEPPED.failback_interval_seconds - SWEEP_JITTER_SECONDS
    assert world.connect.groups[GROUP_ARN].telephony == {EAST: 70, WEST: 30}


def test_a_step_whose_answer_was_lost_is_not_taken_twice():
    """Intent first: the step is recorded before UpdateTrafficDistribution; the service applies it, the
    answer is lost (the invocation fails), and the next invocation within the interval does not step again."""
    world = world_with_steps(1)
    world.now = 1_000.0
    world.alarms[EAST].set("ALARM", world.now)
    for minute in range(1, 30):
        world.now = 1_000.0 + 60 * minute
        if minute == 3:
            world.alarms[EAST].set("OK", world.now)
        for region in REGIONS:
            world.invoke(region)
        if world.east_share() == 10:
            break
    world.connect.lose_response = True
    world.now += 61
    lost = world.invoke(EAST)
    world.connect.lose_response = False
    assert lost.error is not None and world.east_share() == 20
    world.now += 20
    assert world.invoke(EAST).result["decided"] == NONE and world.east_share() == 20
    world.now += 45
    assert world.invoke(EAST).result["decided"] == FAILBACK_STEP and world.east_share() == 30


@settings(max_examples=60, deadline=None)
@given(st.lists(schedules.MINUTE, min_size=20, max_size=60), st.integers(0, 2**16))
def test_over_any_schedule_a_stepped_failback_sends_calls_only_to_ok_regions_and_never_back_and_forth(minutes, seed):
    """The random schedules of test_failover_schedules (alarms, cut links, dark regions, late and out-of-order
    replication, operators' splits in either region) with failback in steps of 10 per minute: between two
    events the split moves one way only, and never toward a region whose alarm is not OK."""
    stepped = replace(schedules.SETTINGS, failback_step_percent=10, failback_interval_seconds=60)
    with patch.object(schedules, "SETTINGS", stepped):
        lagged, alarms, changes = schedules.play(minutes, seed)
    assert all(invocation.error is None for invocation in lagged.log), [i.error for i in lagged.log if i.error]
    moves, before = [], 50
    for at, _caller, arn, shares in lagged.connect.updates:
        if arn != DEFAULT_ARN or shares[EAST] == before:  # another part of the split (sign-in, agents)
            continue
        gained = EAST if shares[EAST] > before else WEST
        assert schedules.state_at(alarms[gained], at) == "OK", f"{at}: {shares}"
        moves.append((at, shares[EAST] - before))
        before = shares[EAST]
    for start, end in itertools.pairwise([0.0, *changes, float("inf")]):
        directions = {delta > 0 for at, delta in moves if start <= at < end}
        assert len(directions) <= 1, f"back and forth between two events ({start}-{end}): {moves}"
