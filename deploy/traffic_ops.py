"""Operator actions on one region's live resources (boto3): the desired item, the controller, the split.

These never call UpdateTrafficDistribution: they change what the controller is asked for and invoke it,
so the one-writer rule holds for operators too.
"""

import json
from dataclasses import dataclass
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from connect.desired_split import DESIRED_KEY, versioned

ALARM_HEALTH = {"OK": "healthy", "ALARM": "unhealthy", "INSUFFICIENT_DATA": "unknown"}


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


def read_desired(table: Any) -> dict[str, Any]:
    item = table.get_item(Key=dict(DESIRED_KEY), ConsistentRead=True).get("Item")
    if not item:
        raise OperationError("no desired split item in the config table; run `pulumi up` on the primary stack first")
    return json.loads(item["document"])


def write_desired(table: Any, document: dict[str, Any]) -> dict[str, Any]:
    """Write the document (re-versioned) in the attribute layout Pulumi's TableItem uses."""
    document = versioned(document)
    table.put_item(
        Item={**DESIRED_KEY, "document": json.dumps(document, sort_keys=True), "version": document["version"]}
    )
    return document


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
