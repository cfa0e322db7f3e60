"""customer_lookup: the flow gets a flat string map for a known caller and a safe default otherwise."""

import boto3
import pytest
from conftest import load_lambda
from moto import mock_aws

lookup = load_lambda("customer_lookup")


def flow_event(address: str | None, endpoint_type: str = "TELEPHONE_NUMBER") -> dict:
    endpoint = None if address is None else {"Address": address, "Type": endpoint_type}
    return {"Name": "ContactFlowEvent", "Details": {"ContactData": {"CustomerEndpoint": endpoint}, "Parameters": {}}}


@pytest.fixture
def customers(aws_env, monkeypatch):
    with mock_aws():
        client = boto3.client("dynamodb", region_name="us-east-1")
        client.create_table(
            TableName="customers",
            KeySchema=[{"AttributeName": "phoneNumber", "KeyType": "HASH"}],
            AttributeDefinitions=[{"AttributeName": "phoneNumber", "AttributeType": "S"}],
            BillingMode="PAY_PER_REQUEST",
        )
        client.put_item(
            TableName="customers",
            Item={
                "phoneNumber": {"S": "+12125550100"},
                "customerId": {"S": "c-42"},
                "name": {"S": "Ada"},
                "tier": {"S": "vip"},
            },
        )
        monkeypatch.setenv("CUSTOMERS_TABLE", "customers")
        yield


def test_known_caller_gets_tier_and_id(customers):
    assert lookup.handler(flow_event("+12125550100"), None) == {
        "found": "true",
        "tier": "vip",
        "name": "Ada",
        "customerId": "c-42",
    }


def test_unknown_caller_gets_the_standard_tier(customers):
    assert lookup.handler(flow_event("+12125550199"), None) == {"found": "false", "tier": "standard", "name": ""}


@pytest.mark.parametrize("event", [flow_event(None), flow_event("agent@example.com", "VOIP"), {}])
def test_contacts_without_a_phone_number_skip_the_table(event):
    assert lookup.caller_number(event) is None
    assert lookup.handler(event, None) == {"found": "false", "tier": "standard", "name": ""}


def test_every_value_returned_to_the_flow_is_a_string():
    attributes = lookup.to_flow_attributes({"customerId": 7, "name": "B", "tier": "gold"})
    assert all(isinstance(value, str) for value in attributes.values())
