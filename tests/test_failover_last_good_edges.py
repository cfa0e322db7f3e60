"""The last valid desired item at its edges, on the deployed path (both controllers through `evaluate` on moto
tables): its own attributes damaged in the table, the two controllers remembering different documents (or one
none), a group gone, a half-made failover retried, the other region failing after a recovery, overrides."""

import json
from decimal import Decimal

import pytest
from conftest import create_config_table, load_lambda
from moto import mock_aws

from bench import fake_aws
from bench.failover_world import DEFAULT_ARN, EAST, GROUP_ARN, REGIONS, WEST, World, desired_document
from bench.fake_aws import client_error

load_lambda("failover_controller")

from decisions import Settings  # noqa: E402

SETTINGS = Settings(healthy_evaluations_before_failback=2, cooldown_seconds=300)
ALL_WEST = {EAST: 0, WEST: 100}
ALL_EAST = {EAST: 100, WEST: 0}


@pytest.fixture
def world(aws_env):
    with mock_aws():
        world = World({region: create_config_table(region) for region in REGIONS}, {EAST: SETTINGS, WEST: SETTINGS})
        world.now = 1_000_000.0
        world.write_desired(desired_document())
        yield world


def sweep(world: World, minutes: int, regions: tuple[str, ...] = REGIONS) -> None:
    for _ in range(minutes):
        world.now += 60
        for offset, region in enumerate(regions):
            world.now += 5 * offset
            world.invoke(region)
            world.now -= 5 * offset


def break_desired(world: World, regions: tuple[str, ...] = REGIONS) -> None:
    for region in regions:
        world.tables[region].table.put_item(Item={"pk": "traffic", "sk": "desired", "document": "{oops"})


def splits(world: World) -> tuple[dict[str, int], dict[str, int]]:
    return world.connect.groups[DEFAULT_ARN].telephony, world.connect.groups[GROUP_ARN].telephony


def own_item(world: World, region: str) -> dict:
    return world.tables[region].table.get_item(Key={"pk": "controller", "sk": region})["Item"]


def subjects(world: World, region: str) -> list[str]:
    return [message["Subject"].removeprefix(f"connectdr {region}: ") for message in world.sns[region].published]


def errors(world: World) -> list[str]:
    return [invocation.error for invocation in world.log if invocation.error]


CORRUPT = {
    "a number": Decimal(7),
    "a map": {"regions": [EAST, WEST]},
    "bad JSON": "{not json",
    "JSON of another shape": "[1, 2]",
    "a list": ["x"],
    "JSON nested too deep to parse": "[" * 50_000,
}


@pytest.mark.parametrize("kept", CORRUPT.values(), ids=CORRUPT.keys())
def test_a_damaged_remembered_document_never_fails_the_evaluation(world, kept):
    """Whatever sits in lastGoodDesired (a hand edit, another program), the controller keeps reporting and
    alerting; it moves nothing from a document it cannot use."""
    sweep(world, 1)
    item = own_item(world, WEST)
    world.tables[WEST].table.put_item(Item={**item, "lastGoodDesired": kept})
    break_desired(world)
    world.alarms[EAST].set("ALARM", world.now)
    sweep(world, 3, (WEST,))
    assert errors(world) == []
    assert splits(world) == ({EAST: 50, WEST: 50}, {EAST: 70, WEST: 30})
    assert subjects(world, WEST) == ["attention: desired-invalid"]
    assert json.loads(own_item(world, WEST)["document"])["report"]["at"] == world.now, "still reporting"


def test_a_damaged_remembered_document_is_replaced_once_the_item_is_valid(world):
    sweep(world, 1)
    item = own_item(world, WEST)
    world.tables[WEST].table.put_item(Item={**item, "lastGoodDesired": Decimal(7)})
    sweep(world, 1)
    assert errors(world) == []
    assert json.loads(own_item(world, WEST)["lastGoodDesired"]) == desired_document()


def test_only_the_controller_that_remembers_a_document_fails_over_and_nothing_swings_back(world):
    """us-west-2 read the valid item, us-east-1 never did (its table had none yet): east holds, west fails
    over, and once east recovers nothing is restored by either."""
    sweep(world, 1, (WEST,))
    break_desired(world)
    sweep(world, 1)
    assert "lastGoodDesired" not in own_item(world, EAST)
    world.alarms[EAST].set("ALARM", world.now)
    sweep(world, 3)
    assert splits(world) == (ALL_WEST, ALL_WEST)
    world.alarms[EAST].set("OK", world.now)
    sweep(world, 15)
    assert errors(world) == []
    assert splits(world) == (ALL_WEST, ALL_WEST)
    assert [arn for _, region, arn, _ in world.connect.updates if region == EAST] == []


def test_controllers_remembering_different_versions_only_ever_fail_over_toward_a_healthy_region(world):
    """us-west-2 remembers a split sending nothing to us-east-1 (v2), us-east-1 the older 50/50 one (v1):
    with both regions healthy neither applies its own; a failing region only loses its calls."""
    sweep(world, 1)
    world.write_desired(desired_document(ALL_WEST, ALL_WEST, version="v2"), (WEST,))
    sweep(world, 1, (WEST,))
    assert splits(world) == (ALL_WEST, ALL_WEST), "us-west-2 read v2 and applied it"
    break_desired(world)
    sweep(world, 10)
    assert len(world.swings()) == 1, "us-east-1 does not restore its v1 from memory"
    assert (own_item(world, EAST)["lastGoodVersion"], own_item(world, WEST)["lastGoodVersion"]) == ("v1", "v2")
    world.alarms[WEST].set("ALARM", world.now)
    sweep(world, 3)
    assert splits(world) == (ALL_EAST, ALL_EAST)
    world.alarms[WEST].set("OK", world.now)
    sweep(world, 15)
    assert errors(world) == []
    assert splits(world) == (ALL_EAST, ALL_EAST), "us-west-2 does not take its v2 share back from memory"
    assert len(world.swings()) == 2


def test_the_other_region_failing_after_a_recovery_moves_the_calls_to_the_recovered_one(world):
    """The item breaks, us-east-1 fails (calls to us-west-2), recovers (held there), then us-west-2 fails: the
    calls go to us-east-1, its healthy own region, once its recovery counts."""
    sweep(world, 1)
    break_desired(world)
    world.alarms[EAST].set("ALARM", world.now)
    sweep(world, 2)
    assert splits(world) == (ALL_WEST, ALL_WEST)
    world.alarms[EAST].set("OK", world.now)
    sweep(world, 10)
    assert splits(world) == (ALL_WEST, ALL_WEST)
    world.alarms[WEST].set("ALARM", world.now)
    sweep(world, 3)
    assert errors(world) == []
    assert splits(world) == (ALL_EAST, ALL_EAST)
    assert subjects(world, EAST)[-1] == "failover by the last valid desired item"


def test_both_regions_failing_in_turn_without_a_recovery_moves_nothing_back(world):
    """us-east-1 has not recovered when us-west-2 fails: nothing swings back to it."""
    sweep(world, 1)
    break_desired(world)
    world.alarms[EAST].set("ALARM", world.now)
    sweep(world, 2)
    world.alarms[WEST].set("ALARM", world.now)
    sweep(world, 5)
    assert errors(world) == []
    assert splits(world) == (ALL_WEST, ALL_WEST)


def custom_group_deleted(monkeypatch) -> None:
    """The custom traffic group is gone: GetTrafficDistribution answers ResourceNotFoundException for it."""
    answer = fake_aws.FakeConnect.get_traffic_distribution

    def group_gone(self, **params):
        if params["Id"] == GROUP_ARN:
            raise client_error("ResourceNotFoundException", "GetTrafficDistribution")
        return answer(self, **params)

    monkeypatch.setattr(fake_aws.FakeConnect, "get_traffic_distribution", group_gone)


def test_a_remembered_group_that_no_longer_exists_does_not_keep_the_others_from_failing_over(world, monkeypatch):
    sweep(world, 1)
    break_desired(world)
    custom_group_deleted(monkeypatch)
    world.alarms[EAST].set("ALARM", world.now)
    sweep(world, 3)
    assert world.connect.groups[DEFAULT_ARN].telephony == ALL_WEST
    failover = [m for m in subjects(world, WEST) if m.startswith("failover")]
    assert failover == ["failover by the last valid desired item; attention: desired-invalid"]
    assert any("ResourceNotFoundException" in error for error in errors(world)), "the gone group is alarmed"


def test_a_half_made_failover_from_the_remembered_document_is_completed_by_the_next_evaluation(world):
    sweep(world, 1)
    break_desired(world)
    world.connect.fail_update = lambda arn: "InternalServiceException" if arn == GROUP_ARN else None
    world.alarms[EAST].set("ALARM", world.now)
    sweep(world, 1)
    assert splits(world) == (ALL_WEST, {EAST: 70, WEST: 30})
    assert any("InternalServiceException" in error for error in errors(world)), "the invocation fails"
    world.connect.fail_update = lambda _arn: None
    sweep(world, 2)
    assert splits(world) == (ALL_WEST, ALL_WEST)
    assert own_item(world, WEST)["lastGoodVersion"] == "v1"


def test_the_controllers_item_failing_to_save_keeps_the_remembered_document(world):
    sweep(world, 1)
    break_desired(world)
    world.tables[WEST].failing = True
    world.alarms[EAST].set("ALARM", world.now)
    sweep(world, 1, (WEST,))
    assert splits(world) == ({EAST: 50, WEST: 50}, {EAST: 70, WEST: 30}), "nothing moves off the record"
    world.tables[WEST].failing = False
    sweep(world, 1, (WEST,))
    assert splits(world) == (ALL_WEST, ALL_WEST)
    assert own_item(world, WEST)["lastGoodVersion"] == "v1"


def test_a_remembered_freeze_holds_even_a_failover(world):
    """The operator froze the split; the frozen document is the last valid one: frozen it stays."""
    world.write_desired(desired_document(override={"mode": "freeze", "region": None}))
    sweep(world, 1)
    break_desired(world)
    world.alarms[EAST].set("ALARM", world.now)
    sweep(world, 3)
    assert errors(world) == []
    assert splits(world) == ({EAST: 50, WEST: 50}, {EAST: 70, WEST: 30})


def test_a_remembered_force_is_not_reapplied_but_a_failover_away_from_the_forced_region_is_held(world):
    world.write_desired(desired_document(override={"mode": "force", "region": WEST}))
    sweep(world, 2)
    assert splits(world) == (ALL_WEST, ALL_WEST)
    break_desired(world)
    world.alarms[WEST].set("ALARM", world.now)
    sweep(world, 3)
    assert errors(world) == []
    assert splits(world) == (ALL_WEST, ALL_WEST), "as with a valid item: the override must be ended"


def test_desired_invalid_is_alerted_once_then_again_only_when_the_condition_changes(world):
    sweep(world, 1)
    break_desired(world)
    sweep(world, 3)
    world.alarms[EAST].set("ALARM", world.now)
    sweep(world, 3)
    world.alarms[EAST].set("OK", world.now)
    sweep(world, 5)
    for region in REGIONS:
        world.tables[region].table.delete_item(Key={"pk": "traffic", "sk": "desired"})
    sweep(world, 3)
    break_desired(world)
    sweep(world, 2)
    assert errors(world) == []
    assert subjects(world, WEST) == [
        "attention: desired-invalid",
        "failover by the last valid desired item",
        "attention: desired-missing",
        "attention: desired-invalid",
    ]


def test_a_controller_holding_on_the_remembered_document_still_reports_how_it_sees_its_peer(aws_env):
    """us-west-2 (the tie-breaker) cannot read us-east-1 and does not hear its controller: it counts it failed
    and fails over from memory. While it holds there it must keep reporting us-east-1 as failed, or us-east-1,
    reading the repaired item first, gives itself calls back that us-west-2 takes away again at once."""
    tie_breaker = Settings(**{**SETTINGS.__dict__, "tie_breaker": True})
    with mock_aws():
        world = World({region: create_config_table(region) for region in REGIONS}, {EAST: SETTINGS, WEST: tie_breaker})
        world.now = 1_000_000.0
        world.write_desired(desired_document())
        sweep(world, 1)
        break_desired(world)
        world.alarm_reads[(WEST, EAST)] = False
        world.replicating[(EAST, WEST)] = False
        sweep(world, 8)
        assert splits(world) == (ALL_WEST, ALL_WEST)
        report = json.loads(own_item(world, WEST)["document"])["report"]
        assert report["viewOfPeer"] == "unhealthy"
        world.write_desired(desired_document(version="repaired"))
        sweep(world, 10)
        assert errors(world) == []
        assert len(world.swings()) == 1, "no swing back and forth"


def test_a_remembered_group_that_cannot_be_read_is_alarmed_while_holding_too(world, monkeypatch):
    """As with a valid item, an unreadable group fails every invocation (alarmed) and is audited: holding on
    the remembered document does not make a deleted group silent after the failover."""
    sweep(world, 1)
    break_desired(world)
    custom_group_deleted(monkeypatch)
    world.alarms[EAST].set("ALARM", world.now)
    sweep(world, 3, (WEST,))
    assert world.connect.groups[DEFAULT_ARN].telephony == ALL_WEST
    assert all(invocation.error and "ResourceNotFoundException" in invocation.error for invocation in world.log[2:])
    items = world.tables[WEST].table.scan()["Items"]
    audited = [json.loads(item["document"]) for item in items if item["pk"] == "audit"]
    held = [audit for audit in audited if audit["action"] == "none" and audit["condition"] == "desired-invalid"]
    assert held and all(audit.get("unreadable") == {GROUP_ARN: "ResourceNotFoundException"} for audit in held[-2:])


def test_a_desired_item_nested_past_the_parsers_depth_is_invalid_and_the_failover_is_made_from_memory(world):
    sweep(world, 1)
    for region in REGIONS:
        world.tables[region].table.put_item(Item={"pk": "traffic", "sk": "desired", "document": "[" * 50_000})
    world.alarms[EAST].set("ALARM", world.now)
    sweep(world, 3)
    assert errors(world) == []
    assert splits(world) == (ALL_WEST, ALL_WEST)
    assert subjects(world, WEST) == ["failover by the last valid desired item; attention: desired-invalid"]


def test_a_large_broken_desired_item_is_not_quoted_whole_in_the_alert_and_the_audit(world):
    """SNS takes messages up to 256 KB and DynamoDB items up to 400 KB: a broken item of 300 KB quoted whole
    would make every desired-invalid alert fail and could push the audit item past its limit."""
    sweep(world, 1)
    for region in REGIONS:
        world.tables[region].table.put_item(Item={"pk": "traffic", "sk": "desired", "document": "{" + "x" * 300_000})
    world.alarms[EAST].set("ALARM", world.now)
    sweep(world, 3)
    assert splits(world) == (ALL_WEST, ALL_WEST)
    messages = [message["Message"] for message in world.sns[WEST].published]
    assert messages and max(len(message.encode()) for message in messages) < 16 * 1024
    assert "document = '{xxx" in json.loads(messages[0])["desiredProblem"], "the start of the value is shown"
