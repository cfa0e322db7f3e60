"""stream_sync: Connect's contact trace records and agent events (Kinesis) into the global tables, and the
count of failed calls among the contact records as a high-resolution metric (the region's fast health signal).

Every record of a batch ends in exactly one way: written (or already reflected by a newer version), a
heart-beat skipped, dead-lettered with its reason, or reported as a failure so that Lambda retries it
(ReportBatchItemFailures: from the lowest failed sequence number), bounded by the event source mapping's
retry and age limits. Nothing in a batch raises out of the handler for one bad record or a throttled call.
"""

import functools
import json
import os
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import boto3
from botocore.config import Config
from dead_letters import DeadLetter, DeadLetterQueue, SentLetters
from records import Record, coalesce, decode_batch, failing_now
from writer import DynamoStore, VersionCache, apply_changes

ATTEMPTS, CONNECT_SECONDS, READ_SECONDS = 4, 1, 2
RETRIES = Config(
    retries={"mode": "standard", "max_attempts": ATTEMPTS}, connect_timeout=CONNECT_SECONDS, read_timeout=READ_SECONDS
)
LONGEST_CALL_SECONDS = ATTEMPTS * (CONNECT_SECONDS + READ_SECONDS) + sum(min(2**i, 20) for i in range(ATTEMPTS - 1))
"""One call with every attempt timing out and standard mode's longest backoff (2^i s) before each retry."""
RESERVE_MILLIS = (LONGEST_CALL_SECONDS + 3) * 1000
"""Time left when writing (and dead-lettering) stops: a call started just above it still ends before the
timeout, and the rest is reported as failures instead of the invocation timing out."""
CACHE = VersionCache()
"""Lives as long as the container: redelivered records it knows to be stale cost no request."""
SENT = SentLetters()
"""Lives as long as the container: a letter sent whose marker failed is not sent again by a retry here."""


@dataclass(frozen=True)
class BatchSummary:
    """Where every record went: records == applied + skipped + dead_lettered + failed."""

    records: int
    applied: int
    skipped: int
    dead_lettered: int
    failed: int
    items_written: int
    dynamodb_requests: int
    failed_calls: int = 0
    """Contact records of calls that failed moments ago, written for the first time (a redelivered one is stale,
    one of a call that failed minutes ago is late: neither is counted)."""


def process(
    event: dict[str, Any],
    store: DynamoStore,
    dead_letters: DeadLetterQueue,
    cache: VersionCache | None = None,
    out_of_time: Callable[[], bool] = lambda: False,
    now: float | None = None,
) -> tuple[dict[str, Any], BatchSummary]:
    """The whole batch: decode, coalesce, write, dead-letter; returns the partial batch response. `now` (the
    clock by default) tells the calls failing now from those that failed earlier."""
    moment = time.time() if now is None else now
    raw = event.get("Records") if isinstance(event, dict) else None
    records = [Record.of(item) for item in raw] if isinstance(raw, list) else []
    decoded = decode_batch(records)
    result = apply_changes(coalesce(decoded.changes), store, cache, out_of_time)
    letters = [DeadLetter(p.record, p.reason, p.kind) for p in decoded.poison]
    letters += [
        DeadLetter(record, reason, "rejected") for change, reason in result.rejected for record in change.records
    ]
    # dead-lettering is a ledger read, a send and a marker: not started when short of time (retried instead)
    unsent = (letters if out_of_time() else dead_letters.send(letters)) if letters else []
    failed = [record for change in result.failed for record in change.records] + [letter.record for letter in unsent]
    summary = BatchSummary(
        records=len(records),
        applied=sum(len(change.records) for change in (*result.written, *result.stale)),
        skipped=len(decoded.skipped),
        dead_lettered=len(letters) - len(unsent),
        failed=len(failed),
        items_written=len(result.written),
        dynamodb_requests=store.requests,
        failed_calls=sum(failing_now(change, moment) for change in result.written),
    )
    sequences = sorted({record.sequence_number for record in failed})
    return {"batchItemFailures": [{"itemIdentifier": sequence} for sequence in sequences]}, summary


@functools.cache
def _client(service: str) -> Any:
    """One client per container: connections and botocore's retry state carry over between invocations."""
    return boto3.client(service, config=RETRIES)


def metrics_line(summary: BatchSummary, instance_id: str, region: str, now: float) -> dict[str, Any]:
    """The batch summary as a CloudWatch Embedded Metric Format document: FailedCalls, a high-resolution metric
    (StorageResolution 1) that the region's fast health alarm watches over periods of 10-30 s, per instance and
    region (another deployment in the account and region counts its own). Stamped with the time it is written,
    so the alarm's latest periods see it at once. Without an instance id (code updated before its environment,
    for the seconds a deployment takes) the count goes to a series no alarm watches, and the batch still lands."""
    instance = {"InstanceId": instance_id} if instance_id else {}
    return {
        "_aws": {
            "Timestamp": int(now * 1000),
            "CloudWatchMetrics": [
                {
                    "Namespace": "connectdr",
                    "Dimensions": [[*instance, "Region"]],
                    "Metrics": [{"Name": "FailedCalls", "Unit": "Count", "StorageResolution": 1}],
                }
            ],
        },
        **instance,
        "Region": region,
        "FailedCalls": summary.failed_calls,
        "summary": asdict(summary),
    }


def handler(event: dict[str, Any], context: Any) -> dict[str, Any]:
    region = os.environ["AWS_REGION"]
    dynamodb = _client("dynamodb")
    tables = {"contacts": os.environ["CONTACTS_TABLE"], "agent_state": os.environ["AGENT_STATE_TABLE"]}
    queue = DeadLetterQueue(
        _client("sqs"),
        os.environ["DEAD_LETTER_QUEUE_URL"],
        dynamodb,
        os.environ["DEAD_LETTER_LEDGER_TABLE"],
        memory=SENT,
    )
    response, summary = process(
        event,
        DynamoStore(dynamodb, tables, region),
        queue,
        CACHE,
        lambda: context is not None and context.get_remaining_time_in_millis() < RESERVE_MILLIS,
    )
    print(json.dumps(metrics_line(summary, os.environ.get("INSTANCE_ID", ""), region, time.time())))
    return response
