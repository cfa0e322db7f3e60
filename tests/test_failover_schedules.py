"""Both controllers on the deployed code path over long random schedules: alarms changing, the link cut
both ways or one way, a region going dark, config-table replication delayed and out of order (caught up
when the link heals), operators writing new desired splits in either region. Whatever happens, traffic
never goes to a region whose alarm is not OK and never swings back and forth with nothing changing in
between; and a real outage still moves traffic at once however late replication is."""

import itertools
import random

import pytest
from conftest import load_lambda
from failover_lag import LaggedWorld
from hypothesis import given, settings
from hypothesis import strategies as st

from bench.failover_world import DEFAULT_ARN, EAST, GROUP_ARN, REGIONS, WEST, desired_document, other
from bench.fake_aws import MemoryTable

load_lambda("failover_controller")
from decisions import Settings  # noqa: E402

SETTINGS = Settings(healthy_evaluations_before_failback=3, cooldown_seconds=300)
LINK_CHANGES = ("cut", "heal", "one-way", "slow", "desired-late", "prompt", "dark", "light")
QUIET = [None] * 24


def rarely(options: list) -> st.SearchStrategy:
    """One of `options` in about one minute of five, else nothing (quiet minutes let hysteresis play out)."""
    return st.sampled_from(QUIET[: 4 * len(options)] + options)


MINUTE = st.tuples(
    rarely([(region, state) for region in REGIONS for state in ("OK", "ALARM", "INSUFFICIENT_DATA")]),
    rarely(list(LINK_CHANGES)),
    rarely([(region, east) for region in REGIONS for east in (0, 30, 50, 70, 100)]),
    st.floats(0, 59),
)
"""Per minute: an alarm change, a link change, an operator's new desired split (written in one region's
table), and when in the minute they happen."""


def world(seed: int) -> tuple[LaggedWorld, dict[str, str]]:
    rng, replication = random.Random(seed), {"mode": "prompt"}

    def lag(key: tuple[str, str], _region: str) -> float:
        """Prompt; slow (any write 1 s to 15 min); or the desired item 15 minutes late, the rest prompt."""
        if replication["mode"] == "slow":
            return rng.choice([1, 1, 1, 2, 30, 200, 900])
        return 900.0 if replication["mode"] == "desired-late" and key == ("traffic", "desired") else 1.0

    tie_breaker = Settings(**{**SETTINGS.__dict__, "tie_breaker": True})
    lagged = LaggedWorld({EAST: MemoryTable(), WEST: MemoryTable()}, {EAST: tie_breaker, WEST: SETTINGS}, lag)
    lagged.write_desired(desired_document(), REGIONS)
    return lagged, replication


def change_link(lagged: LaggedWorld, replication: dict[str, str], change: str, rng: random.Random) -> None:
    if change == "cut":
        lagged.cut()
    elif change == "heal":
        lagged.heal()
    elif change == "one-way":
        lagged.cut(one_way=rng.choice([(EAST, WEST), (WEST, EAST)]))
    elif change in ("slow", "desired-late", "prompt"):
        replication["mode"] = change
    elif change == "dark":
        lagged.dark.add(rng.choice(REGIONS))
    else:
        lagged.dark.clear()


def play(minutes: list, seed: int) -> tuple[LaggedWorld, dict[str, list[tuple[float, str]]], list[float]]:
    """Run the schedule; the alarm states over time, and the events that may each move traffic once or
    twice (a failover and later its failback, a partition and its healing, a new desired split)."""
    rng = random.Random(seed)
    lagged, replication = world(seed)
    phase = {EAST: rng.uniform(0, 60), WEST: rng.uniform(0, 60)}
    alarms: dict[str, list[tuple[float, str]]] = {region: [(0.0, "OK")] for region in REGIONS}
    events, changes = [], []
    for index, (alarm, link, split, second) in enumerate(minutes):
        start = 60.0 * (index + 1)
        events += [(start + phase[region], "sweep", region) for region in REGIONS]
        events += [(start + second, kind, value) for kind, value in (("alarm", alarm), ("link", link)) if value]
        events += [(start + second + 0.5, "split", split)] if split else []
    for at, kind, value in sorted(events, key=lambda event: event[0]):
        lagged.now = at
        lagged.replicate()
        awake = [region for region in REGIONS if region not in lagged.dark]
        if kind == "sweep" and value in awake:
            lagged.invoke(value)
        elif kind == "alarm":
            region, state = value
            lagged.alarms[region].set(state, at)
            alarms[region].append((at, state))
            changes.append(at)
            for controller in awake:  # EventBridge, this region's and the forwarded one
                lagged.invoke(controller)
        elif kind == "link":
            change_link(lagged, replication, value, rng)
            changes.append(at)
        elif kind == "split" and value[0] in awake:
            region, east = value
            version = f"v{east}-{at:.0f}"
            lagged.write_desired(desired_document({EAST: east, WEST: 100 - east}, version=version), (region,))
            changes.append(at)
            lagged.invoke(region)  # the operator's command invokes that region's controller
    return lagged, alarms, changes


def state_at(history: list[tuple[float, str]], at: float) -> str:
    return [state for since, state in history if since <= at][-1]


@settings(max_examples=100, deadline=None)
@given(st.lists(MINUTE, min_size=20, max_size=60), st.integers(0, 2**16))
def test_over_any_schedule_traffic_goes_only_to_ok_regions_and_never_swings_back_and_forth(minutes, seed):
    lagged, alarms, changes = play(minutes, seed)
    assert all(invocation.error is None for invocation in lagged.log), [i.error for i in lagged.log if i.error]
    before = {EAST: 50, WEST: 50}
    for at, caller, arn, shares in lagged.connect.updates:
        if arn != DEFAULT_ARN:
            continue
        gained = [region for region in REGIONS if shares[region] > before[region]]
        assert all(state_at(alarms[region], at) == "OK" for region in gained), f"{caller} at {at}: {shares}"
        before = shares
    moves = [at for at, _, arn, _ in lagged.connect.updates if arn == DEFAULT_ARN]
    marks = [0.0, *changes, float("inf")]
    for start, end in itertools.pairwise(marks):
        during = [at for at in moves if start <= at < end]
        assert len(during) <= 2, f"{len(during)} changes of the split between two events ({start}-{end}): {during}"


@pytest.mark.parametrize("failing", REGIONS)
@pytest.mark.parametrize("seconds", [1.0, 200.0, 900.0])
def test_a_real_outage_moves_traffic_at_once_however_late_replication_is(failing, seconds):
    """An alarm in ALARM is positive evidence: the other controller does not need the config table."""
    lagged = LaggedWorld(
        {EAST: MemoryTable(), WEST: MemoryTable()},
        {EAST: Settings(**{**SETTINGS.__dict__, "tie_breaker": True}), WEST: SETTINGS},
        lambda _key, _region: seconds,
    )
    lagged.write_desired(desired_document(), REGIONS)
    for minute in range(1, 6):
        lagged.now = minute * 60.0
        lagged.replicate()
        for region in REGIONS:
            lagged.invoke(region)
    lagged.now += 20
    lagged.alarms[failing].set("ALARM", lagged.now)
    lagged.invoke(other(failing))
    for arn in (DEFAULT_ARN, GROUP_ARN):
        assert lagged.connect.groups[arn].telephony[failing] == 0


def test_two_regions_that_fail_in_turn_do_not_swing_traffic_every_few_minutes():
    """Neither region can carry every call for more than 3 minutes (its alarm fires, and clears once the
    calls are gone). After a real fault in us-east-1, moving everything back the moment us-west-2 fails
    would be a failback with no hysteresis, and swung traffic every 4 minutes for as long as it lasted:
    a region that traffic was failed away from takes it all again only after the failback's N healthy
    sweeps and cooldown."""
    lagged = LaggedWorld(
        {EAST: MemoryTable(), WEST: MemoryTable()},
        {EAST: Settings(**{**SETTINGS.__dict__, "tie_breaker": True}), WEST: SETTINGS},
    )
    lagged.write_desired(desired_document(), REGIONS)
    full_since: dict[str, float | None] = dict.fromkeys(REGIONS)
    for minute in range(1, 90):
        lagged.now = minute * 60.0
        lagged.replicate()
        for region in REGIONS:
            carries_all = lagged.connect.groups[DEFAULT_ARN].telephony[region] == 100
            full_since[region] = (full_since[region] or lagged.now) if carries_all else None
            overloaded = full_since[region] is not None and lagged.now - full_since[region] >= 180
            fault = region == EAST and 10 <= minute < 14
            lagged.alarms[region].set("ALARM" if fault or overloaded else "OK", lagged.now)
        for region in REGIONS:
            lagged.invoke(region)
    swings = [at for at, _ in lagged.swings()]
    assert swings[0] == 600, "the real fault moves traffic at once"
    gaps = [second - first for first, second in itertools.pairwise(swings)]
    assert min(gaps) >= SETTINGS.cooldown_seconds, f"swings {[int(at // 60) for at in swings]} (minutes)"
    alerts = [m["Subject"] for m in lagged.sns[EAST].published if "both-failing" in m["Subject"]]
    assert alerts, "the side that holds says why"
