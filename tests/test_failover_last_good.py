"""The last valid desired item, on the deployed path (`evaluate` with its state in moto tables): a desired
item that is broken or deleted during an outage still lets the healthy region's controller fail every group
over to itself (from the document it last parsed), and nothing else moves until the item is valid again."""

import json

import pytest
from conftest import create_config_table, load_lambda
from moto import mock_aws

from bench.failover_world import DEFAULT_ARN, EAST, GROUP_ARN, REGIONS, WEST, World, desired_document

load_lambda("failover_controller")
from decisions import FAILOVER, NONE, Memory, Observation, Override, Settings, Split, Traffic, decide  # noqa: E402

SETTINGS = Settings(healthy_evaluations_before_failback=2, cooldown_seconds=300)
TIE_BREAKER = Settings(**{**SETTINGS.__dict__, "tie_breaker": True})
ALL_WEST = {EAST: 0, WEST: 100}


def delete_desired(world: World) -> None:
    for region in REGIONS:
        world.tables[region].table.delete_item(Key={"pk": "traffic", "sk": "desired"})


def write_bad_json(world: World) -> None:
    for region in REGIONS:
        world.tables[region].table.put_item(Item={"pk": "traffic", "sk": "desired", "document": '{"regions": ['})


def write_broken_key(world: World) -> None:
    document = desired_document(version="hand-edited")
    document["default"].pop("signIn")
    world.write_desired(document)


BREAKS = {
    "bad JSON": (write_bad_json, "desired-invalid"),
    "a broken key": (write_broken_key, "desired-invalid"),
    "deleted": (delete_desired, "desired-missing"),
}


@pytest.fixture
def world(aws_env):
    with mock_aws():
        world = World({region: create_config_table(region) for region in REGIONS}, {EAST: TIE_BREAKER, WEST: SETTINGS})
        world.now = 1_000_000.0
        world.write_desired(desired_document())
        yield world


def sweep(world: World, minutes: int) -> None:
    for _ in range(minutes):
        world.now += 60
        world.invoke(EAST)
        world.now += 5
        world.invoke(WEST)
        world.now -= 5


def subjects(world: World, region: str) -> list[str]:
    return [message["Subject"].removeprefix(f"connectdr {region}: ") for message in world.sns[region].published]


def audits(world: World, region: str) -> list[dict]:
    items = world.tables[region].table.scan()["Items"]
    return [json.loads(item["document"]) for item in items if item["pk"] == "audit"]


def splits(world: World) -> tuple[dict[str, int], dict[str, int]]:
    return world.connect.groups[DEFAULT_ARN].telephony, world.connect.groups[GROUP_ARN].telephony


def own_item(world: World, region: str) -> dict:
    return world.tables[region].table.get_item(Key={"pk": "controller", "sk": region})["Item"]


@pytest.mark.parametrize(("damage", "condition"), BREAKS.values(), ids=BREAKS.keys())
def test_an_outage_after_the_desired_item_broke_fails_every_group_over_from_the_last_valid_one(
    world, damage, condition
):
    sweep(world, 1)
    damage(world)
    sweep(world, 2)
    assert splits(world) == ({EAST: 50, WEST: 50}, {EAST: 70, WEST: 30}), "both healthy: nothing moves"
    world.alarms[EAST].set("ALARM", world.now)
    sweep(world, 3)
    assert all(invocation.error is None for invocation in world.log)
    assert splits(world) == (ALL_WEST, ALL_WEST)
    assert subjects(world, WEST) == [f"attention: {condition}", "failover by the last valid desired item"]
    failover = [audit for audit in audits(world, WEST) if audit["action"] == "failover"]
    assert len(failover) == 1 and failover[0]["lastValidDesired"] == "v1"
    assert "made from the last valid desired item (version v1)" in failover[0]["reason"]
    assert "nothing moves" not in failover[0]["desiredProblem"], "the audit of a failover does not say nothing moved"
    assert failover[0]["condition"] == condition
    assert sum(audit["condition"] == condition for audit in audits(world, WEST)) == 5, "every evaluation audited"
    shift = json.loads(own_item(world, WEST)["document"])["shift"]
    assert shift["failedAwayFrom"] == EAST, "the shift is on record, as for any failover"


def test_a_desired_item_broken_as_the_region_fails_is_announced_with_the_failover(world):
    sweep(world, 1)
    write_broken_key(world)
    world.alarms[EAST].set("ALARM", world.now)
    sweep(world, 3)
    assert splits(world) == (ALL_WEST, ALL_WEST)
    assert subjects(world, WEST) == ["failover by the last valid desired item; attention: desired-invalid"]
    message = json.loads(world.sns[WEST].published[0]["Message"])
    assert "default.signIn" in message["desiredProblem"], "the key, value and rule are in the alert"


@pytest.mark.parametrize(("damage", "condition"), BREAKS.values(), ids=BREAKS.keys())
def test_after_recovery_nothing_is_restored_from_the_last_valid_item(world, damage, condition):
    sweep(world, 1)
    damage(world)
    world.alarms[EAST].set("ALARM", world.now)
    sweep(world, 2)
    assert splits(world) == (ALL_WEST, ALL_WEST)
    world.alarms[EAST].set("OK", world.now)
    sweep(world, 15)
    assert all(invocation.error is None for invocation in world.log)
    assert splits(world) == (ALL_WEST, ALL_WEST), "no failback from the old document"
    assert [arn for _, region, arn, _ in world.connect.updates if region == EAST] == []
    held = world.log[-1].result
    assert held["action"] == "none" and held["condition"] == condition
    assert "only a failover is made from the last valid desired item: held restore" in held["reason"]
    world.write_desired(desired_document(version="fixed"))
    sweep(world, 1)
    assert splits(world) == ({EAST: 50, WEST: 50}, {EAST: 70, WEST: 30}), "a valid item applies again"


def test_a_failover_made_under_a_valid_item_is_not_failed_back_once_the_item_broke(world):
    """Both regions healthy again: the last valid item would give us-east-1 its calls back; it is held."""
    sweep(world, 1)
    world.alarms[EAST].set("ALARM", world.now)
    sweep(world, 1)
    assert splits(world) == (ALL_WEST, ALL_WEST)
    world.alarms[EAST].set("OK", world.now)
    delete_desired(world)
    sweep(world, 15)
    assert splits(world) == (ALL_WEST, ALL_WEST)
    assert subjects(world, WEST) == ["failover", "attention: desired-missing"]
    assert subjects(world, EAST) == ["attention: own-unhealthy", "attention: desired-missing"]


def test_a_controller_that_never_read_a_valid_item_holds(world):
    write_broken_key(world)
    world.alarms[EAST].set("ALARM", world.now)
    sweep(world, 3)
    assert splits(world) == ({EAST: 50, WEST: 50}, {EAST: 70, WEST: 30})
    assert subjects(world, WEST) == ["attention: desired-invalid"]
    assert "lastGoodDesired" not in own_item(world, WEST)


def test_the_last_valid_item_is_kept_in_the_controllers_own_item_and_replaced_by_a_newer_one(world):
    sweep(world, 1)
    item = own_item(world, WEST)
    assert (json.loads(item["lastGoodDesired"]), item["lastGoodVersion"]) == (desired_document(), "v1")
    second = desired_document({EAST: 60, WEST: 40}, version="v2")
    world.write_desired(second)
    sweep(world, 2)
    item = own_item(world, WEST)
    assert (json.loads(item["lastGoodDesired"]), item["lastGoodVersion"]) == (second, "v2")
    delete_desired(world)
    sweep(world, 2)
    assert own_item(world, WEST)["lastGoodVersion"] == "v2", "kept while the item is unusable"
    world.alarms[EAST].set("ALARM", world.now)
    sweep(world, 1)
    assert splits(world) == (ALL_WEST, ALL_WEST)
    assert [audit["lastValidDesired"] for audit in audits(world, WEST) if audit["action"] == "failover"] == ["v2"]


def test_a_document_too_large_to_keep_is_not_remembered(world):
    """The controller's item stays far below DynamoDB's 400 KB: a document over 64 KB is not kept, and the
    older one is dropped with it (the controller never falls back to a document older than the newest)."""
    sweep(world, 1)
    world.write_desired({**desired_document(version="v2"), "notes": "x" * 70_000})
    sweep(world, 1)
    assert "lastGoodDesired" not in own_item(world, WEST)
    write_broken_key(world)
    world.alarms[EAST].set("ALARM", world.now)
    sweep(world, 2)
    assert splits(world) == ({EAST: 50, WEST: 50}, {EAST: 70, WEST: 30})


def test_the_rules_make_only_a_failover_from_the_last_valid_item():
    """The pure rules: an override (force here) read from the last valid document is held; a failover is not."""
    current = Traffic.of(DEFAULT_ARN, {DEFAULT_ARN: Split({EAST: 50, WEST: 50})})
    force = Override("force", WEST)

    def decided(other: str, override: Override) -> str:
        observation = Observation("healthy", other)
        return decide(
            desired=current,
            current=current,
            own_region=WEST,
            other_region=EAST,
            observation=observation,
            memory=Memory(),
            override=override,
            now=1000.0,
            settings=SETTINGS,
            failover_only=True,
        ).action

    assert (decided("healthy", force), decided("unhealthy", Override())) == (NONE, FAILOVER)
