"""Writing coalesced changes: one conditional PutItem per key, into this region's own item.

There is no read-then-write: the condition `version` older than the incoming one is checked by DynamoDB
atomically, and the item has no other writer than this region's stream_sync (see items.py), so a newer
state can never be overwritten by an older one, whichever invocation, shard or retry gets there first.
"""

from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from boto3.dynamodb.types import TypeSerializer
from botocore.exceptions import BotoCoreError, ClientError
from items import VERSION_ATTRIBUTE, item_of
from records import Change

WRITTEN, STALE = "written", "stale"
REJECTED_CODES = frozenset({"ValidationException"})
"""DynamoDB refused this item itself: retrying cannot help, the records are dead-lettered. Every other
error (throttling after botocore's retries, 5xx, access or key problems) fails the records so that
Lambda retries them, and the iterator age alarm shows a lasting problem."""
STOP_AFTER = 3
_serializer = TypeSerializer()


class VersionCache:
    """Versions this container knows its region's items to hold at least (bounded, least recently used
    dropped first). Safe to trust because an item's version only ever grows and has one writer: a change
    at or below a known version is stale without asking DynamoDB (redelivered batches cost nothing)."""

    def __init__(self, capacity: int = 50_000) -> None:
        self.capacity, self.known = capacity, OrderedDict[tuple[str, str], str]()

    def covers(self, change: Change) -> bool:
        known = self.known.get((change.table, change.key))
        return known is not None and known >= change.version

    def note(self, change: Change) -> None:
        slot = (change.table, change.key)
        if self.known.get(slot, "") < change.version:
            self.known[slot] = change.version
        self.known.move_to_end(slot)
        while len(self.known) > self.capacity:
            self.known.popitem(last=False)


class Rejected(Exception):
    """DynamoDB refused the item itself (e.g. over the size limit); the message is its reason."""


class DynamoStore:
    """The conditional write, counting requests."""

    def __init__(self, client: Any, table_names: dict[str, str], region: str) -> None:
        self.client, self.table_names, self.region = client, table_names, region
        self.requests = 0

    def put_newer(self, change: Change) -> str:
        """WRITTEN, or STALE when this region's item already holds this version or a newer one. Raises
        Rejected for an item DynamoDB refuses; other errors propagate (the records are retried)."""
        item = item_of(change.table, change.key, change.version, change.attributes, self.region)
        self.requests += 1
        try:
            self.client.put_item(
                TableName=self.table_names[change.table],
                Item={name: _serializer.serialize(value) for name, value in item.items()},
                ConditionExpression="attribute_not_exists(#v) OR #v < :incoming",
                ExpressionAttributeNames={"#v": VERSION_ATTRIBUTE},
                ExpressionAttributeValues={":incoming": {"S": change.version}},
            )
        except ClientError as error:
            code = error.response.get("Error", {}).get("Code")
            if code == "ConditionalCheckFailedException":
                return STALE
            if code in REJECTED_CODES:
                raise Rejected(f"DynamoDB rejected the item: {error.response['Error'].get('Message', code)}") from None
            raise
        return WRITTEN


@dataclass
class WriteResult:
    written: list[Change] = field(default_factory=list)
    stale: list[Change] = field(default_factory=list)
    rejected: list[tuple[Change, str]] = field(default_factory=list)
    failed: list[Change] = field(default_factory=list)


def stream_order(sequence_number: str) -> tuple[int, str]:
    """Kinesis sequence numbers are decimal strings: order them as numbers."""
    return len(sequence_number), sequence_number


def apply_changes(
    changes: list[Change],
    store: DynamoStore,
    cache: VersionCache | None = None,
    out_of_time: Callable[[], bool] = lambda: False,
) -> WriteResult:
    """Write every change in stream order. A retryable failure fails that change and writing goes on:
    Lambda retries from the lowest failed sequence number and counts each retry, so every write that lands
    now is progress the retry does not repeat (the version cache skips it). After STOP_AFTER failures in a
    row (the table or the service is down, not one hot key), or when time runs short, the rest is failed
    without trying."""
    result, in_a_row = WriteResult(), 0
    for change in sorted(changes, key=lambda c: min(stream_order(s) for s in c.sequence_numbers)):
        if cache is not None and cache.covers(change):
            result.stale.append(change)
            continue
        if in_a_row >= STOP_AFTER or out_of_time():
            in_a_row = STOP_AFTER
            result.failed.append(change)
            continue
        try:
            outcome = store.put_newer(change)
        except Rejected as rejection:
            result.rejected.append((change, str(rejection)))
            continue
        except (ClientError, BotoCoreError):
            in_a_row += 1
            result.failed.append(change)
            continue
        in_a_row = 0
        (result.written if outcome == WRITTEN else result.stale).append(change)
        if cache is not None:
            cache.note(change)
    return result
