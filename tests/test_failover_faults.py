"""The deployed controller (handler path: `evaluate` with its state in moto tables) under faults the rules
alone do not show: a desired item it cannot use, a service answer that leaves a region out, an alert that
fails or an invocation killed half way, and config-table replication that delivers items out of order."""

import json

import pytest
from conftest import create_config_table, load_lambda
from moto import mock_aws

from bench import fake_aws
from bench.failover_world import EAST, WEST, World, desired_document

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
