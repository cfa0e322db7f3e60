"""stream_sync: Connect's contact trace records and agent events (Kinesis) into the global tables.

At-least-once safe: duplicates and replays are stale by version and skipped; within a batch only the
newest state per key is written; a record that cannot be decoded goes to the dead-letter queue and the
rest of the batch lands; writes that still fail are reported (ReportBatchItemFailures) so Lambda retries
from there, bounded by the event source mapping's retry and age limits.
"""

import json
import os
from dataclasses import asdict, dataclass
from typing import Any

import boto3
from botocore.config import Config
from records import Poison, coalesce, decode_batch
from writer import DynamoStore, apply_changes

SQS_BATCH_LIMIT = 10
RETRIES = Config(retries={"mode": "standard", "max_attempts": 5})


def dead_letter(poison: list[Poison], sqs: Any, queue_url: str) -> list[str]:
    """Send undecodable records to the DLQ; returns the sequence numbers that could not be sent."""
    unsent: list[str] = []
    for start in range(0, len(poison), SQS_BATCH_LIMIT):
        chunk = poison[start : start + SQS_BATCH_LIMIT]
        entries = [
            {
                "Id": str(index),
                "MessageBody": json.dumps({"sequenceNumber": p.sequence_number, "reason": p.reason, "data": p.data}),
                "MessageAttributes": {"kind": {"DataType": "String", "StringValue": "undecodable-record"}},
            }
            for index, p in enumerate(chunk)
        ]
        response = sqs.send_message_batch(QueueUrl=queue_url, Entries=entries)
        unsent.extend(chunk[int(failure["Id"])].sequence_number for failure in response.get("Failed", []))
    return unsent


@dataclass(frozen=True)
class BatchSummary:
    """Where every record of a batch went: records == applied + heartbeats + dead_lettered + failed."""

    records: int
    applied: int
    heartbeats: int
    dead_lettered: int
    failed: int
    items_written: int
    dynamodb_requests: int


def process(event: dict[str, Any], store: DynamoStore, sqs: Any, queue_url: str) -> tuple[dict[str, Any], BatchSummary]:
    """The whole batch: decode, dead-letter poison, coalesce, write; returns the partial batch response."""
    records = event.get("Records", [])
    decoded = decode_batch(records)
    unsent = dead_letter(decoded.poison, sqs, queue_url) if decoded.poison else []
    result = apply_changes(coalesce(decoded.changes), store)
    failed_writes = {seq for change in result.failed for seq in change.sequence_numbers}
    failures = sorted({*unsent, *failed_writes})
    summary = BatchSummary(
        records=len(records),
        applied=sum(len(change.sequence_numbers) for change in (*result.written, *result.stale)),
        heartbeats=len(decoded.skipped),
        dead_lettered=len(decoded.poison) - len(unsent),
        failed=len(unsent) + len(failed_writes),
        items_written=len(result.written),
        dynamodb_requests=result.requests,
    )
    return {"batchItemFailures": [{"itemIdentifier": sequence} for sequence in failures]}, summary


def handler(event: dict[str, Any], _context: object) -> dict[str, Any]:
    region = os.environ["AWS_REGION"]
    tables = {"contacts": os.environ["CONTACTS_TABLE"], "agent_state": os.environ["AGENT_STATE_TABLE"]}
    store = DynamoStore(boto3.client("dynamodb", config=RETRIES), tables, region)
    response, summary = process(event, store, boto3.client("sqs", config=RETRIES), os.environ["DEAD_LETTER_QUEUE_URL"])
    print(json.dumps({"summary": asdict(summary)}))
    return response
