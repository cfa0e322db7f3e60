"""Two controllers on the deployed code path when the regions cannot see each other: a cut link, a
one-way cut, a dark region. Only positive evidence, or the tie-breaker (us-east-1 here), moves traffic on
what cannot be seen, so traffic never swings back and forth."""

import itertools

from conftest import create_config_table, load_lambda
from hypothesis import given, settings
from hypothesis import strategies as st
from moto import mock_aws

from bench.failover_world import DEFAULT_ARN, EAST, GROUP_ARN, WEST, World, desired_document
from bench.fake_aws import Alarm, MemoryTable

load_lambda("failover_controller")
from decisions import Settings  # noqa: E402

COOLDOWN = 300.0
BASE = Settings(healthy_evaluations_before_failback=3, cooldown_seconds=COOLDOWN)


def world_with(tables, east_tie_breaker: bool = True, west_tie_breaker: bool = False) -> World:
    world = World(
        tables,
        {
            EAST: Settings(**{**BASE.__dict__, "tie_breaker": east_tie_breaker}),
            WEST: Settings(**{**BASE.__dict__, "tie_breaker": west_tie_breaker}),
        },
    )
    world.write_desired(desired_document())
    return world


def minutes(world: World, count: int, dark: tuple[str, ...] = ()) -> None:
    """`count` one-minute sweeps of every controller whose region is not dark."""
    for _ in range(count):
        world.now += 60
        for offset, region in enumerate((EAST, WEST)):
            if region not in dark:
                world.now += offset * 5
                world.invoke(region)
                world.now -= offset * 5


def reversals(world: World) -> int:
    """How often the default group's us-east-1 share changed direction."""
    shares = [50, *(share for _, share in world.swings())]
    steps = [after - before for before, after in itertools.pairwise(shares)]
    return sum(1 for first, second in itertools.pairwise(steps) if first * second < 0)


def test_a_cut_link_moves_traffic_once_toward_the_tie_breaker_and_back_after_the_hysteresis(aws_env):
    """The issue's scenario: cross-region alarm reads fail both ways and table replication is cut for
    15 minutes while both regions are healthy."""
    with mock_aws():
        world = world_with({region: create_config_table(region) for region in (EAST, WEST)})
        minutes(world, 3)
        world.cut()
        minutes(world, 15)
        assert [share for _, share in world.swings()] == [100], "one move, toward the tie-breaker"
        assert {region for _, region, _, _ in world.connect.updates} == {EAST}
        silent = [m for m in world.sns[WEST].published if "other-silent" in m["Subject"]]
        assert len(silent) == 1, "the other side says once that it cannot tell and does not act"
        world.heal()
        minutes(world, 15)
        assert [share for _, share in world.swings()] == [100, 50]
        failover_at, restore_at = (at for at, _ in world.swings())
        assert restore_at - failover_at >= COOLDOWN


def test_two_controllers_that_both_act_on_unknown_swing_traffic_every_minute():
    """What the tie-breaker prevents (the first build's behaviour): each side counts the other as failed."""
    world = world_with({EAST: MemoryTable(), WEST: MemoryTable()}, west_tie_breaker=True)
    minutes(world, 3)
    world.cut()
    minutes(world, 15)
    assert len(world.swings()) >= 20 and reversals(world) >= 20


LINK = st.tuples(st.booleans(), st.booleans(), st.booleans(), st.booleans())
"""Per minute: east reads west's alarm, west reads east's, replication east->west, west->east."""


@settings(max_examples=60, deadline=None)
@given(st.lists(LINK, min_size=5, max_size=40))
def test_whatever_the_link_does_healthy_regions_never_ping_pong(links):
    world = world_with({EAST: MemoryTable(), WEST: MemoryTable()})
    for east_reads, west_reads, east_to_west, west_to_east in links:
        world.heal()
        world.alarm_reads.update({(EAST, WEST): east_reads, (WEST, EAST): west_reads})
        world.replicating.update({(EAST, WEST): east_to_west, (WEST, EAST): west_to_east})
        minutes(world, 1)
    applied = world.swings()
    assert {share for _, share in applied} <= {100, 50}, "traffic only ever went to the tie-breaker or back"
    assert all(region == EAST for _, region, _, share in world.connect.updates if share[EAST] == 100)
    for (first, _), (second, _) in itertools.pairwise(applied):
        assert second - first >= 110, "two changes within three sweeps"
    for failover_at, restore_at in zip(applied[::2], applied[1::2], strict=False):
        assert restore_at[0] - failover_at[0] >= COOLDOWN, "failed back inside the cooldown"


def test_a_dark_region_that_is_not_the_tie_breaker_is_failed_over_from_the_other_side():
    world = world_with({EAST: MemoryTable(), WEST: MemoryTable()})
    minutes(world, 2)
    world.dark.add(WEST)
    minutes(world, 4, dark=(WEST,))
    assert world.connect.groups[DEFAULT_ARN].telephony == {EAST: 100, WEST: 0}


def test_a_dark_tie_breaker_region_leaves_the_move_to_an_operator_and_says_so():
    """The other side cannot tell a dark us-east-1 from a cut link: it alerts once (with the command to
    force traffic to itself) and does not act; with us-east-1's alarm readable and in ALARM it acts."""
    world = world_with({EAST: MemoryTable(), WEST: MemoryTable()})
    minutes(world, 2)
    world.dark.add(EAST)
    minutes(world, 6, dark=(EAST,))
    assert world.connect.updates == []
    (alert,) = [m for m in world.sns[WEST].published if "other-silent" in m["Subject"]]
    assert "set an override forcing us-west-2" in alert["Message"]
    world.write_desired(desired_document(override={"mode": "force", "region": WEST}, version="forced"), (WEST,))
    world.invoke(WEST)
    assert world.east_share() == 0 and world.connect.groups[GROUP_ARN].telephony[EAST] == 0, "the operator's force"
    world.write_desired(desired_document(), (WEST,))
    world.dark.clear()
    world.cut(alarms=False, one_way=(EAST, WEST))
    world.alarms[EAST].set("ALARM", world.now)
    minutes(world, 1, dark=(EAST,))
    assert world.connect.groups[DEFAULT_ARN].telephony == {EAST: 0, WEST: 100}, "positive evidence suffices"


def test_a_region_back_from_dark_waits_for_the_hysteresis_before_failback():
    world = world_with({EAST: MemoryTable(), WEST: MemoryTable()})
    minutes(world, 10)
    world.dark.add(WEST)
    minutes(world, 8, dark=(WEST,))
    assert world.east_share() == 100
    world.dark.clear()
    back = world.now
    minutes(world, 2)
    assert world.east_share() == 100, "failed back on a streak built before the region went dark"
    minutes(world, 10)
    assert world.east_share() == 50 and world.swings()[-1][0] - back >= 3 * 60 - 10


def test_two_healthy_controllers_that_each_read_the_other_alarm_as_alarm_hold_and_say_so():
    """Each reads its own alarm OK and the other's in ALARM since before the other's latest report (reads
    that disagree): neither acts on the other's word against its own, both alert once."""
    world = world_with({EAST: MemoryTable(), WEST: MemoryTable()})
    minutes(world, 3)
    for reader, region in ((EAST, WEST), (WEST, EAST)):
        world.alarm_views[(reader, region)] = Alarm("ALARM", world.now - 600)
    minutes(world, 10)
    assert world.connect.updates == []
    for region in (EAST, WEST):
        assert [m["Subject"] for m in world.sns[region].published] == [f"connectdr {region}: attention: peer-disputes"]
