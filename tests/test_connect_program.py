"""The Connect side of the program: instance, replica, traffic groups, numbers, flows, customer_lookup."""

import json
import re

import pytest
from conftest import ROOT, only, run_checked, structured

from config.flows import written_in
from connect.flows import render
from connect.providers.traffic_distribution_group_user import TrafficDistributionGroupUserProvider
from deploy.render import plain

USER_TYPE = "pulumi-python:dynamic/connect:TrafficDistributionGroupUser"
INSTANCE = "11111111-2222-3333-4444-555555555555"
AGENT_1, AGENT_2, AGENT_3 = (f"a{digit}a{digit}a{digit}a{digit}-0000-4000-8000-00000000000{digit}" for digit in "123")
REGION_IN_ARN = re.compile(r"arn:aws[a-z-]*:[a-z]+:[a-z]{2}-[a-z]+-\d")


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


@pytest.mark.parametrize("path", sorted((ROOT / "flows").glob("*.json")), ids=lambda p: p.name)
def test_shipped_flows_write_no_region_or_account_and_call_lambda_by_placeholder(path):
    text = path.read_text()
    assert written_in(text) == []
    assert "${lambda:customer-lookup}" in text


def test_the_deployed_flow_refers_to_queues_by_id_and_to_lambda_by_region_neutral_arn(primary):
    flow = only(primary.of_type("aws:connect/contactFlow:ContactFlow"))
    actions = json.loads(flow.inputs["content"])["Actions"]
    queue_ids = {queue.outputs["queueId"] for queue in primary.of_type("aws:connect/queue:Queue")}
    targets = [a["Parameters"]["QueueId"] for a in actions if a["Type"] == "UpdateContactTargetQueue"]
    assert len(targets) == 3 and set(targets) <= queue_ids
    lambda_arns = [a["Parameters"]["LambdaFunctionARN"] for a in actions if a["Type"] == "InvokeLambdaFunction"]
    assert lambda_arns == ["arn:aws:lambda:$.AwsRegion:123456789012:function:connectdr-acme-care-customer-lookup"]
    assert not REGION_IN_ARN.search(flow.inputs["content"])


def test_a_flow_that_invokes_the_lookup_is_created_after_the_lookup_is_associated_with_the_instance(primary):
    """Connect validates the functions a published flow invokes: the function must be associated first."""
    flow = only(primary.of_type("aws:connect/contactFlow:ContactFlow"))
    association = only(primary.of_type("aws:connect/lambdaFunctionAssociation:LambdaFunctionAssociation"))
    function = only([f for f in primary.of_type("aws:lambda/function:Function") if "lookup" in f.inputs["name"]])
    assert association.urn in flow.dependencies
    assert association.inputs["functionArn"] == function.outputs["arn"]


def test_rendering_refuses_an_arn_that_names_a_region():
    with pytest.raises(ValueError, match="region-specific ARN"):
        render("f", '{"QueueId": "${queue:Sales}"}', {"queue:Sales": "arn:aws:connect:us-east-1:1:instance/i/queue/q"})


def test_numbers_start_in_their_flow_and_get_it_again_when_moved(primary):
    flow = only(primary.of_type("aws:connect/contactFlow:ContactFlow"))
    numbers = {n.name: n for n in primary.of_type("aws:connect/phoneNumber:PhoneNumber")}
    associations = primary.of_type("pulumi-python:dynamic/connect:PhoneNumberFlow")
    assert len(associations) == len(numbers) == 2
    for association in associations:
        number = numbers[association.name.removesuffix("-flow")]
        assert association.inputs["flow_id"] == flow.outputs["contactFlowId"]
        assert association.inputs["target_arn"] == number.outputs["targetArn"]
        assert association.inputs["phone_number_id"] == f"{number.name}-id"  # the mocks' id for the number
        assert association.inputs["region"] == "us-east-1"


def test_default_group_agents_are_associated_with_the_default_group(stack_files):
    traffic = structured(stack_files["primary"], "traffic")
    traffic["userIds"] = [AGENT_1, f"arn:aws:connect:us-east-1:123456789012:instance/{INSTANCE}/agent/{AGENT_2}"]
    traffic["groups"][0]["userIds"] = [AGENT_3]
    plan = run_checked(stack_files["primary"].with_values(traffic=traffic))
    replica = only(plan.of_type("pulumi-python:dynamic/connect:ReplicaInstance"))
    custom = only(plan.of_type("pulumi-python:dynamic/connect:TrafficDistributionGroup"))
    users = {u.name: u.inputs for u in plan.of_type("pulumi-python:dynamic/connect:TrafficDistributionGroupUser")}
    assert {name: (inputs["tdg_id"], inputs["user_id"]) for name, inputs in users.items()} == {
        f"resiliency-user-{AGENT_1}": (replica.outputs["default_tdg_id"], AGENT_1),
        f"resiliency-user-{AGENT_2}": (replica.outputs["default_tdg_id"], traffic["userIds"][1]),
        f"resiliency-user-{AGENT_3}": (custom.outputs["tdg_id"], AGENT_3),
    }


def test_an_agent_moved_to_another_group_keeps_its_resource_so_it_leaves_before_it_joins(stack_files):
    """Same name, new tdg_id: the membership is replaced (delete first), not a second one created."""
    traffic = structured(stack_files["primary"], "traffic")
    traffic["userIds"], traffic["groups"][0]["userIds"] = [AGENT_1], []
    before = run_checked(stack_files["primary"].with_values(traffic=traffic))
    traffic["userIds"], traffic["groups"][0]["userIds"] = [], [AGENT_1]
    after = run_checked(stack_files["primary"].with_values(traffic=traffic))

    [(urn_before, tdg_before)] = [(u.urn, u.inputs["tdg_id"]) for u in before.of_type(USER_TYPE)]
    [(urn_after, tdg_after)] = [(u.urn, u.inputs["tdg_id"]) for u in after.of_type(USER_TYPE)]
    assert urn_before == urn_after and tdg_before != tdg_after
    diff = TrafficDistributionGroupUserProvider().diff(f"g/{AGENT_1}", {"tdg_id": tdg_before}, {"tdg_id": tdg_after})
    assert diff.replaces == ["tdg_id"] and diff.delete_before_replace


def test_cross_region_routing_is_declared_off_as_configured(primary):
    routing = only(primary.of_type("pulumi-python:dynamic/connect:CrossRegionRouting"))
    assert routing.inputs["enabled"] is False


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
