"""Writing coalesced changes to the global tables: skip what is stale, batch what is safe, guard the rest."""

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError
from records import KEY_ATTRIBUTE, Change

BATCH_WRITE_LIMIT = 25
BATCH_GET_LIMIT = 100
MAX_ATTEMPTS = 5
_serializer, _deserializer = TypeSerializer(), TypeDeserializer()


@dataclass
class WritePlan:
    """Which changes go out how. A change is stale when the table already holds its version or a newer one."""

    batch: list[Change] = field(default_factory=list)
    conditional: list[Change] = field(default_factory=list)
    stale: list[Change] = field(default_factory=list)


def plan_writes(changes: Iterable[Change], stored: dict[tuple[str, str], str]) -> WritePlan:
    """Batch writes carry no condition, so they are used only where Lambda's per-partition-key ordering
    means no other invocation can write the key meanwhile; everything else is a conditional put."""
    plan = WritePlan()
    for change in changes:
        current = stored.get((change.table, change.key))
        if current is not None and current >= change.version:
            plan.stale.append(change)
        elif change.ordered_by_partition:
            plan.batch.append(change)
        else:
            plan.conditional.append(change)
    return plan


@dataclass
class WriteResult:
    written: list[Change] = field(default_factory=list)
    stale: list[Change] = field(default_factory=list)
    failed: list[Change] = field(default_factory=list)
    requests: int = 0


def _item(change: Change, region: str) -> dict[str, Any]:
    attributes = {**change.attributes, "version": change.version, "syncedFrom": region}
    return {name: _serializer.serialize(value) for name, value in attributes.items()}


def _chunks(items: list[Any], size: int) -> Iterable[list[Any]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


class DynamoStore:
    """The boto3 calls, with unprocessed items retried (exponential backoff, bounded)."""

    def __init__(
        self, client: Any, table_names: dict[str, str], region: str, sleep: Callable[[float], None] = time.sleep
    ) -> None:
        self.client, self.table_names, self.region, self.sleep = client, table_names, region, sleep
        self.requests = 0

    def stored_versions(self, changes: list[Change]) -> dict[tuple[str, str], str]:
        keys = sorted({(change.table, change.key) for change in changes})
        versions: dict[tuple[str, str], str] = {}
        for chunk in _chunks(keys, BATCH_GET_LIMIT):
            request: dict[str, Any] = {}
            for table, key in chunk:
                entry = request.setdefault(
                    self.table_names[table],
                    {
                        "Keys": [],
                        "ConsistentRead": True,
                        "ProjectionExpression": "#k, #v",
                        "ExpressionAttributeNames": {"#k": KEY_ATTRIBUTE[table], "#v": "version"},
                    },
                )
                entry["Keys"].append({KEY_ATTRIBUTE[table]: {"S": key}})
            for attempt in range(MAX_ATTEMPTS):
                self.requests += 1
                response = self.client.batch_get_item(RequestItems=request)
                for table_name, items in response.get("Responses", {}).items():
                    table = next(name for name, physical in self.table_names.items() if physical == table_name)
                    for item in items:
                        if "version" in item:
                            versions[(table, item[KEY_ATTRIBUTE[table]]["S"])] = item["version"]["S"]
                request = response.get("UnprocessedKeys") or {}
                if not request:
                    break
                self.sleep(0.05 * 2**attempt)
            else:
                raise RuntimeError("BatchGetItem left keys unprocessed after retries")
        return versions

    def batch_put(self, changes: list[Change]) -> list[Change]:
        """BatchWriteItem in chunks of 25; returns the changes still unprocessed after the retries."""
        failed: list[Change] = []
        for chunk in _chunks(changes, BATCH_WRITE_LIMIT):
            by_key = {(self.table_names[c.table], c.key): c for c in chunk}
            request: dict[str, list[dict[str, Any]]] = {}
            for change in chunk:
                request.setdefault(self.table_names[change.table], []).append(
                    {"PutRequest": {"Item": _item(change, self.region)}}
                )
            for attempt in range(MAX_ATTEMPTS):
                self.requests += 1
                request = self.client.batch_write_item(RequestItems=request).get("UnprocessedItems") or {}
                if not request:
                    break
                self.sleep(0.05 * 2**attempt)
            for table_name, entries in request.items():
                table = next(name for name, physical in self.table_names.items() if physical == table_name)
                for entry in entries:
                    key = entry["PutRequest"]["Item"][KEY_ATTRIBUTE[table]]["S"]
                    failed.append(by_key[(table_name, key)])
        return failed

    def conditional_put(self, change: Change) -> bool:
        """PutItem only if the stored version is older; False when a newer one got there first."""
        self.requests += 1
        try:
            self.client.put_item(
                TableName=self.table_names[change.table],
                Item=_item(change, self.region),
                ConditionExpression="attribute_not_exists(#v) OR #v < :incoming",
                ExpressionAttributeNames={"#v": "version"},
                ExpressionAttributeValues={":incoming": {"S": change.version}},
            )
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") == "ConditionalCheckFailedException":
                return False
            raise
        return True


def apply_changes(changes: list[Change], store: DynamoStore) -> WriteResult:
    """Write the newest state of every key, never overwriting a newer stored version."""
    result = WriteResult()
    if not changes:
        return result
    plan = plan_writes(changes, store.stored_versions(changes))
    result.stale.extend(plan.stale)
    failed_batch = store.batch_put(plan.batch) if plan.batch else []
    result.failed.extend(failed_batch)
    result.written.extend(change for change in plan.batch if change not in failed_batch)
    for change in plan.conditional:
        try:
            (result.written if store.conditional_put(change) else result.stale).append(change)
        except ClientError:
            result.failed.append(change)
    result.requests = store.requests
    return result
