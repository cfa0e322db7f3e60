"""The Connect side of the program: instance, replica, traffic groups, numbers, flows, customer_lookup."""

import json
import re

import pytest
from conftest import ROOT, only

from connect.flows import HARD_CODED_LAMBDA_REGION, render_flow
from deploy.render import plain

REGION_IN_ARN = re.compile(r"arn:aws[a-z-]*:lambda:[a-z]{2}-[a-z]+-\d")


def test_instance_is_saml_with_calls_flow_logs_and_contact_lens(primary):
    instance = only(primary.of_type("aws:connect/instance:Instance"))
    assert instance.inputs["identityManagementType"] == "SAML"
    assert instance.inputs["inboundCallsEnabled"] and instance.inputs["outboundCallsEnabled"]
    assert instance.inputs["contactFlowLogsEnabled"] and instance.inputs["contactLensEnabled"]
    assert instance.inputs["instanceAlias"] == "acme-care"
    assert instance.inputs["region"] == "us-east-1"


def test_hours_cover_all_seven_days(primary):
    hours = only(primary.of_type("aws:connect/hoursOfOperation:HoursOfOperation"))
    days = [config["day"] for config in hours.inputs["configs"]]
    assert sorted(days) == sorted(["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"])


def test_queues_and_routing_profiles(primary):
    queues = {q.inputs["name"]: q for q in primary.of_type("aws:connect/queue:Queue")}
    assert sorted(queues) == ["Sales", "Support", "VIP-Sales"]
    assert queues["VIP-Sales"].inputs["maxContacts"] == 10
    profiles = {p.inputs["name"]: p for p in primary.of_type("aws:connect/routingProfile:RoutingProfile")}
    sales_queue_ids = {q["queueId"] for q in profiles["Sales-Agents"].inputs["queueConfigs"]}
    assert sales_queue_ids == {queues["Sales"].outputs["queueId"], queues["VIP-Sales"].outputs["queueId"]}


def test_replica_goes_to_the_configured_pair(primary):
    replica = only(primary.of_type("pulumi-python:dynamic/connect:ReplicaInstance"))
    instance = only(primary.of_type("aws:connect/instance:Instance"))
    assert (replica.inputs["source_region"], replica.inputs["replica_region"]) == ("us-east-1", "us-west-2")
    assert replica.inputs["instance_id"] == primary.outputs["instanceId"]
    assert instance.outputs["arn"].endswith(primary.outputs["instanceId"])
    assert replica.inputs["timeout_seconds"] == 90 * 60


def test_numbers_are_claimed_to_their_traffic_group_and_protected(primary):
    replica = only(primary.of_type("pulumi-python:dynamic/connect:ReplicaInstance"))
    custom = only(primary.of_type("pulumi-python:dynamic/connect:TrafficDistributionGroup"))
    numbers = {n.inputs["description"]: n for n in primary.of_type("aws:connect/phoneNumber:PhoneNumber")}
    assert numbers["Main customer line"].inputs["targetArn"] == replica.outputs["default_tdg_arn"]
    assert numbers["VIP line"].inputs["targetArn"] == custom.outputs["arn"]
    assert all(":traffic-distribution-group/" in n.inputs["targetArn"] for n in numbers.values())
    assert all(n.protect for n in numbers.values())
    assert {n.inputs["region"] for n in numbers.values()} == {"us-east-1"}


def test_traffic_groups_and_routing_wait_for_the_replica(primary):
    replica = only(primary.of_type("pulumi-python:dynamic/connect:ReplicaInstance"))
    for type_token in (
        "pulumi-python:dynamic/connect:TrafficDistributionGroup",
        "pulumi-python:dynamic/connect:CrossRegionRouting",
    ):
        assert replica.urn in only(primary.of_type(type_token)).dependencies


def test_desired_split_item_is_written_for_the_controller(primary):
    item = only(primary.of_type("aws:dynamodb/tableItem:TableItem"))
    attributes = json.loads(item.inputs["item"])
    document = json.loads(attributes["document"]["S"])
    assert (attributes["pk"]["S"], attributes["sk"]["S"]) == ("traffic", "desired")
    assert document["default"]["telephony"] == {"us-east-1": 50, "us-west-2": 50}
    assert document["groups"][0]["telephony"] == {"us-east-1": 70, "us-west-2": 30}
    assert document["groups"][0]["arn"].startswith("arn:aws:connect:us-east-1:")
    assert attributes["version"]["S"] == document["version"]


@pytest.mark.parametrize("path", sorted((ROOT / "connect" / "flows").glob("*.json")), ids=lambda p: p.name)
def test_flow_files_never_hard_code_a_lambda_region(path):
    text = path.read_text()
    assert not REGION_IN_ARN.search(text)
    assert "arn:aws:lambda:$.AwsRegion:" in text


def test_the_deployed_flow_is_region_neutral(primary):
    flow = only(primary.of_type("aws:connect/contactFlow:ContactFlow"))
    content = flow.inputs["content"]
    assert not HARD_CODED_LAMBDA_REGION.search(content)
    lambda_arns = [
        action["Parameters"]["LambdaFunctionARN"]
        for action in json.loads(content)["Actions"]
        if action["Type"] == "InvokeLambdaFunction"
    ]
    assert lambda_arns == ["arn:aws:lambda:$.AwsRegion:123456789012:function:connectdr-acme-care-customer-lookup"]


def test_rendering_rejects_a_region_specific_lambda_arn(monkeypatch):
    import connect.flows as flows

    monkeypatch.setattr(flows, "flow_source", lambda _name: '{"arn": "arn:aws:lambda:us-east-1:1:function:f"}')
    with pytest.raises(ValueError, match="region-specific ARN"):
        render_flow("inbound", {})


def test_customer_lookup_has_one_name_in_both_regions_and_is_associated_there(primary, secondary):
    functions = {
        stack: plan.named("customer-lookup-function")
        for stack, plan in (("primary", primary), ("secondary", secondary))
    }
    assert (
        functions["primary"].inputs["name"]
        == functions["secondary"].inputs["name"]
        == "connectdr-acme-care-customer-lookup"
    )
    assert (functions["primary"].inputs["region"], functions["secondary"].inputs["region"]) == (
        "us-east-1",
        "us-west-2",
    )
    instance_id = primary.outputs["instanceId"]
    for stack, plan in (("primary", primary), ("secondary", secondary)):
        association = only(plan.of_type("aws:connect/lambdaFunctionAssociation:LambdaFunctionAssociation"))
        assert association.inputs["functionArn"] == functions[stack].outputs["arn"]
        assert association.inputs["instanceId"] == instance_id
        assert association.inputs["region"] == functions[stack].inputs["region"]


def test_customer_lookup_reads_only_its_regions_customers_table(primary, secondary):
    for plan, region in ((primary, "us-east-1"), (secondary, "us-west-2")):
        policy = json.loads(plain(plan.named("customer-lookup-function-policy").inputs["policy"]))
        by_sid = {statement["Sid"]: statement for statement in policy["Statement"]}
        assert by_sid["ReadCustomers"]["Action"] == ["dynamodb:GetItem"]
        assert by_sid["ReadCustomers"]["Resource"] == [
            f"arn:aws:dynamodb:{region}:123456789012:table/connectdr-acme-care-customers"
        ]
        assert by_sid["DecryptCustomers"]["Resource"][0].startswith(f"arn:aws:kms:{region}:")


def test_secondary_declares_no_instance_and_reads_the_primary(secondary):
    assert secondary.of_type("aws:connect/instance:Instance") == []
    assert only(secondary.of_type("pulumi:pulumi:StackReference")).inputs["name"] == "primary"
