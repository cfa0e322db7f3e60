"""The deployed controller (handler path: `evaluate` with its state in moto tables) under faults the rules
alone do not show: a desired item it cannot use, a service answer that leaves a region out, an alert that
fails or an invocation killed half way, and config-table replication that delivers items out of order."""

import json

import pytest
from conftest import create_config_table, load_lambda
from failover_lag import LaggedWorld, LambdaTimeout
from moto import mock_aws

from bench import fake_aws
from bench.failover_world import DEFAULT_ARN, EAST, GROUP_ARN, WEST, World, desired_document

load_lambda("failover_controller")
from decisions import Settings  # noqa: E402

SETTINGS = Settings(healthy_evaluations_before_failback=2, cooldown_seconds=300)
TIE_BREAKER = Settings(**{**SETTINGS.__dict__, "tie_breaker": True})


def moto_world(world_type=World, **options) -> World:
    world = world_type(
        {region: create_config_table(region) for region in (EAST, WEST)}, {EAST: TIE_BREAKER, WEST: SETTINGS}, **options
    )
    world.write_desired(desired_document())
    return world


@pytest.fixture
def world(aws_env):
    with mock_aws():
        yield moto_world()


def sweep(world: World, minutes: int, regions=(EAST, WEST)) -> None:
    for _ in range(minutes):
        world.now += 60
        for offset, region in enumerate(regions):
            world.now += offset * 5
            world.invoke(region)
            world.now -= offset * 5


def subjects(world: World, region: str) -> list[str]:
    return [message["Subject"].removeprefix(f"connectdr {region}: ") for message in world.sns[region].published]


def audits(world: World, region: str) -> list[dict]:
    table = world.tables[region].table
    table = getattr(table, "table", table)
    return [json.loads(item["document"]) for item in table.scan()["Items"] if item["pk"] == "audit"]


def with_desired(change) -> dict:
    document = desired_document(version="broken")
    change(document)
    return document


MALFORMED = {
    "default without signIn": (lambda d: d["default"].pop("signIn"), "default.signIn"),
    "group telephony null": (lambda d: d["groups"][0].update(telephony=None), "groups[0].telephony"),
    "shares not summing to 100": (lambda d: d["default"].update(telephony={EAST: 50, WEST: 40}), "default.telephony"),
    "share not a multiple of 10": (lambda d: d["default"].update(telephony={EAST: 55, WEST: 45}), "default.telephony"),
    "force without a region": (lambda d: d.update(override={"mode": "force", "region": None}), "override.region"),
    "force to a region not replicated": (
        lambda d: d.update(override={"mode": "force", "region": "eu-west-2"}),
        "override.region",
    ),
    "unknown override mode": (lambda d: d.update(override={"mode": "pause"}), "override.mode"),
    "window without days": (
        lambda d: d.update(schedule=[{"name": "w", "startHour": 0, "endHour": 24, "telephony": {EAST: 100, WEST: 0}}]),
        "schedule[0].days",
    ),
    "no regions": (lambda d: d.pop("regions"), "regions"),
}


@pytest.mark.parametrize(("change", "key"), MALFORMED.values(), ids=MALFORMED.keys())
def test_a_malformed_desired_item_is_alerted_once_audited_and_the_controller_keeps_reporting(world, change, key):
    """Not a silent wait (a KeyError read as 'no item yet') nor a crash loop that stops the report. (The
    controllers never read a valid item here: with one, a failover is made from it, test_failover_last_good.)"""
    world.write_desired(with_desired(change))
    world.alarms[EAST].set("ALARM", world.now)
    sweep(world, 5)
    assert all(invocation.error is None for invocation in world.log)
    assert subjects(world, WEST) == ["attention: desired-invalid"], "once, not every minute"
    message = json.loads(world.sns[WEST].published[0]["Message"])
    assert key in message["reason"] and "pk=traffic, sk=desired" in message["reason"]
    assert sum(a["condition"] == "desired-invalid" for a in audits(world, WEST)) == 5
    report = json.loads(world.tables[EAST].table.get_item(Key={"pk": "controller", "sk": WEST})["Item"]["document"])
    assert report["report"]["at"] == world.now + 5, "its report stays fresh: the peer does not see it silent"
    world.write_desired(desired_document(version="fixed"))
    sweep(world, 1)
    assert world.connect.groups[DEFAULT_ARN].telephony == {EAST: 0, WEST: 100}, "acts as soon as it is fixed"


def test_a_missing_desired_item_is_alerted_once(world):
    world.tables[EAST].table.delete_item(Key={"pk": "traffic", "sk": "desired"})
    world.tables[WEST].table.delete_item(Key={"pk": "traffic", "sk": "desired"})
    sweep(world, 3)
    assert subjects(world, EAST) == ["attention: desired-missing"]
    assert world.log[-1].result["reason"].startswith("waiting: no desired split")


def test_a_region_the_service_leaves_out_of_its_answer_counts_as_zero(world, monkeypatch):
    """If GetTrafficDistribution lists only regions with a share, the split is still in effect: no rewrite
    and no SNS message every minute."""
    answer = fake_aws.FakeConnect.get_traffic_distribution

    def without_zero_shares(self, **params):
        response = answer(self, **params)
        for key in ("TelephonyConfig", "AgentConfig"):
            if key in response:
                response[key]["Distributions"] = [d for d in response[key]["Distributions"] if d["Percentage"]]
        if "SignInConfig" in response:
            response["SignInConfig"]["Distributions"] = [
                d for d in response["SignInConfig"]["Distributions"] if d["Enabled"]
            ]
        return response

    monkeypatch.setattr(fake_aws.FakeConnect, "get_traffic_distribution", without_zero_shares)
    sweep(world, 1)
    world.alarms[EAST].set("ALARM", world.now)
    sweep(world, 8)
    assert len(world.connect.updates) == 2, "each group written once"
    assert subjects(world, WEST) == ["failover"]


class KilledSns(fake_aws.FakeSns):
    def publish(self, **params):
        raise LambdaTimeout


def test_a_shift_whose_alert_failed_is_announced_by_the_next_evaluation(world):
    """The invocation fails once (a single error datapoint does not trip the 2-of-3 errors alarm) and the
    condition is already remembered: without a record of the unsent message, nobody hears of the failover."""
    sweep(world, 1)
    world.alarms[EAST].set("ALARM", world.now)
    world.sns[WEST].fail = True
    sweep(world, 1, regions=(WEST,))
    assert world.log[-1].error and world.east_share() == 0
    world.sns[WEST].fail = False
    sweep(world, 3)
    assert subjects(world, WEST) == ["not announced before: failover"]
    message = json.loads(world.sns[WEST].published[0]["Message"])
    assert message["unannounced"]["action"] == "failover" and message["split"][EAST] == 0


@pytest.mark.parametrize("killed_at", ["alert", "audit"])
def test_an_evaluation_killed_after_its_writes_is_announced_and_audited_by_the_next(world, killed_at):
    sweep(world, 1)
    world.alarms[EAST].set("ALARM", world.now)
    sns, table = world.sns[WEST], world.tables[WEST]
    if killed_at == "alert":
        world.sns[WEST] = KilledSns()
    else:
        put = table.put_item
        table.put_item = lambda Item: (_ for _ in ()).throw(LambdaTimeout) if Item["pk"] == "audit" else put(Item)
    world.now += 60
    with pytest.raises(LambdaTimeout):
        world.invoke(WEST)
    world.sns[WEST], table.put_item = sns, type(table).put_item.__get__(table)
    assert world.east_share() == 0
    sweep(world, 2)
    assert subjects(world, WEST) == ["not announced before: failover"]
    assert [a["unannounced"][0]["action"] for a in audits(world, WEST) if a.get("unannounced")] == ["failover"]


def test_a_restore_killed_between_groups_is_finished_without_an_unrecorded_change_alarm(world):
    """Its own half-done shift is on record (the intent): its next evaluation finishes it and does not take
    it for a change nobody recorded (which would hold the restore and alert). The peer does hold until a
    report of this controller's written after it noticed the change (the documented rule)."""
    sweep(world, 1)
    world.alarms[EAST].set("ALARM", world.now)
    sweep(world, 1)
    world.alarms[EAST].set("OK", world.now)
    calls = []

    def killed_on_second_update(arn):
        calls.append(arn)
        if len(calls) == 2:
            raise LambdaTimeout
        return None

    while world.east_share() == 0:
        world.now += 60
        world.invoke(EAST)
        world.connect.fail_update = killed_on_second_update
        world.now += 5
        try:
            world.invoke(WEST)
        except LambdaTimeout:
            break
        world.connect.fail_update = lambda _arn: None
        world.now -= 5
    world.connect.fail_update = lambda _arn: None
    assert len(calls) == 2 and world.east_share() == 50 and world.connect.groups[GROUP_ARN].telephony[EAST] == 0
    sweep(world, 2)
    assert world.connect.groups[GROUP_ARN].telephony == {EAST: 70, WEST: 30}
    assert subjects(world, WEST)[-2:] == ["not announced before: restore", "restore"]
    assert not any("unrecorded-change" in subject for subject in subjects(world, WEST))


def test_controllers_reading_different_desired_items_do_not_undo_each_other(aws_env):
    """Global tables do not order items: the desired item reaches us-west-2 ten minutes after the change,
    while the controllers' items replicate in a second. us-west-2 must not restore the split it still reads
    (and us-east-1 then restore its own, every two minutes)."""
    slow_desired = {"on": False}

    def lag(key, _region):
        return 600.0 if slow_desired["on"] and key == ("traffic", "desired") else 1.0

    with mock_aws():
        world = moto_world(LaggedWorld, lag=lag)
        world.now += 2
        world.replicate()
        sweep(world, 2)
        slow_desired["on"] = True
        world.write_desired(desired_document({EAST: 70, WEST: 30}, version="v2"))
        world.now += 1
        world.invoke(EAST)
        sweep(world, 14)
        assert [share for _, share in world.swings()] == [70], "the operator's change, once"
        assert "attention: desired-differs" in subjects(world, WEST)
        assert world.log[-1].result["reason"] == "desired split in effect", "replicated by now: nothing held"


def test_a_group_that_cannot_be_read_does_not_keep_the_others_on_a_failed_region(world, monkeypatch):
    """A custom group deleted (or not ACTIVE yet, or not in the policy) answers ResourceNotFoundException:
    the other groups still move, the group is audited as unreadable, and the invocation fails (alarmed)."""
    answer = fake_aws.FakeConnect.get_traffic_distribution

    def group_gone(self, **params):
        if params["Id"] == GROUP_ARN:
            raise fake_aws.client_error("ResourceNotFoundException", "GetTrafficDistribution")
        return answer(self, **params)

    monkeypatch.setattr(fake_aws.FakeConnect, "get_traffic_distribution", group_gone)
    sweep(world, 1)
    world.alarms[EAST].set("ALARM", world.now)
    world.now += 60
    invocation = world.invoke(WEST)
    assert world.connect.groups[DEFAULT_ARN].telephony == {EAST: 0, WEST: 100}
    assert invocation.error and "ResourceNotFoundException" in invocation.error
    (audit,) = [a for a in audits(world, WEST) if a["action"] == "failover"]
    assert audit["unreadable"] == {GROUP_ARN: "ResourceNotFoundException"}
    assert subjects(world, WEST) == ["failover"]


NEW_GROUP_ARN = GROUP_ARN.replace("aaaaaaaa", "cccccccc")


def test_a_custom_group_added_to_the_desired_item_is_not_taken_for_an_unrecorded_change(world):
    """`up` adds a group (its split as created, 50/50) and invokes the controller: its desired split applies
    at once and is announced; neither controller takes the new group for a change nobody recorded."""
    sweep(world, 2)
    world.connect.groups[NEW_GROUP_ARN] = fake_aws.Group({EAST: 50, WEST: 50}, None, None, False)
    document = desired_document(version="v2")
    document["groups"].append({"name": "spanish", "arn": NEW_GROUP_ARN, "telephony": {EAST: 80, WEST: 20}})
    world.write_desired(document)
    world.now += 10
    assert world.invoke(EAST).result["written"] == [NEW_GROUP_ARN]
    sweep(world, 2)
    assert world.connect.groups[NEW_GROUP_ARN].telephony == {EAST: 80, WEST: 20}
    assert (subjects(world, EAST), subjects(world, WEST)) == (["restore"], []), "the change, announced once"


def test_an_unusable_desired_item_whose_alert_failed_is_announced_by_the_next_evaluation(world):
    sweep(world, 1)
    world.write_desired(with_desired(lambda d: d["default"].pop("signIn")))
    world.sns[WEST].fail = True
    sweep(world, 1)
    assert world.log[-1].error and "alert" in world.log[-1].error
    world.sns[WEST].fail = False
    sweep(world, 2)
    assert subjects(world, WEST) == ["not announced before: attention: desired-invalid"]
