"""Property tests of the decision function, and each rule the failure paths rely on."""

from dataclasses import replace

from conftest import load_lambda
from hypothesis import given, settings
from hypothesis import strategies as st

load_lambda("failover_controller")
from decisions import (  # noqa: E402
    FAILOVER,
    FORCE,
    HEALTHY,
    NONE,
    RESTORE,
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

EAST, WEST = "us-east-1", "us-west-2"
REGIONS = (EAST, WEST)
DEFAULT, GROUP = "tdg-default", "tdg-vip"
HEALTH = st.sampled_from([HEALTHY, UNHEALTHY, UNKNOWN])
SETTINGS = Settings(healthy_evaluations_before_failback=3, cooldown_seconds=300, unknown_evaluations_as_unhealthy=3)
NOW = 10_000.0


def split(east: int, agents_east: int | None = None, sign_in: tuple[bool, bool] | None = (True, True)) -> Split:
    agents = east if agents_east is None else agents_east
    return Split(
        {EAST: east, WEST: 100 - east},
        {EAST: agents, WEST: 100 - agents},
        dict(zip(REGIONS, sign_in, strict=True)) if sign_in else None,
    )


def traffic(east: int, group_east: int = 70, **default) -> Traffic:
    return Traffic.of(DEFAULT, {DEFAULT: split(east, **default), GROUP: split(group_east, sign_in=None)})


NO_RECORD, NO_MEMORY, NO_OVERRIDE = ShiftRecord(), Memory(), Override()


def fresh_peer(health: str = HEALTHY, at: float = NOW - 30, shift: ShiftRecord = NO_RECORD) -> PeerReport:
    return PeerReport(health, at, shift)


def run(desired, current, own, observation, memory=NO_MEMORY, override=NO_OVERRIDE, now=NOW, config=SETTINGS):
    return decide(
        desired=desired,
        current=current,
        own_region=own,
        other_region=WEST if own == EAST else EAST,
        observation=observation,
        memory=memory,
        override=override,
        now=now,
        settings=config,
    )


@st.composite
def traffics(draw) -> Traffic:
    sign_in = draw(st.sampled_from([(True, True), (True, False), (False, True)]))
    tens = st.integers(0, 10).map(lambda n: n * 10)
    return traffic(draw(tens), draw(tens), agents_east=draw(tens), sign_in=sign_in)


@st.composite
def memories(draw) -> Memory:
    return Memory(
        healthy_streak=((EAST, draw(st.integers(0, 10))), (WEST, draw(st.integers(0, 10)))),
        counted_at=tuple((r, draw(st.floats(9_000, 9_999))) for r in REGIONS if draw(st.booleans())),
        other_unknown_streak=draw(st.integers(0, 5)),
        unknown_counted_at=draw(st.none() | st.floats(9_000, 10_000)),
        alerted=draw(st.none() | st.sampled_from(["other-unhealthy", "own-unknown"])),
        shift=ShiftRecord(
            at=draw(st.none() | st.floats(0, 9_000)),
            last_shift_at=draw(st.none() | st.floats(0, 10_000)),
            failed_away_from=draw(st.none() | st.sampled_from(REGIONS)),
            forced=draw(st.booleans()),
        ),
    )


OVERRIDES = st.sampled_from([Override(), Override("freeze"), Override("force", EAST), Override("force", WEST)])
PEERS = st.none() | st.builds(PeerReport, HEALTH, st.sampled_from([9_000.0, 9_990.0]))
"""No peer report, a stale one, or a fresh one (fresh for the following seconds too)."""


def valid(split_: Split) -> bool:
    values = [*split_.telephony.values(), *(split_.agents or {}).values()]
    return (
        all(v % 10 == 0 and 0 <= v <= 100 for v in values)
        and sum(split_.telephony.values()) == 100
        and set(split_.telephony) == set(REGIONS)
    )


@settings(max_examples=300)
@given(traffics(), traffics(), st.sampled_from(REGIONS), HEALTH, HEALTH, memories(), OVERRIDES, PEERS, st.booleans())
def test_decisions_are_safe(desired, current, own, own_health, other_health, memory, override, peer, tie_breaker):
    other = WEST if own == EAST else EAST
    config = replace(SETTINGS, tie_breaker=tie_breaker)
    decision = run(
        desired, current, own, Observation(own_health, other_health, 9_000.0, peer), memory, override, config=config
    )
    if decision.target is None:
        assert decision.action == NONE and decision.writes == ()
        return
    assert own_health == HEALTHY, "shifted while its own region is not healthy"
    assert decision.writes == decision.target.pending_in(current) != ()
    assert all(valid(s) for _, s in decision.target.splits)
    assert decision.target in (desired.all_to(own, REGIONS), desired)
    if other_health != HEALTHY and decision.target.adds_to(other, current):
        assert peer is not None and peer.health == HEALTHY, "sent calls to a region it has no evidence for"
    if decision.action == FAILOVER:
        assert not decision.target.carries(other), "a group was left on the failed region"


@given(traffics(), traffics(), st.sampled_from(REGIONS), memories())
def test_no_shift_while_its_own_region_is_unhealthy_or_unknown(desired, current, own, memory):
    for own_health in (UNHEALTHY, UNKNOWN):
        for other_health in (HEALTHY, UNHEALTHY, UNKNOWN):
            decision = run(desired, current, own, Observation(own_health, other_health), memory)
            assert decision.target is None and decision.condition == f"own-{own_health}"


@given(traffics(), traffics(), st.sampled_from(REGIONS), HEALTH, HEALTH, memories(), OVERRIDES, PEERS)
def test_a_repeated_invocation_changes_nothing_more(
    desired, current, own, own_health, other_health, memory, override, peer
):
    """Another invocation right after (an alarm event after a sweep, a retry, the reconcile) with the
    first decision in effect neither shifts again nor alerts again."""
    observation = Observation(own_health, other_health, 9_000.0, peer)
    first = run(desired, current, own, observation, memory, override)
    assert run(desired, current, own, observation, memory, override) == first
    again = run(desired, first.target or current, own, observation, first.memory, override, now=NOW + 5)
    assert again.target is None and not again.alert


def test_every_group_leaves_an_unhealthy_region_even_when_the_default_is_already_there():
    """A 100/0 window already sends the default group's calls to us-east-1; the custom group's 30% on the
    failed us-west-2 moves too."""
    desired = traffic(100, group_east=70, sign_in=(True, False))
    decision = run(desired, desired, EAST, Observation(HEALTHY, UNHEALTHY))
    assert decision.action == FAILOVER and decision.writes == (GROUP,)
    assert decision.target.split(GROUP).telephony == {EAST: 100, WEST: 0}
    assert decision.target.split(GROUP).sign_in is None, "sign-in is written to the default group only"


def test_only_what_the_controller_writes_is_compared():
    written = split(70, sign_in=None)
    echoed = Split(written.telephony, written.agents, {EAST: True, WEST: True})
    assert written.in_effect(echoed), "a custom group echoing SignInConfig is not rewritten"
    assert written.in_effect(Split(written.telephony)), "a group not reporting AgentConfig is not rewritten"
    assert not written.in_effect(split(60, sign_in=None))
    assert not split(70, agents_east=60).in_effect(split(70))


def test_only_the_tie_breaker_acts_on_a_peer_it_can_neither_read_nor_hear():
    desired = traffic(50)
    for tie_breaker, action, condition in ((True, FAILOVER, "other-unhealthy"), (False, NONE, "other-silent")):
        config = replace(SETTINGS, tie_breaker=tie_breaker)
        memory, actions = Memory(), []
        for minute in range(4):
            decision = run(
                desired, desired, EAST, Observation(HEALTHY, UNKNOWN), memory, now=NOW + 60 * minute, config=config
            )
            extra = run(
                desired,
                desired,
                EAST,
                Observation(HEALTHY, UNKNOWN),
                decision.memory,
                now=NOW + 60 * minute + 5,
                config=config,
            )
            assert extra.memory.other_unknown_streak == decision.memory.other_unknown_streak, (
                "an extra invocation counted"
            )
            memory, actions = decision.memory, [*actions, decision.action]
        assert actions == [NONE, NONE, action, action if action == NONE else FAILOVER]
        assert decision.condition == condition


def test_a_fresh_peer_report_is_evidence_when_the_alarm_cannot_be_read():
    desired = traffic(50)
    down = run(desired, desired, EAST, Observation(HEALTHY, UNKNOWN, peer=fresh_peer(UNHEALTHY)))
    assert down.action == FAILOVER and "its controller reports it unhealthy" in down.reason
    up = run(
        desired, desired, EAST, Observation(HEALTHY, UNKNOWN, peer=fresh_peer(HEALTHY)), override=Override("freeze")
    )
    assert up.condition is None and up.other_view == "healthy by its report only", "not counted as failed"
    more = run(desired, traffic(100), EAST, Observation(HEALTHY, UNKNOWN, peer=fresh_peer(HEALTHY)))
    assert more.target is None, "a report alone does not send the region more calls: its alarm must say so"
    held = run(desired, desired, EAST, Observation(HEALTHY, UNKNOWN, peer=fresh_peer(UNKNOWN)))
    assert held.target is None and held.condition == "other-unknown"


def test_a_desired_split_sending_nothing_to_an_unreadable_peer_applies():
    """An operator's split written in the surviving region while the other is dark (`split --direct`)."""
    config = replace(SETTINGS, tie_breaker=False)
    silent = Memory(other_unknown_streak=5, unknown_counted_at=NOW - 60)
    decision = run(traffic(0, group_east=0), traffic(50), WEST, Observation(HEALTHY, UNKNOWN), silent, config=config)
    assert decision.action == RESTORE and decision.condition == "other-silent"
    partial = run(traffic(0, group_east=70), traffic(50), WEST, Observation(HEALTHY, UNKNOWN), silent, config=config)
    assert partial.target is None, "a group would still send calls to the region it cannot see"


def test_a_restore_waits_until_the_peer_controllers_record_is_readable():
    """Both alarms readable and OK, but the peer controller is silent (replication cut): it may have moved
    traffic without this controller seeing the record, so nothing is undone."""
    decision = run(traffic(50), traffic(100), EAST, Observation(HEALTHY, HEALTHY, peer=fresh_peer(at=NOW - 600)))
    assert decision.target is None and decision.condition == "peer-silent" and decision.alert


def test_a_shift_this_controller_left_half_done_is_not_a_change_by_someone_else():
    """Its intent was recorded, one group was written, then the invocation was stopped: the next evaluation
    finishes the shift at once; a split neither before nor after that shift is someone else's change."""
    started = run(traffic(50), traffic(0, 0), EAST, Observation(HEALTHY, HEALTHY, peer=fresh_peer()))
    assert started.action == RESTORE and started.writes == (DEFAULT, GROUP)
    half_done = traffic(50, 0)
    later = NOW + 60
    peer = fresh_peer(at=NOW - 30)
    finished = run(traffic(50), half_done, EAST, Observation(HEALTHY, HEALTHY, peer=peer), started.memory, now=later)
    assert finished.action == RESTORE and finished.writes == (GROUP,)
    someone_else = traffic(30, 0)
    held = run(traffic(50), someone_else, EAST, Observation(HEALTHY, HEALTHY, peer=peer), started.memory, now=later)
    assert held.target is None and held.condition == "unrecorded-change"


def test_a_split_the_peer_made_from_another_desired_item_is_not_undone_until_both_read_the_same():
    """The config tables hold different desired items (replication lags): a controller that has read its
    own for a while and hears the peer read another changes nothing but by a failover."""
    memory = Memory(desired="v1/default", desired_since=NOW - 600)
    peer = PeerReport(HEALTHY, NOW - 20, desired="v2/default")
    observation = Observation(HEALTHY, HEALTHY, peer=peer, desired="v1/default")
    held = run(traffic(50), traffic(70), EAST, observation, memory)
    assert held.target is None and held.condition == "desired-differs" and held.alert
    failing = replace(observation, other=UNHEALTHY, peer=replace(peer, health=UNHEALTHY))
    failover = run(traffic(50), traffic(70), EAST, failing, memory)
    assert failover.action == FAILOVER, "a failover does not wait for replication"
    same = run(traffic(70), traffic(70), EAST, replace(observation, desired="v2/default"), memory)
    assert same.memory.desired_since == NOW and same.condition is None


def test_a_desired_split_read_here_before_the_peer_last_reported_applies_at_once():
    """`up` writes the item and invokes this region's controller: the peer's last report (older than this
    controller's first reading of the new item) does not hold it."""
    memory = Memory(desired="v1/default", desired_since=NOW - 600)
    peer = PeerReport(HEALTHY, NOW - 20, desired="v1/default")
    decision = run(
        traffic(70), traffic(50), EAST, Observation(HEALTHY, HEALTHY, peer=peer, desired="v2/default"), memory
    )
    assert decision.action == RESTORE and decision.memory.desired == "v2/default"


def test_failback_waits_for_n_consecutive_healthy_sweeps_and_the_cooldown():
    desired = traffic(50)
    failover = run(desired, desired, EAST, Observation(HEALTHY, UNHEALTHY, peer=fresh_peer(UNHEALTHY)))
    assert failover.action == FAILOVER and failover.memory.shift.failed_away_from == WEST
    current, memory, log = failover.target, failover.memory, []
    for second in range(5, 900, 5):  # invocations every 5 s: only one per minute counts
        now = NOW + second
        decision = run(
            desired, current, EAST, Observation(HEALTHY, HEALTHY, peer=fresh_peer(at=now - 10)), memory, now=now
        )
        memory, current = decision.memory, decision.target or current
        log.append((second, decision.action))
    restored = [second for second, action in log if action == RESTORE]
    assert restored == [300], "3 healthy sweeps (120 s) and then the 300 s cooldown after the failover"


def test_traffic_goes_back_to_the_region_it_left_only_after_the_failback_hysteresis_even_on_a_failover():
    """us-west-2 fails while us-east-1, failed away from 200 s ago, has been healthy for one sweep: moving
    everything back is a failback, so it waits for N sweeps and the cooldown (and says so)."""
    left = ShiftRecord(at=NOW - 200, last_shift_at=NOW - 200, failed_away_from=EAST)
    memory = Memory(healthy_streak=((EAST, 1),), counted_at=((EAST, NOW - 60),), shift=left)
    observation = Observation(HEALTHY, UNHEALTHY, peer=fresh_peer(UNHEALTHY))
    held = run(traffic(50), traffic(0, 0, sign_in=(False, True)), EAST, observation, memory)
    assert held.target is None and held.condition == "both-failing" and held.alert
    assert "healthy for 2/3 evaluations" in held.reason
    recovered = replace(memory, healthy_streak=((EAST, 3),), shift=replace(left, last_shift_at=NOW - 400))
    failover = run(traffic(50), traffic(0, 0, sign_in=(False, True)), EAST, observation, recovered)
    assert failover.action == FAILOVER and not failover.target.carries(WEST)


def test_the_service_record_of_the_last_change_holds_the_cooldown_too():
    memory = Memory(
        healthy_streak=((WEST, 5),), counted_at=((WEST, NOW - 50),), shift=ShiftRecord(at=1.0, failed_away_from=WEST)
    )
    observation = Observation(HEALTHY, HEALTHY, peer=fresh_peer(), traffic_changed_at=NOW - 100)
    assert run(traffic(50), traffic(100), EAST, observation, memory).target is None
    assert (
        run(traffic(50), traffic(100), EAST, replace(observation, traffic_changed_at=NOW - 400), memory).action
        == RESTORE
    )


def test_a_gap_in_the_sweeps_restarts_the_hysteresis():
    """A region whose controller was down (or dark) does not resume a healthy streak it built before."""
    memory = Memory(
        healthy_streak=((WEST, 9),), counted_at=((WEST, NOW - 3_600),), shift=ShiftRecord(at=1.0, failed_away_from=WEST)
    )
    decision = run(traffic(50), traffic(100), EAST, Observation(HEALTHY, HEALTHY, peer=fresh_peer()), memory)
    assert decision.target is None and decision.memory.streak(WEST) == 1


def test_a_new_desired_split_applies_at_once_even_within_the_cooldown():
    applied = run(traffic(70), traffic(50), EAST, Observation(HEALTHY, HEALTHY, peer=fresh_peer()))
    assert applied.action == RESTORE
    second = run(
        traffic(30), traffic(70), EAST, Observation(HEALTHY, HEALTHY, peer=fresh_peer()), applied.memory, now=NOW + 60
    )
    assert second.action == RESTORE and second.target == traffic(30), "an operator's change is not a failback"


def test_an_override_ending_during_an_outage_leaves_the_failback_to_the_hysteresis():
    desired = traffic(50)
    forced = run(
        desired, desired, EAST, Observation(HEALTHY, HEALTHY, peer=fresh_peer()), override=Override("force", EAST)
    )
    assert forced.action == FORCE and forced.memory.shift.forced
    during = run(
        desired,
        forced.target,
        EAST,
        Observation(HEALTHY, UNHEALTHY, peer=fresh_peer(UNHEALTHY)),
        forced.memory,
        now=NOW + 60,
    )
    assert during.target is None and not during.memory.shift.forced and during.memory.shift.failed_away_from == WEST
    recovered = run(
        desired,
        forced.target,
        EAST,
        Observation(HEALTHY, HEALTHY, peer=fresh_peer(at=NOW + 100)),
        during.memory,
        now=NOW + 120,
    )
    assert recovered.target is None and "failback waits" in recovered.reason


def test_ending_an_override_with_both_regions_healthy_restores_at_once():
    desired = traffic(50)
    forced = run(
        desired, desired, WEST, Observation(HEALTHY, HEALTHY, peer=fresh_peer()), override=Override("force", WEST)
    )
    restored = run(
        desired,
        forced.target,
        EAST,
        Observation(HEALTHY, HEALTHY, peer=fresh_peer(shift=forced.memory.shift)),
        now=NOW + 60,
    )
    assert restored.action == RESTORE and restored.target == desired


def test_a_forced_region_that_fails_is_alerted_from_the_healthy_side():
    forced_west = traffic(0)
    decision = run(traffic(50), forced_west, EAST, Observation(HEALTHY, UNHEALTHY), override=Override("force", WEST))
    assert decision.target is None and decision.condition == "forced-region-unhealthy" and decision.alert
    assert "end the override or force us-east-1" in decision.reason
    calm = run(traffic(50), forced_west, EAST, Observation(HEALTHY, HEALTHY), override=Override("force", WEST))
    assert calm.condition is None and not calm.alert


def test_freeze_holds_and_says_when_traffic_sits_on_an_unhealthy_region():
    decision = run(traffic(50), traffic(50), EAST, Observation(HEALTHY, UNHEALTHY), override=Override("freeze"))
    assert decision.target is None and decision.condition == "frozen-on-unhealthy"
    assert (
        run(traffic(50), traffic(50), EAST, Observation(HEALTHY, HEALTHY), override=Override("freeze")).condition
        is None
    )


def test_alerts_go_out_when_the_condition_changes_not_every_evaluation():
    desired, memory, alerts = traffic(50), Memory(), []
    for minute, own in enumerate([UNHEALTHY] * 5 + [UNKNOWN] * 2 + [HEALTHY] * 2):
        decision = run(
            desired,
            desired,
            EAST,
            Observation(own, HEALTHY, peer=fresh_peer(at=NOW + 60 * minute)),
            memory,
            now=NOW + 60 * minute,
        )
        memory = decision.memory
        alerts.append(decision.condition if decision.alert else None)
    assert alerts == ["own-unhealthy", None, None, None, None, "own-unknown", None, None, None]


@given(st.integers(2, 20), st.lists(st.booleans(), min_size=1, max_size=60))
def test_no_flapping_under_alternating_health_shorter_than_the_hysteresis(n, pattern):
    """The other region fails, then its health alternates in runs shorter than N: one shift, no failback."""
    configured = replace(SETTINGS, healthy_evaluations_before_failback=n, cooldown_seconds=0)
    desired = traffic(50)
    current, memory, shifts = desired, Memory(), 0
    observations, run_length = [UNHEALTHY], 0
    for healthy in pattern:
        run_length = run_length + 1 if healthy else 0
        if run_length >= n:
            run_length, healthy = 0, False
        observations.append(HEALTHY if healthy else UNHEALTHY)
    for minute, other_health in enumerate(observations):
        now = minute * 60.0
        peer = fresh_peer(other_health, at=now - 1)
        decision = run(
            desired,
            current,
            EAST,
            Observation(HEALTHY, other_health, now - 30, peer),
            memory,
            now=now,
            config=configured,
        )
        memory = decision.memory
        if decision.target is not None:
            shifts += 1
            current = decision.target
    assert shifts == 1 and not current.carries(WEST)


def test_follow_the_sun_window_in_force_replaces_the_default():
    from datetime import UTC, datetime

    from desired import parse_desired

    default_arn, group_arn = (
        f"arn:aws:connect:{EAST}:123456789012:traffic-distribution-group/{uuid}-bbbb-cccc-dddd-eeeeeeeeeeee"
        for uuid in ("aaaaaaaa", "ffffffff")
    )
    document = {
        "regions": [EAST, WEST],
        "default": {
            "arn": default_arn,
            "telephony": {EAST: 50, WEST: 50},
            "agents": {EAST: 50, WEST: 50},
            "signIn": {EAST: True, WEST: True},
        },
        "groups": [{"name": "vip", "arn": group_arn, "telephony": {EAST: 70, WEST: 30}}],
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
    night = parse_desired(document, datetime(2026, 11, 23, 3, 0, tzinfo=UTC).timestamp())
    noon = parse_desired(document, datetime(2026, 11, 23, 12, 0, tzinfo=UTC).timestamp())
    assert night.window == "evenings" and night.traffic.default.telephony == {EAST: 30, WEST: 70}
    assert night.traffic.default.agents == {EAST: 30, WEST: 70}
    assert (noon.window, noon.traffic.default.telephony) == (None, {EAST: 50, WEST: 50})
    assert night.traffic.split(group_arn) == Split({EAST: 70, WEST: 30}, {EAST: 70, WEST: 30})
    failover = run(night.traffic, night.traffic, EAST, Observation(HEALTHY, UNHEALTHY))
    assert not failover.target.carries(WEST), "failover wins over the schedule"
