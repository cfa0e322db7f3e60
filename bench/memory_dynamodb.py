"""An in-memory stand-in for the DynamoDB calls stream_sync makes, counting requests and capacity units.

Units follow DynamoDB's on-demand billing: a write costs one write unit per started KB of the item (a
write whose condition fails still costs them, and is not replicated); in a global table every write that
lands also costs a replicated write unit in the other replica; a strongly consistent read costs one read
unit per started 4 KB (an item not found costs one). Conditions: stream_sync's version condition only.
"""

import math
import random
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from boto3.dynamodb.types import TypeDeserializer
from botocore.exceptions import ClientError

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "lambdas" / "stream_sync"))
from items import item_bytes

_deserializer = TypeDeserializer()


@dataclass
class Usage:
    requests: int = 0
    read_units: float = 0.0
    write_units: float = 0.0
    replicated_write_units: float = 0.0


@dataclass
class MemoryDynamoDB:
    """Tables of items keyed by their key attributes; `throttle_share` of PutItem calls fail with
    ProvisionedThroughputExceededException, as they would once botocore's own retries are spent."""

    key_attributes: dict[str, tuple[str, ...]]
    replicas: int = 2
    throttle_share: float = 0.0
    seed: int = 1
    usage: Usage = field(default_factory=Usage)
    items: dict[str, dict[tuple[str, ...], dict[str, Any]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.items = {table: {} for table in self.key_attributes}
        self.rng = random.Random(self.seed)

    def _key(self, table: str, item: dict[str, Any]) -> tuple[str, ...]:
        return tuple(next(iter(item[name].values())) for name in self.key_attributes[table])

    @staticmethod
    def _size(item: dict[str, Any]) -> int:
        return item_bytes({name: _deserializer.deserialize(value) for name, value in item.items()})

    def put_item(self, TableName: str, Item: dict[str, Any], **condition: Any) -> dict[str, Any]:
        self.usage.requests += 1
        if self.rng.random() < self.throttle_share:
            raise ClientError(
                {"Error": {"Code": "ProvisionedThroughputExceededException", "Message": "slow"}}, "PutItem"
            )
        units = math.ceil(self._size(Item) / 1024)
        key = self._key(TableName, Item)
        current = self.items[TableName].get(key)
        incoming = condition.get("ExpressionAttributeValues", {}).get(":incoming", {}).get("S")
        self.usage.write_units += units
        if incoming is not None and current is not None and current["version"]["S"] >= incoming:
            raise ClientError({"Error": {"Code": "ConditionalCheckFailedException", "Message": "stale"}}, "PutItem")
        self.items[TableName][key] = Item
        self.usage.replicated_write_units += units * (self.replicas - 1)
        return {}

    def batch_get_item(self, RequestItems: dict[str, Any]) -> dict[str, Any]:
        self.usage.requests += 1
        responses: dict[str, list[dict[str, Any]]] = {}
        for table, request in RequestItems.items():
            found = []
            for key in request["Keys"]:
                item = self.items[table].get(self._key(table, key))
                self.usage.read_units += max(1, math.ceil(self._size(item) / 4096)) if item else 1
                if item is not None:
                    found.append(item)
            responses[table] = found
        return {"Responses": responses, "UnprocessedKeys": {}}

    def batch_write_item(self, RequestItems: dict[str, Any]) -> dict[str, Any]:
        self.usage.requests += 1
        for table, entries in RequestItems.items():
            for entry in entries:
                item = entry["PutRequest"]["Item"]
                self.items[table][self._key(table, item)] = item
                self.usage.write_units += math.ceil(self._size(item) / 1024)
        return {"UnprocessedItems": {}}
