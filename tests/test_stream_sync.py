"""stream_sync's decoding, writes and dead letters against moto: nothing valid lost, nothing older wins,
poison dead-lettered once, and no error escapes the handler."""

import base64
import json
from datetime import UTC, datetime, timedelta

import pytest
from conftest import load_lambda
from hypothesis import given, settings
from hypothesis import strategies as st
from moto import mock_aws
from sync_world import REGION, TABLES, Faulty, create_sync_tables, drain, store_and_queue, stored

from bench.workload import agent_event, agent_id, contact_record, kinesis_record

handler = load_lambda("stream_sync")
from records import Change, Poison, Record, Skipped, coalesce, decode  # noqa: E402
from writer import STALE, WRITTEN, VersionCache  # noqa: E402

T0 = datetime(2026, 11, 24, 14, 0, tzinfo=UTC)


def decoded(body, sequence: int = 1, partition_key: str | None = None):
    return decode(Record.of(kinesis_record(body, sequence, partition_key)))


@pytest.fixture
def world(aws_env):
    with mock_aws():
        dynamodb, sqs, queue_url = create_sync_tables()
        yield dynamodb, sqs, queue_url


def run(world, records, client=None, cache=None, out_of_time=lambda: False):
    dynamodb, sqs, queue_url = world
    store, queue = store_and_queue(dynamodb, sqs, queue_url, client)
    response, summary = handler.process({"Records": records}, store, queue, cache, out_of_time)
    assert summary.records == summary.applied + summary.skipped + summary.dead_lettered + summary.failed
    return response, summary


def agent_item(world, agent: int) -> dict:
    (item,) = stored(world[0], "agent_state", agent_id(agent))
    return item


def failures(response) -> list[str]:
    return [failure["itemIdentifier"] for failure in response["batchItemFailures"]]


def seq(n: int) -> str:
    return f"{n:056d}"


# Decoding: the docs' meaning, and never an exception.


def test_agent_status_is_what_the_agent_chose_and_contacts_come_from_the_snapshot():
    change = decoded(agent_event(3, T0, status="Available", contacts=(("c-9", "CONNECTED"),)))
    assert isinstance(change, Change) and change.table == "agent_state" and change.key == agent_id(3)
    attributes = change.attributes
    assert (attributes["status"], attributes["statusType"], attributes["signedIn"]) == ("Available", "ROUTABLE", True)
    assert attributes["contacts"] == [
        {
            "contactId": "c-9",
            "channel": "VOICE",
            "state": "CONNECTED",
            "stateSince": "2026-11-24T14:00:00.000Z",
            "queue": "Support",
        }
    ]
    after_call = decoded(agent_event(3, T0, status="Available", contacts=(("c-9", "ENDED"),))).attributes
    assert after_call["status"] == "Available" and after_call["contacts"][0]["state"] == "ENDED"
    logout = decoded(agent_event(3, T0, "LOGOUT", status="Offline")).attributes
    assert (logout["signedIn"], logout["status"], logout["statusType"]) == (False, "Offline", "OFFLINE")
    assert isinstance(decoded(agent_event(3, T0, "HEART_BEAT")), Skipped)


def test_contact_trace_records_keep_their_fields_and_order_by_last_update():
    first, later = decoded(contact_record("c-1", T0), 5), decoded(contact_record("c-1", T0 + timedelta(seconds=1)), 4)
    assert (first.table, first.key, first.attributes["queueName"]) == ("contacts", "c-1", "Support")
    assert first.attributes["handledInRegion"] == "us-east-1"
    assert later.version > first.version, "LastUpdateTimestamp orders versions before the sequence number"
    same_second = decoded(contact_record("c-1", T0), 6)
    assert same_second.version > first.version, "within one second the later publication wins"


DEEP = "[" * 200_000 + "]" * 200_000
BAD_BODIES = {
    "not JSON": "not json",
    "not base64": None,
    "a JSON list": json.dumps([1, 2]),
    "neither kind": json.dumps({"hello": "world"}),
    "deeply nested": DEEP,
    "deeply nested inside a contact": '{"ContactId": "c", "Attributes": ' + DEEP + "}",
    "ContactId null": json.dumps({**contact_record("c", T0), "ContactId": None}),
    "ContactId a number": json.dumps({**contact_record("c", T0), "ContactId": 42}),
    "ContactId a list": json.dumps({**contact_record("c", T0), "ContactId": ["c"]}),
    "ContactId empty": json.dumps({**contact_record("c", T0), "ContactId": ""}),
    "ContactId over the key limit": json.dumps({**contact_record("c", T0), "ContactId": "c" * 3000}),
    "LastUpdateTimestamp missing": json.dumps({**contact_record("c", T0), "LastUpdateTimestamp": None}),
    "LastUpdateTimestamp garbage": json.dumps({**contact_record("c", T0), "LastUpdateTimestamp": "yesterday"}),
    "AgentARN empty": json.dumps({**agent_event(1, T0), "AgentARN": ""}),
    "AgentARN a number": json.dumps({**agent_event(1, T0), "AgentARN": 7}),
    "AgentARN without an id": json.dumps({**agent_event(1, T0), "AgentARN": "arn:aws:connect:x:1:instance/i/agent/"}),
    "EventId missing": json.dumps({**agent_event(1, T0), "EventId": None}),
    "EventType unknown": json.dumps({**agent_event(1, T0), "EventType": "TELEPORT"}),
    "EventType a dict": json.dumps({**agent_event(1, T0), "EventType": {}}),
    "snapshot of the wrong type": json.dumps({**agent_event(1, T0), "CurrentAgentSnapshot": "x"}),
}


@pytest.mark.parametrize("case", BAD_BODIES)
def test_bad_records_become_poison_with_a_reason(case):
    record = kinesis_record(BAD_BODIES[case] or "x", 9)
    if BAD_BODIES[case] is None:
        record["kinesis"]["data"] = "%%% not base64 %%%"
    result = decode(Record.of(record))
    if case == "snapshot of the wrong type":
        assert isinstance(result, Change) and result.attributes["contacts"] == [], "optional parts are optional"
        return
    assert isinstance(result, Poison), case
    assert result.reason and result.record.sequence_number == seq(9)


def test_an_item_over_dynamodbs_limit_is_poison_before_any_write():
    body = agent_event(1, T0)
    body["CurrentAgentSnapshot"]["Configuration"]["Username"] = "u" * 420_000
    result = decoded(body)
    assert isinstance(result, Poison) and result.kind == "too-large" and "409,600" in result.reason


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=12), children, max_size=4),
    max_leaves=20,
)
FIELDS = st.sampled_from(["ContactId", "LastUpdateTimestamp", "AgentARN", "EventType", "EventId", "EventTimestamp"])


@settings(max_examples=300, deadline=None)
@given(
    st.one_of(
        st.dictionaries(FIELDS, JSON, max_size=6).map(json.dumps),
        JSON.map(json.dumps),
        st.text(max_size=50),
    ),
    st.one_of(st.none(), st.integers(), st.lists(st.integers()), st.text(max_size=10)),
)
def test_decode_never_raises(payload, odd_field):
    record = kinesis_record(payload, 1)
    record["kinesis"]["sequenceNumber"] = odd_field if odd_field is not None else record["kinesis"]["sequenceNumber"]
    assert isinstance(decode(Record.of(record)), Change | Poison | Skipped)
    assert isinstance(decode(Record.of(odd_field)), Poison)


def test_coalescing_keeps_the_newest_and_every_record():
    records = [
        decoded(agent_event(1, T0 + timedelta(seconds=s), status=status), s)
        for s, status in ((3, "Break"), (1, "Available"), (2, "Lunch"))
    ]
    (newest,) = coalesce(records)
    assert newest.attributes["status"] == "Break"
    assert sorted(newest.sequence_numbers) == [seq(1), seq(2), seq(3)]


# Writes: conditional, one item per region, never an older state over a newer one.


def test_each_region_writes_its_own_item_and_readers_take_the_newest(world):
    dynamodb, _sqs, _queue_url = world
    from writer import DynamoStore

    here = DynamoStore(dynamodb, TABLES, REGION)
    there = DynamoStore(dynamodb, TABLES, "us-west-2")
    west = "arn:aws:kinesis:us-west-2:123456789012:stream/connectdr-agent-events"
    newer = decode(
        Record.of(kinesis_record(agent_event(4, T0 + timedelta(seconds=30), status="Break"), 1, stream=west))
    )
    older = decoded(agent_event(4, T0, status="Available"))
    assert there.put_newer(newer) == WRITTEN and here.put_newer(older) == WRITTEN, "separate items, no conflict"
    from items import newest

    items = stored(dynamodb, "agent_state", agent_id(4))
    assert sorted(item["writerRegion"] for item in items) == [REGION, "us-west-2"]
    assert newest(items)["status"] == "Break" and newest(items)["activeRegion"] == "us-west-2"
    assert here.put_newer(older) == STALE


def test_a_newer_state_written_in_the_gap_is_never_overwritten(world):
    """Another invocation (a record of the same agent under another partition key) writes a newer state
    between this batch's decisions and its write: the conditional write loses, nothing is read first."""
    dynamodb, _, _ = world
    from writer import DynamoStore

    newer = decoded(agent_event(5, T0 + timedelta(minutes=5), status="Lunch"), 50, partition_key="elsewhere")
    rival = DynamoStore(dynamodb, TABLES, REGION)

    def newer_lands_first(name, _params):
        if name in ("put_item", "batch_write_item") and not rival.requests:
            rival.put_newer(newer)
        return None

    response, summary = run(
        world, [kinesis_record(agent_event(5, T0, status="Available"), 1)], Faulty(dynamodb, newer_lands_first)
    )
    assert failures(response) == [] and summary.applied == 1
    assert agent_item(world, 5)["status"] == "Lunch"


def test_duplicates_and_replays_end_as_the_newest_state(world):
    records = [
        kinesis_record(agent_event(1, T0 + timedelta(seconds=i), status=s), i)
        for i, s in enumerate(["Available", "Break", "Lunch"])
    ]
    assert failures(run(world, records + records)[0]) == []
    assert failures(run(world, list(reversed(records)))[0]) == []
    assert agent_item(world, 1)["status"] == "Lunch"


def test_throttled_writes_become_a_partial_batch_response_and_the_rest_still_lands(world):
    dynamodb, _, _ = world
    records = [kinesis_record(agent_event(agent, T0, status="Break"), agent) for agent in range(1, 7)]
    hot = agent_id(3)
    throttled = Faulty(
        dynamodb, lambda name, p: "ProvisionedThroughputExceededException" if hot in json.dumps(p) else None
    )
    response, summary = run(world, records, throttled)
    assert failures(response) == [seq(3)], "Lambda retries from the lowest failed sequence number"
    assert summary.failed == 1 and summary.applied == 5, "every other write is progress the retry keeps"
    retry = [r for r in records if r["kinesis"]["sequenceNumber"] >= seq(3)]
    assert failures(run(world, retry)[0]) == []
    assert [agent_item(world, agent)["status"] for agent in range(1, 7)] == ["Break"] * 6


def test_a_table_that_keeps_failing_is_not_hammered(world):
    dynamodb, _, _ = world
    records = [kinesis_record(agent_event(agent, T0), agent) for agent in range(1, 9)]
    down = Faulty(dynamodb, lambda name, _p: "InternalServerError" if name == "put_item" else None)
    response, summary = run(world, records, down)
    assert down.calls.count("put_item") == 3 and summary.failed == 8 and min(failures(response)) == seq(1)


@pytest.mark.parametrize("code", ["AccessDeniedException", "ResourceNotFoundException", "InternalServerError"])
def test_errors_that_are_not_the_records_fault_are_retried_not_dead_lettered(world, code):
    dynamodb, sqs, queue_url = world
    response, summary = run(
        world, [kinesis_record(agent_event(1, T0), 1)], Faulty(dynamodb, lambda n, p: code if n == "put_item" else None)
    )
    assert failures(response) == [seq(1)] and summary.dead_lettered == 0
    assert drain(sqs, queue_url) == []


def test_an_item_dynamodb_rejects_is_dead_lettered_with_its_reason(world):
    dynamodb, sqs, queue_url = world
    rejecting = Faulty(dynamodb, lambda n, p: "ValidationException" if n == "put_item" else None)
    response, summary = run(
        world,
        [kinesis_record(agent_event(1, T0), 1), kinesis_record(agent_event(1, T0 - timedelta(seconds=1)), 2)],
        rejecting,
    )
    assert failures(response) == [] and summary.dead_lettered == 2
    letters = drain(sqs, queue_url)
    assert {letter["sequenceNumber"] for letter in letters} == {seq(1), seq(2)}
    assert all(letter["kind"] == "rejected" and "DynamoDB rejected" in letter["reason"] for letter in letters)


def test_running_out_of_time_reports_the_rest_instead_of_timing_out(world):
    records = [kinesis_record(agent_event(agent, T0), agent) for agent in range(1, 5)]
    calls = iter([False, False, True, True])
    response, summary = run(world, records, out_of_time=lambda: next(calls))
    assert failures(response) == [seq(3), seq(4)] and summary.applied == 2


def test_the_version_cache_skips_known_stale_records_without_a_request(world):
    dynamodb, _, _ = world
    cache, counted = VersionCache(), Faulty(dynamodb, lambda n, p: None)
    records = [kinesis_record(agent_event(1, T0 + timedelta(seconds=i)), i) for i in range(1, 4)]
    run(world, records, counted, cache)
    run(world, records[1:], counted, cache)
    assert counted.calls.count("put_item") == 1


# Dead letters: once per record, with a reason and a pointer, whatever the record's size.


def test_poison_is_dead_lettered_once_across_retries_of_its_batch(world):
    dynamodb, sqs, queue_url = world
    records = [
        kinesis_record(agent_event(1, T0), 1),
        kinesis_record("{broken", 2),
        kinesis_record(agent_event(2, T0), 3),
    ]
    throttle_first = {"left": 2}

    def throttle(name, _params):
        if name == "put_item" and throttle_first["left"]:
            throttle_first["left"] -= 1
            return "ThrottlingException"
        return None

    flaky = Faulty(dynamodb, throttle)
    for _attempt in range(3):
        response, _ = run(world, records, flaky)
        if not failures(response):
            break
        records = [r for r in records if r["kinesis"]["sequenceNumber"] >= min(failures(response))]
    assert failures(response) == []
    (letter,) = drain(sqs, queue_url)
    assert letter["sequenceNumber"] == seq(2) and letter["reason"].startswith("not base64-encoded JSON")
    assert (letter["stream"], letter["shard"]) == (records[0]["eventSourceARN"], "shardId-000000000000")


def test_a_record_too_large_for_one_message_is_trimmed_and_points_to_the_stream(world):
    _dynamodb, sqs, queue_url = world
    huge = [kinesis_record("x" * 900_000, n) for n in (1, 2, 3)]
    response, summary = run(world, huge)
    assert failures(response) == [] and summary.dead_lettered == 3
    letters = drain(sqs, queue_url)
    assert sorted(letter["sequenceNumber"] for letter in letters) == [seq(1), seq(2), seq(3)]
    assert all(letter["truncated"] and letter["dataChars"] == len(huge[0]["kinesis"]["data"]) for letter in letters)
    assert base64.b64decode(huge[0]["kinesis"]["data"])[:3] == b"xxx"


def test_when_the_queue_or_the_ledger_fails_poison_is_retried_not_lost_or_duplicated(world):
    dynamodb, sqs, queue_url = world
    records = [kinesis_record("nope", 1), kinesis_record(agent_event(1, T0), 2)]
    ledger_down = Faulty(
        dynamodb, lambda n, p: "ProvisionedThroughputExceededException" if n == "batch_get_item" else None
    )
    response, _ = run(world, records, ledger_down)
    assert failures(response) == [seq(1)] and drain(sqs, queue_url) == []

    class QueueDown:
        def send_message_batch(self, **_params):
            raise __import__("botocore.exceptions").exceptions.ClientError(
                {"Error": {"Code": "InternalError"}}, "SendMessageBatch"
            )

    store, queue = store_and_queue(dynamodb, QueueDown(), queue_url)
    response, summary = handler.process({"Records": records}, store, queue)
    assert [f["itemIdentifier"] for f in response["batchItemFailures"]] == [seq(1)] and summary.failed == 1
    assert failures(run(world, records)[0]) == []
    assert [letter["sequenceNumber"] for letter in drain(sqs, queue_url)] == [seq(1)]


def test_the_lambda_entry_point_reads_its_environment(world, monkeypatch, capsys):
    _dynamodb, sqs, queue_url = world
    for key, value in {
        "AWS_REGION": REGION,
        "CONTACTS_TABLE": TABLES["contacts"],
        "AGENT_STATE_TABLE": TABLES["agent_state"],
        "DEAD_LETTER_QUEUE_URL": queue_url,
        "DEAD_LETTER_LEDGER_TABLE": "acme-dead-letter-ledger",
        "INSTANCE_ID": "instance-1",
    }.items():
        monkeypatch.setenv(key, value)
    event = {"Records": [kinesis_record(agent_event(9, T0, status="Break"), 1), kinesis_record("nope", 2)]}

    class Context:
        def get_remaining_time_in_millis(self):
            return 50_000

    assert handler.handler(event, Context()) == {"batchItemFailures": []}
    line = json.loads(capsys.readouterr().out)
    summary = line["summary"]
    assert (summary["records"], summary["applied"], summary["dead_lettered"]) == (2, 1, 1)
    assert (line["InstanceId"], line["Region"]) == ("instance-1", REGION), "the fast signal is counted per instance"
    assert agent_item(world, 9)["status"] == "Break"
    assert [letter["sequenceNumber"] for letter in drain(sqs, queue_url)] == [seq(2)]
