"""customer_lookup: called by the inbound flow to find the caller in the customers global table.

Amazon Connect sends the contact's data and expects a flat map of strings back. The same function name is
deployed in both regions and each copy reads its own region's replica of the table.
"""

import os
from typing import Any

import boto3

UNKNOWN = {"found": "false", "tier": "standard", "name": ""}


def caller_number(event: dict[str, Any]) -> str | None:
    """The caller's E.164 number from the flow event, if the contact has one."""
    endpoint = event.get("Details", {}).get("ContactData", {}).get("CustomerEndpoint") or {}
    address = endpoint.get("Address")
    return address if endpoint.get("Type", "TELEPHONE_NUMBER") == "TELEPHONE_NUMBER" and address else None


def to_flow_attributes(item: dict[str, Any] | None) -> dict[str, str]:
    """A customers item as the flat string map a flow can branch on."""
    if not item:
        return dict(UNKNOWN)
    return {
        "found": "true",
        "tier": str(item.get("tier", "standard")),
        "name": str(item.get("name", "")),
        "customerId": str(item.get("customerId", "")),
    }


def handler(event: dict[str, Any], _context: object) -> dict[str, str]:
    number = caller_number(event)
    if number is None:
        return dict(UNKNOWN)
    table = boto3.resource("dynamodb").Table(os.environ["CUSTOMERS_TABLE"])
    response = table.get_item(
        Key={"phoneNumber": number},
        ProjectionExpression="customerId, #n, tier",
        ExpressionAttributeNames={"#n": "name"},
    )
    return to_flow_attributes(response.get("Item"))
