"""Operator actions on one region's live resources (boto3): the desired item, the controller, the split.

These never call UpdateTrafficDistribution: they change what the controller is asked for and invoke it,
so the one-writer rule holds for operators too.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from boto3.dynamodb.conditions import Attr
from botocore.exceptions import BotoCoreError, ClientError

from connect.desired_split import DESIRED_KEY, versioned

ALARM_HEALTH = {"OK": "healthy", "ALARM": "unhealthy", "INSUFFICIENT_DATA": "unknown"}
UPDATE_ATTEMPTS = 3


class OperationError(Exception):
    """An operator action that could not be carried out; the message says why."""


@dataclass
class RegionPorts:
    """Clients for one region (the one that should take the traffic)."""

    region: str
    table: Any
    lambda_client: Any
    connect: Any
    cloudwatch: Any


def _desired_text(table: Any) -> str:
    item = table.get_item(Key=dict(DESIRED_KEY), ConsistentRead=True).get("Item")
    if not item:
        raise OperationError("no desired split item in the config table; run `pulumi up` on the primary stack first")
    return str(item["document"])


def read_desired(table: Any) -> dict[str, Any]:
    return json.loads(_desired_text(table))


def write_desired(table: Any, document: dict[str, Any], *, replacing: str | None = None) -> dict[str, Any]:
    """Write the document (re-versioned) in the attribute layout Pulumi's TableItem uses; with `replacing`, only
    if the item still holds that document text."""
    document = versioned(document)
    condition = {} if replacing is None else {"ConditionExpression": Attr("document").eq(replacing)}
    table.put_item(
        Item={**DESIRED_KEY, "document": json.dumps(document, sort_keys=True), "version": document["version"]},
        **condition,
    )
    return document


def update_desired(
    table: Any, change: Callable[[dict[str, Any]], dict[str, Any] | None], attempts: int = UPDATE_ATTEMPTS
) -> dict[str, Any] | None:
    """Read, change and write the desired item without overwriting a write this did not see: the write is
    conditional on the document read, and another writer in between means reading again and changing that.
    `change` returns the new document, or None to leave the item as it is (then so does this)."""
    for _ in range(attempts):
        text = _desired_text(table)
        changed = change(json.loads(text))
        if changed is None:
            return None
        try:
            return write_desired(table, changed, replacing=text)
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
    raise OperationError(f"the desired split item changed under each of {attempts} writes (another writer); run again")


def invoke_controller(lambda_client: Any, function_name: str, reason: str) -> dict[str, Any]:
    response = lambda_client.invoke(
        FunctionName=function_name, InvocationType="RequestResponse", Payload=json.dumps({"trigger": reason}).encode()
    )
    payload = json.loads(response["Payload"].read() or b"{}")
    if response.get("FunctionError"):
        raise OperationError(f"{function_name} failed: {payload.get('errorMessage', payload)}")
    return payload


def effective_telephony(connect: Any, tdg_arn: str) -> dict[str, int]:
    response = connect.get_traffic_distribution(Id=tdg_arn)
    return {d["Region"]: int(d["Percentage"]) for d in response.get("TelephonyConfig", {}).get("Distributions", [])}


def region_health(cloudwatch: Any, alarm_name: str) -> str:
    try:
        alarms = cloudwatch.describe_alarms(AlarmNames=[alarm_name], AlarmTypes=["CompositeAlarm"]).get(
            "CompositeAlarms", []
        )
    except (ClientError, BotoCoreError):
        return "unknown"
    return ALARM_HEALTH.get(alarms[0]["StateValue"], "unknown") if alarms else "unknown"
