"""stream_sync fed the way Lambda's event source mapping delivers: batching window, shards and lanes,
partial batch responses retried from the lowest failed sequence number, bisection on errors, bounded
retries; moto behind it, with throttling and crashes injected."""

import random
from collections import Counter
from dataclasses import replace

import pytest
from conftest import load_lambda
from moto import mock_aws
from sync_world import Faulty, create_sync_tables, drain, store_and_queue, stored

from bench.event_source import Mapping, replay
from bench.workload import START, ContactCenterDay, agent_event, agent_id, kinesis_record, to_shards
from config.operations import DataSync

handler = load_lambda("stream_sync")
from items import newest  # noqa: E402
from writer import VersionCache  # noqa: E402

CTR_STREAM = "arn:aws:kinesis:us-east-1:123456789012:stream/connectdr-ctr"
SETTINGS = DataSync(shard_count=2)
MAPPING = Mapping(
    batch_size=SETTINGS.batch_size,
    batching_window_seconds=SETTINGS.batching_window_seconds,
    parallelization_factor=SETTINGS.parallelization_factor,
    max_retries=SETTINGS.max_retries,
    max_record_age_seconds=SETTINGS.max_record_age_seconds,
)


@pytest.fixture
def world(aws_env):
    with mock_aws():
        yield create_sync_tables()


def streams(day, poison_every: int = 40):
    """Both streams' shards, with poison records (garbage, an agent event too large for an item) mixed in."""
    agents = [p for p in day if "AgentARN" in p.body]
    shards = to_shards(agents, SETTINGS.shard_count) + to_shards(
        [p for p in day if "ContactId" in p.body], SETTINGS.shard_count, CTR_STREAM
    )
    poison = []
    for index, (arrival, _) in enumerate(list(shards[0])[poison_every - 1 :: poison_every]):
        body = agent_event(900 + index, START)
        body["CurrentAgentSnapshot"]["Configuration"]["Username"] = "u" * 500_000
        bad = kinesis_record(body if index % 2 else "{not json", 10_000_000 + index)
        shards[0].append((arrival + 0.01, bad))
        poison.append(bad["kinesis"]["sequenceNumber"])
    return [sorted(shard, key=lambda item: (item[0], item[1]["kinesis"]["sequenceNumber"])) for shard in shards], poison


def expected_newest(day):
    agents, contacts = {}, {}
    for published in day:
        body = published.body
        if "AgentARN" in body and body["EventType"] != "HEART_BEAT":
            key = agent_id(int(body["AgentARN"].rsplit("/", 1)[-1][:8]))
            agents[key] = max(agents.get(key, ("", "")), (body["EventTimestamp"], body["EventId"]))
        elif "ContactId" in body:
            contacts[body["ContactId"]] = max(contacts.get(body["ContactId"], ""), body["LastUpdateTimestamp"])
    return agents, contacts


def lambda_function(world, client_filter, cache):
    dynamodb, sqs, queue_url = world

    def invoke(batch):
        store, queue = store_and_queue(dynamodb, sqs, queue_url, client_filter(dynamodb))
        try:
            response, _ = handler.process({"Records": batch}, store, queue, cache)
        except Exception:  # what Lambda sees as a function error: the mapping bisects
            return None, 0.05
        return response, 0.05

    return invoke


def test_throttled_batches_retry_until_every_record_is_written_or_dead_lettered_once(world):
    day = ContactCenterDay(agents=25, seconds=600, seed=5).generate()
    shards, poison = streams(day)
    rng = random.Random(3)
    throttled = lambda client: Faulty(  # noqa: E731
        client,
        lambda name, _p: (
            "ProvisionedThroughputExceededException" if name == "put_item" and rng.random() < 0.05 else None
        ),
    )
    outcome = replay(shards, MAPPING, lambda_function(world, throttled, VersionCache()))
    assert outcome.retries > 0, "the throttling made the mapping retry"
    assert outcome.discarded == []
    dynamodb, sqs, queue_url = world
    agents, contacts = expected_newest(day)
    for agent, (timestamp, event_id) in agents.items():
        item = newest(stored(dynamodb, "agent_state", agent))
        assert (item["eventTimestamp"], item["version"].split("#", 1)[1]) == (timestamp, event_id)
    for contact, updated in contacts.items():
        assert newest(stored(dynamodb, "contacts", contact))["lastUpdateTimestamp"] == updated
    letters = drain(sqs, queue_url)
    assert sorted(letter["sequenceNumber"] for letter in letters) == sorted(poison), "each poison record once"
    assert {letter["kind"] for letter in letters} == {"undecodable", "too-large"}


def test_a_crash_on_one_record_is_bisected_down_to_that_record(world):
    """A fault no rule foresaw (here the client raising a non-AWS error for one agent) fails the invocation;
    the mapping bisects until only that record fails, discards it after the retries, and the rest lands."""
    day = ContactCenterDay(agents=6, seconds=300, seed=9).generate()
    shards, _ = streams(day, poison_every=10**6)
    doomed = agent_id(2)

    class Crash(Exception):
        pass

    def crashing(client):
        def fail(name, params):
            if name == "put_item" and params["Item"].get("agentId") == {"S": doomed}:
                raise Crash("unforeseen")
            return None

        return Faulty(client, fail)

    backlog = replace(MAPPING, batching_window_seconds=120, max_retries=1)  # batches of many records
    outcome = replay(shards, backlog, lambda_function(world, crashing, None))
    assert outcome.bisections > 0
    discarded_agents = {record["kinesis"]["partitionKey"].rsplit("/", 1)[-1] for record in outcome.discarded}
    assert discarded_agents == {doomed}, "only the crashing agent's records are given up"
    agents, _ = expected_newest(day)
    dynamodb = world[0]
    for agent, (timestamp, _) in agents.items():
        if agent != doomed:
            assert newest(stored(dynamodb, "agent_state", agent))["eventTimestamp"] == timestamp


def test_poison_in_bisected_halves_is_dead_lettered_once(world):
    """A crash bisects batches that also hold poison: each half that brings a poison record back finds its
    marker, so every poison record reaches the queue exactly once, and only the crashing record is given up."""
    day = ContactCenterDay(agents=6, seconds=300, seed=11).generate()
    shards, poison = streams(day, poison_every=3)
    doomed = agent_id(0)  # its records share a shard with the poison

    def crashing(client):
        def fail(name, params):
            if name == "put_item" and params["Item"].get("agentId") == {"S": doomed}:
                raise RuntimeError("unforeseen")
            return None

        return Faulty(client, fail)

    backlog = replace(MAPPING, batching_window_seconds=120, max_retries=1)
    invoke, delivered = lambda_function(world, crashing, None), Counter()

    def counting(batch):
        delivered.update(record["kinesis"]["sequenceNumber"] for record in batch)
        return invoke(batch)

    outcome = replay(shards, backlog, counting)
    assert outcome.bisections > 0
    assert max(delivered[sequence] for sequence in poison) > 1, "some poison came back in a bisected half"
    assert {record["kinesis"]["partitionKey"].rsplit("/", 1)[-1] for record in outcome.discarded} == {doomed}
    _, sqs, queue_url = world
    letters = drain(sqs, queue_url)
    assert sorted(letter["sequenceNumber"] for letter in letters) == sorted(poison)
