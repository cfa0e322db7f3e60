"""stream_sync at the edges its other tests do not reach: versions at any instant, dead letters whose
ledger or queue half fails, and the time an invocation has left."""

from datetime import UTC, datetime, timedelta

import pytest
from botocore.exceptions import ClientError
from conftest import load_lambda, only
from moto import mock_aws
from sync_world import LEDGER, REGION, TABLES, Faulty, create_sync_tables, drain, store_and_queue, stored

from bench.workload import agent_event, agent_id, contact_record, kinesis_record

handler = load_lambda("stream_sync")
from dead_letters import DeadLetter, DeadLetterQueue, SentLetters  # noqa: E402
from records import Change, Record, coalesce, decode  # noqa: E402
from writer import DynamoStore  # noqa: E402

T0 = datetime(2026, 11, 24, 14, 0, tzinfo=UTC)


def seq(n: int) -> str:
    return f"{n:056d}"


def test_events_a_millisecond_apart_keep_their_order_at_any_instant():
    """Epoch milliseconds from a float lose one now and then once timestamps pass 2^31 s (2038): the newer of
    two events a millisecond apart got the older's version, and the event ids (random) decided the winner."""
    older = agent_event(1, datetime(2038, 12, 7, 23, 50, 22, 639_000, tzinfo=UTC), status="Break", event_id="b")
    newer = agent_event(1, datetime(2038, 12, 7, 23, 50, 22, 640_000, tzinfo=UTC), status="Lunch", event_id="a")
    first, second = (decode(Record.of(kinesis_record(body, n))) for n, body in enumerate((older, newer), start=1))
    assert isinstance(first, Change) and isinstance(second, Change)
    assert second.version > first.version
    assert first.version.startswith("002175378622639#") and second.version.startswith("002175378622640#")
    (winner,) = coalesce([second, first])
    assert winner.attributes["status"] == "Lunch"


# Dead letters: a send that landed is never repeated because its marker could not be written.


@pytest.fixture
def world(aws_env):
    with mock_aws():
        yield create_sync_tables()


class LedgerUnwritable:
    """The ledger refuses markers (throttled past botocore's retries, or every item left unprocessed)."""

    def __init__(self, client, how: str) -> None:
        self.client, self.how, self.writes = client, how, 0

    def __getattr__(self, name):
        return getattr(self.client, name)

    def batch_write_item(self, RequestItems):
        self.writes += 1
        if self.how == "throttled":
            raise ClientError({"Error": {"Code": "ProvisionedThroughputExceededException"}}, "BatchWriteItem")
        return {"UnprocessedItems": RequestItems}


@pytest.mark.parametrize("how", ["throttled", "unprocessed"])
def test_a_letter_sent_whose_marker_failed_is_not_sent_again_when_its_batch_is_retried(world, how):
    """The queue took the letter, the ledger did not take its marker, and an earlier record's throttled write
    makes Lambda retry the batch: the letter must not go out twice, and its marker is written then."""
    dynamodb, sqs, queue_url = world
    records = [kinesis_record(agent_event(1, T0), 1), kinesis_record("{broken", 2)]
    memory = SentLetters()
    ledger_down = LedgerUnwritable(dynamodb, how)
    store = DynamoStore(
        Faulty(dynamodb, lambda name, _p: "ProvisionedThroughputExceededException" if name == "put_item" else None),
        TABLES,
        REGION,
    )
    queue = DeadLetterQueue(sqs, queue_url, ledger_down, LEDGER, sleep=lambda _s: None, memory=memory)
    response, _ = handler.process({"Records": records}, store, queue)
    assert [failure["itemIdentifier"] for failure in response["batchItemFailures"]] == [seq(1)]
    assert ledger_down.writes > 0

    store, queue = store_and_queue(dynamodb, sqs, queue_url)
    queue.memory = memory  # the retry runs in the same container
    response, summary = handler.process({"Records": records}, store, queue)
    assert response["batchItemFailures"] == [] and summary.dead_lettered == 1
    assert [letter["sequenceNumber"] for letter in drain(sqs, queue_url)] == [seq(2)], "sent once"
    assert dynamodb.get_item(
        TableName=LEDGER, Key={"record": {"S": DeadLetter(Record.of(records[1]), "", "").ledger_key}}
    )["Item"], "the marker is written on the retry"


def test_the_entry_point_remembers_unmarked_letters_across_invocations(world, monkeypatch):
    dynamodb, sqs, queue_url = world
    ledger_down = LedgerUnwritable(dynamodb, "unprocessed")
    clients = {"dynamodb": Faulty(ledger_down, lambda name, _p: "ThrottlingException" if name == "put_item" else None)}
    clients["sqs"] = sqs
    monkeypatch.setattr(handler, "_client", lambda service: clients[service])
    monkeypatch.setattr(handler, "SENT", SentLetters())
    for key, value in {
        "AWS_REGION": REGION,
        "CONTACTS_TABLE": TABLES["contacts"],
        "AGENT_STATE_TABLE": TABLES["agent_state"],
        "DEAD_LETTER_QUEUE_URL": queue_url,
        "DEAD_LETTER_LEDGER_TABLE": LEDGER,
    }.items():
        monkeypatch.setenv(key, value)
    event = {"Records": [kinesis_record(agent_event(1, T0), 1), kinesis_record("{broken", 2)]}
    for _invocation in range(3):
        assert handler.handler(event, None) == {"batchItemFailures": [{"itemIdentifier": seq(1)}]}
    assert [letter["sequenceNumber"] for letter in drain(sqs, queue_url)] == [seq(2)]


# The time an invocation has left: it answers before Lambda's timeout, whatever one call costs.


def longest_call_seconds(config) -> float:
    """The longest one call can take with a botocore config: every attempt timing out (connect, then read),
    and standard mode's largest backoff before each retry (rand(0, 1) * min(2^i, 20) s for throttling)."""
    attempts = config.retries["max_attempts"]
    waits = sum(min(2**i, 20) for i in range(attempts - 1))
    return attempts * (config.connect_timeout + config.read_timeout) + waits


def test_writing_stops_while_one_more_call_still_fits_before_the_timeout(primary):
    """Writing stops when less than the reserve is left: a write started just above it must end (each attempt
    timing out, every backoff at its longest) before Lambda's timeout, or the invocation fails as a whole."""
    assert longest_call_seconds(handler.RETRIES) <= handler.RESERVE_MILLIS / 1000
    function = only([f for f in primary.of_type("aws:lambda/function:Function") if "stream-sync" in f.inputs["name"]])
    assert function.inputs["timeout"] >= 2 * handler.RESERVE_MILLIS / 1000, "half the time is left for writing"


def test_out_of_time_dead_letters_wait_for_the_retry(world):
    """Dead-lettering is three calls (ledger read, send, marker): when time is short they are not started
    (a timeout between a send and its marker would send the letter again); the records are retried."""
    dynamodb, sqs, queue_url = world
    store, queue = store_and_queue(dynamodb, sqs, queue_url)
    records = [kinesis_record(agent_event(1, T0), 1), kinesis_record("{broken", 2)]
    response, summary = handler.process({"Records": records}, store, queue, None, lambda: True)
    assert [failure["itemIdentifier"] for failure in response["batchItemFailures"]] == [seq(1), seq(2)]
    assert summary.failed == 2 and summary.dead_lettered == 0
    assert drain(sqs, queue_url) == []


# Where an agent is active, or a contact was handled: the region whose stream carried the record.


def test_the_region_is_the_streams_not_the_instance_arn_in_the_payload():
    """Connect documents an agent event's InstanceARN as the instance where the agent's account was created:
    with Global Resiliency that can be the source instance while the agent works in the replica. The record
    arrived on the replica region's stream, which only that region's instance writes to."""
    west_stream = "arn:aws:kinesis:us-west-2:123456789012:stream/connectdr-agent-events"
    source = "arn:aws:connect:us-east-1:123456789012:instance/11111111-2222-3333-4444-555555555555"
    body = agent_event(7, T0, status="Available", instance_arn=source)
    change = decode(Record.of(kinesis_record(body, 1, stream=west_stream)))
    assert isinstance(change, Change) and change.attributes["activeRegion"] == "us-west-2"
    contact = contact_record("c-1", T0)
    ctr_stream = "arn:aws:kinesis:us-west-2:123456789012:stream/connectdr-ctr"
    change = decode(Record.of(kinesis_record(contact, 2, stream=ctr_stream)))
    assert isinstance(change, Change) and change.attributes["handledInRegion"] == "us-west-2"


# signedIn: only a sign-in, a sign-out or a visible change of status or contacts says whether an agent works.


def configuration_change(agent: int, moment: datetime, status: str = "Offline") -> dict:
    """A STATE_CHANGE Connect publishes when an admin changes the agent's routing profile: the status and
    contacts are the same before and after."""
    body = agent_event(agent, moment, status=status)
    body["CurrentAgentSnapshot"]["AgentStatus"]["StartTimestamp"] = "2026-11-24T13:00:00.000Z"
    body["CurrentAgentSnapshot"]["Configuration"]["RoutingProfile"]["Name"] = "Support-Agents"
    body["PreviousAgentSnapshot"] = {**body["CurrentAgentSnapshot"], "Configuration": {"Username": f"agent{agent}"}}
    return body


def test_a_configuration_change_after_logout_does_not_sign_the_agent_in_again(world):
    dynamodb, sqs, queue_url = world
    records = [
        kinesis_record(agent_event(1, T0, "LOGIN", status="Available"), 1),
        kinesis_record(agent_event(1, T0 + timedelta(minutes=5), "LOGOUT", status="Offline"), 2),
    ]
    store, queue = store_and_queue(dynamodb, sqs, queue_url)
    handler.process({"Records": records}, store, queue)
    later = kinesis_record(configuration_change(1, T0 + timedelta(minutes=10)), 3)
    response, summary = handler.process({"Records": [later]}, store, queue)
    assert response["batchItemFailures"] == [] and summary.skipped == 1
    (item,) = stored(dynamodb, "agent_state", agent_id(1))
    assert (item["signedIn"], item["lastEventType"]) == (False, "LOGOUT")


def test_status_changes_and_changes_of_agents_not_offline_still_land(world):
    dynamodb, sqs, queue_url = world
    store, queue = store_and_queue(dynamodb, sqs, queue_url)
    to_offline = agent_event(2, T0 + timedelta(minutes=1), status="Offline")
    to_offline["PreviousAgentSnapshot"] = agent_event(2, T0, status="Available")["CurrentAgentSnapshot"]
    available = configuration_change(3, T0 + timedelta(minutes=1), status="Available")
    records = [kinesis_record(to_offline, 1), kinesis_record(available, 2)]
    response, summary = handler.process({"Records": records}, store, queue)
    assert response["batchItemFailures"] == [] and summary.applied == 2
    (offline,) = stored(dynamodb, "agent_state", agent_id(2))
    assert (offline["signedIn"], offline["status"]) == (True, "Offline"), "signed in, and chose Offline"
    (routed,) = stored(dynamodb, "agent_state", agent_id(3))
    assert routed["routingProfile"] == "Support-Agents"


def test_a_later_publication_within_the_same_second_wins_whatever_the_sequence_numbers_length():
    """Kinesis sequence numbers are decimal strings of up to 129 digits (56 today): the tiebreak within one
    LastUpdateTimestamp second orders them as numbers, also across a change of length."""
    first, second = "9" * 64, "1" + "0" * 64
    changes = []
    for sequence, queue in ((first, "Sales"), (second, "Support")):
        record = kinesis_record(contact_record("c-1", T0, queue=queue), 1)
        record["kinesis"]["sequenceNumber"] = sequence
        changes.append(decode(Record.of(record)))
    assert changes[1].version > changes[0].version
    (winner,) = coalesce(changes)
    assert winner.attributes["queueName"] == "Support"
