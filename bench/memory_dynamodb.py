"""An in-memory stand-in for the three DynamoDB calls stream_sync makes, counting requests (no network)."""

from typing import Any

from botocore.exceptions import ClientError


class MemoryDynamoDB:
    """Tables of attribute-value items keyed by their hash key; conditions limited to stream_sync's."""

    def __init__(self, key_attributes: dict[str, str]) -> None:
        self.key_attributes = key_attributes
        self.items: dict[str, dict[str, dict[str, Any]]] = {table: {} for table in key_attributes}
        self.requests = 0

    def batch_get_item(self, RequestItems: dict[str, Any]) -> dict[str, Any]:
        self.requests += 1
        responses = {}
        for table, request in RequestItems.items():
            key = self.key_attributes[table]
            found = [self.items[table][k[key]["S"]] for k in request["Keys"] if k[key]["S"] in self.items[table]]
            responses[table] = found
        return {"Responses": responses, "UnprocessedKeys": {}}

    def batch_write_item(self, RequestItems: dict[str, Any]) -> dict[str, Any]:
        self.requests += 1
        for table, entries in RequestItems.items():
            for entry in entries:
                item = entry["PutRequest"]["Item"]
                self.items[table][item[self.key_attributes[table]]["S"]] = item
        return {"UnprocessedItems": {}}

    def put_item(self, TableName: str, Item: dict[str, Any], **condition: Any) -> dict[str, Any]:
        self.requests += 1
        current = self.items[TableName].get(Item[self.key_attributes[TableName]]["S"])
        incoming = condition.get("ExpressionAttributeValues", {}).get(":incoming", {}).get("S")
        if incoming is not None and current is not None and current["version"]["S"] >= incoming:
            raise ClientError({"Error": {"Code": "ConditionalCheckFailedException", "Message": "stale"}}, "PutItem")
        self.items[TableName][Item[self.key_attributes[TableName]]["S"]] = Item
        return {}
