"""The synced tables, the dead-letter queue and its ledger in moto, and clients that fail on purpose."""

import json
from typing import Any

import boto3
from boto3.dynamodb.types import TypeDeserializer
from botocore.exceptions import ClientError
from conftest import load_lambda

load_lambda("stream_sync")
from dead_letters import DeadLetterQueue  # noqa: E402
from writer import DynamoStore  # noqa: E402

REGION = "us-east-1"
TABLES = {"contacts": "acme-contacts", "agent_state": "acme-agent_state"}
LEDGER = "acme-dead-letter-ledger"
_deserializer = TypeDeserializer()


def create_sync_tables(region: str = REGION) -> tuple[Any, Any, str]:
    """The two synced tables (key and writer region), the ledger and the queue; call inside mock_aws."""
    dynamodb = boto3.client("dynamodb", region_name=region)
    for table, key in ((TABLES["contacts"], "contactId"), (TABLES["agent_state"], "agentId")):
        dynamodb.create_table(
            TableName=table,
            KeySchema=[
                {"AttributeName": key, "KeyType": "HASH"},
                {"AttributeName": "writerRegion", "KeyType": "RANGE"},
            ],
            AttributeDefinitions=[
                {"AttributeName": key, "AttributeType": "S"},
                {"AttributeName": "writerRegion", "AttributeType": "S"},
            ],
            BillingMode="PAY_PER_REQUEST",
        )
    dynamodb.create_table(
        TableName=LEDGER,
        KeySchema=[{"AttributeName": "record", "KeyType": "HASH"}],
        AttributeDefinitions=[{"AttributeName": "record", "AttributeType": "S"}],
        BillingMode="PAY_PER_REQUEST",
    )
    sqs = boto3.client("sqs", region_name=region)
    return dynamodb, sqs, sqs.create_queue(QueueName="dead-letters")["QueueUrl"]


def store_and_queue(dynamodb: Any, sqs: Any, queue_url: str, client: Any = None) -> tuple[Any, Any]:
    store = DynamoStore(client or dynamodb, TABLES, REGION)
    return store, DeadLetterQueue(sqs, queue_url, client or dynamodb, LEDGER, sleep=lambda _s: None)


def drain(sqs: Any, queue_url: str) -> list[dict[str, Any]]:
    """Every message on the queue (bodies), removing them."""
    bodies = []
    while messages := sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get("Messages", []):
        for message in messages:
            bodies.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return bodies


def stored(dynamodb: Any, table: str, key: str) -> list[dict[str, Any]]:
    """Every region's item for the key, as plain values."""
    key_name = "contactId" if table == "contacts" else "agentId"
    items = dynamodb.query(
        TableName=TABLES[table],
        KeyConditionExpression="#k = :k",
        ExpressionAttributeNames={"#k": key_name},
        ExpressionAttributeValues={":k": {"S": key}},
    )["Items"]
    return [{name: _deserializer.deserialize(value) for name, value in item.items()} for item in items]


class Faulty:
    """A DynamoDB client whose chosen calls fail as they would after botocore's retries gave up."""

    def __init__(self, client: Any, fail: Any) -> None:
        self.client, self.fail, self.calls = client, fail, []

    def __getattr__(self, name: str) -> Any:
        real = getattr(self.client, name)

        def call(**params: Any) -> Any:
            self.calls.append(name)
            code = self.fail(name, params)
            if code:
                raise ClientError({"Error": {"Code": code, "Message": "injected"}}, name)
            return real(**params)

        return call
