"""stream_sync against moto: duplicates, reordering, poison, throttling and unprocessed items lose nothing."""

import json
import random
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from botocore.exceptions import ClientError
from conftest import load_lambda
from moto import mock_aws

from bench.workload import AgentWorkload, agent_arn, agent_event, contact_record, kinesis_record

handler = load_lambda("stream_sync")
from records import Change, Poison, Skipped, coalesce, decode, version_of  # noqa: E402
from writer import DynamoStore, plan_writes  # noqa: E402

T0 = datetime(2026, 11, 24, 14, 0, tzinfo=UTC)
TABLES = {"contacts": "acme-contacts", "agent_state": "acme-agent_state"}


@pytest.fixture
def aws(aws_env):
    with mock_aws():
        dynamodb = boto3.client("dynamodb", region_name="us-east-1")
        for table, key in (("acme-contacts", "contactId"), ("acme-agent_state", "agentId")):
            dynamodb.create_table(
                TableName=table,
                KeySchema=[{"AttributeName": key, "KeyType": "HASH"}],
                AttributeDefinitions=[{"AttributeName": key, "AttributeType": "S"}],
                BillingMode="PAY_PER_REQUEST",
            )
        sqs = boto3.client("sqs", region_name="us-east-1")
        queue_url = sqs.create_queue(QueueName="dlq")["QueueUrl"]
        yield dynamodb, sqs, queue_url


def run(records, dynamodb, sqs, queue_url, client=None):
    return run_counted(records, dynamodb, sqs, queue_url, client)[0]


def run_counted(records, dynamodb, sqs, queue_url, client=None):
    store = DynamoStore(client or dynamodb, TABLES, "us-east-1", sleep=lambda _s: None)
    response, summary = handler.process({"Records": records}, store, sqs, queue_url)
    assert summary.records == summary.applied + summary.heartbeats + summary.dead_lettered + summary.failed
    return response, summary


def agent_status(dynamodb, agent: int) -> dict:
    item = dynamodb.get_item(TableName="acme-agent_state", Key={"agentId": {"S": agent_arn(agent).rsplit("/", 1)[-1]}})
    return {name: next(iter(value.values())) for name, value in item["Item"].items()}


def dead_letters(sqs, queue_url) -> list[dict]:
    """Drain the queue."""
    bodies = []
    while messages := sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", []):
        for message in messages:
            bodies.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return bodies


def test_decoding_ctr_and_agent_events():
    ctr = decode(kinesis_record(contact_record("c-1", T0), 1))
    assert isinstance(ctr, Change) and (ctr.table, ctr.key) == ("contacts", "c-1")
    assert ctr.attributes["queueName"] == "Support" and ctr.attributes["handledInRegion"] == "us-east-1"
    event = decode(kinesis_record(agent_event(3, T0, status="Break"), 2))
    assert isinstance(event, Change) and event.attributes["status"] == "Break" and event.ordered_by_partition
    assert isinstance(decode(kinesis_record(agent_event(3, T0, "HEART_BEAT"), 3)), Skipped)
    logout = decode(kinesis_record(agent_event(3, T0, "LOGOUT", status="Available"), 4))
    assert logout.attributes["status"] == "Offline"


@pytest.mark.parametrize(
    "data",
    [
        "not json",
        json.dumps([1, 2]),
        json.dumps({"hello": "world"}),
        json.dumps({"ContactId": "c"}),
        json.dumps({"AgentARN": "a"}),
    ],
)
def test_malformed_records_are_poison_not_exceptions(data):
    assert isinstance(decode(kinesis_record(data, 9)), Poison)


def test_versions_order_by_time_then_event_id():
    assert version_of("2026-11-24T14:00:00.001Z") > version_of("2026-11-24T14:00:00.000Z", "zzz")
    assert version_of("2026-11-24T14:00:00Z", "b") > version_of("2026-11-24T14:00:00Z", "a")


def test_coalescing_keeps_the_newest_and_every_sequence_number():
    records = [
        kinesis_record(agent_event(1, T0 + timedelta(seconds=s), status=st), s)
        for s, st in ((3, "Break"), (1, "On contact"), (2, "Lunch"))
    ]
    (newest,) = coalesce([decode(r) for r in records])
    assert newest.attributes["status"] == "Break"
    assert sorted(newest.sequence_numbers) == sorted(r["kinesis"]["sequenceNumber"] for r in records)


def test_stale_changes_are_not_written_and_unordered_keys_get_a_condition():
    change = decode(kinesis_record(agent_event(1, T0), 1))
    foreign = decode(kinesis_record(agent_event(2, T0), 2, partition_key="shard-key"))
    plan = plan_writes([change, foreign], {("agent_state", change.key): change.version})
    assert plan.stale == [change] and plan.conditional == [foreign] and plan.batch == []


def test_duplicates_and_replays_end_as_the_newest_state(aws):
    dynamodb, sqs, queue_url = aws
    records = [
        kinesis_record(agent_event(1, T0 + timedelta(seconds=i), status=s), i)
        for i, s in enumerate(["Available", "On contact", "After contact work"])
    ]
    assert run(records + records, dynamodb, sqs, queue_url) == {"batchItemFailures": []}
    assert run(records, dynamodb, sqs, queue_url) == {"batchItemFailures": []}
    assert agent_status(dynamodb, 1)["status"] == "After contact work"


def test_an_older_batch_never_overwrites_newer_state(aws):
    dynamodb, sqs, queue_url = aws
    newer = [kinesis_record(agent_event(1, T0 + timedelta(minutes=5), status="Lunch"), 10)]
    older = [kinesis_record(agent_event(1, T0, status="Available"), 11)]
    run(newer, dynamodb, sqs, queue_url)
    run(older, dynamodb, sqs, queue_url)
    assert agent_status(dynamodb, 1)["status"] == "Lunch"
    unordered_older = [kinesis_record(agent_event(1, T0, status="Break"), 12, partition_key="other")]
    run(unordered_older, dynamodb, sqs, queue_url)
    assert agent_status(dynamodb, 1)["status"] == "Lunch"


def test_conditional_put_loses_the_race_to_a_newer_write(aws):
    dynamodb, _sqs, _queue = aws
    store = DynamoStore(dynamodb, TABLES, "us-east-1")
    old = decode(kinesis_record(agent_event(4, T0, status="Available"), 1, partition_key="x"))
    new = decode(kinesis_record(agent_event(4, T0 + timedelta(seconds=1), status="Break"), 2, partition_key="x"))
    assert store.conditional_put(new) is True
    assert store.conditional_put(old) is False
    assert agent_status(dynamodb, 4)["status"] == "Break"


def test_poison_goes_to_the_dlq_and_the_rest_lands(aws):
    dynamodb, sqs, queue_url = aws
    records = [
        kinesis_record(contact_record("c-1", T0), 1),
        kinesis_record("{broken", 2),
        kinesis_record(agent_event(2, T0, status="Break"), 3),
    ]
    assert run(records, dynamodb, sqs, queue_url) == {"batchItemFailures": []}
    (letter,) = dead_letters(sqs, queue_url)
    assert letter["sequenceNumber"] == f"{2:056d}" and letter["reason"].startswith("JSONDecodeError")
    assert agent_status(dynamodb, 2)["status"] == "Break"
    assert "Item" in dynamodb.get_item(TableName="acme-contacts", Key={"contactId": {"S": "c-1"}})


class Flaky:
    """A DynamoDB client that leaves some batch items unprocessed and throttles some puts."""

    def __init__(self, client, unprocessed_rounds: int = 1, throttles: int = 1) -> None:
        self.client, self.unprocessed_rounds, self.throttles = client, unprocessed_rounds, throttles

    def __getattr__(self, name):
        return getattr(self.client, name)

    def batch_write_item(self, RequestItems):
        if self.unprocessed_rounds:
            self.unprocessed_rounds -= 1
            held = {table: entries[len(entries) // 2 :] for table, entries in RequestItems.items()}
            sent = {
                table: entries[: len(entries) // 2]
                for table, entries in RequestItems.items()
                if entries[: len(entries) // 2]
            }
            if sent:
                self.client.batch_write_item(RequestItems=sent)
            return {"UnprocessedItems": held}
        return self.client.batch_write_item(RequestItems=RequestItems)

    def put_item(self, **kwargs):
        if self.throttles:
            self.throttles -= 1
            raise ClientError(
                {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow"}}, "PutItem"
            )
        return self.client.put_item(**kwargs)


def test_unprocessed_items_are_retried_within_the_invocation(aws):
    dynamodb, sqs, queue_url = aws
    records = [kinesis_record(agent_event(agent, T0, status="Break"), agent) for agent in range(30)]
    assert run(records, dynamodb, sqs, queue_url, client=Flaky(dynamodb, unprocessed_rounds=2, throttles=0)) == {
        "batchItemFailures": []
    }
    assert all(agent_status(dynamodb, agent)["status"] == "Break" for agent in range(30))


def test_throttled_writes_are_reported_and_land_on_the_retry(aws):
    dynamodb, sqs, queue_url = aws
    records = [kinesis_record(agent_event(5, T0, status="Lunch"), 1, partition_key="not-the-agent")]
    flaky = Flaky(dynamodb, unprocessed_rounds=0, throttles=1)
    assert run(records, dynamodb, sqs, queue_url, client=flaky) == {
        "batchItemFailures": [{"itemIdentifier": f"{1:056d}"}]
    }
    assert run(records, dynamodb, sqs, queue_url, client=flaky) == {"batchItemFailures": []}
    assert agent_status(dynamodb, 5)["status"] == "Lunch"


def test_shuffled_batches_with_duplicates_and_poison_lose_nothing(aws):
    """Every valid event ends applied as the newest state; in == out + dead-lettered."""
    dynamodb, sqs, queue_url = aws
    bodies = AgentWorkload(agents=25, events=600, seed=3).generate()
    records = [kinesis_record(body, index) for index, body in enumerate(bodies)]
    poison = [kinesis_record("garbage", 10_000 + index) for index in range(7)]
    rng = random.Random(11)
    delivered = records + rng.sample(records, 150) + poison
    rng.shuffle(delivered)
    flaky = Flaky(dynamodb, unprocessed_rounds=3, throttles=2)
    dead_lettered = 0
    for batch_start in range(0, len(delivered), 100):
        batch = delivered[batch_start : batch_start + 100]
        for _attempt in range(3):
            response, summary = run_counted(batch, dynamodb, sqs, queue_url, client=flaky)
            dead_lettered += summary.dead_lettered
            failures = {f["itemIdentifier"] for f in response["batchItemFailures"]}
            if not failures:
                break
            batch = [r for r in batch if r["kinesis"]["sequenceNumber"] >= min(failures)]
        assert not failures
    letters = dead_letters(sqs, queue_url)
    assert len(letters) == dead_lettered >= len(poison)
    assert {letter["sequenceNumber"] for letter in letters} == {r["kinesis"]["sequenceNumber"] for r in poison}
    newest: dict[str, dict] = {}
    for body in bodies:
        if body["EventType"] == "HEART_BEAT":
            continue
        current = newest.get(body["AgentARN"])
        if current is None or (body["EventTimestamp"], body["EventId"]) > (
            current["EventTimestamp"],
            current["EventId"],
        ):
            newest[body["AgentARN"]] = body
    for arn, body in newest.items():
        agent = int(arn.rsplit("/", 1)[-1][:8])
        stored = agent_status(dynamodb, agent)
        assert stored["status"] == body["CurrentAgentSnapshot"]["AgentStatus"]["Name"]
        assert stored["eventTimestamp"] == body["EventTimestamp"]


def test_the_lambda_entry_point_reads_its_environment_and_reports_failures(aws, monkeypatch, capsys):
    dynamodb, sqs, queue_url = aws
    monkeypatch.setenv("AWS_REGION", "us-east-1")
    assert dead_letters(sqs, queue_url) == []
    monkeypatch.setenv("CONTACTS_TABLE", TABLES["contacts"])
    monkeypatch.setenv("AGENT_STATE_TABLE", TABLES["agent_state"])
    monkeypatch.setenv("DEAD_LETTER_QUEUE_URL", queue_url)
    event = {"Records": [kinesis_record(agent_event(9, T0, status="Break"), 1), kinesis_record("nope", 2)]}
    assert handler.handler(event, None) == {"batchItemFailures": []}
    summary = json.loads(capsys.readouterr().out)["summary"]
    assert (summary["records"], summary["applied"], summary["dead_lettered"]) == (2, 1, 1)
    assert agent_status(dynamodb, 9)["status"] == "Break"
    assert [letter["sequenceNumber"] for letter in dead_letters(sqs, queue_url)] == [f"{2:056d}"]
