"""Connect config that must fail before anything is declared: names past AWS limits, unknown time zones,
flows that name nothing or write a region or account; and the names and flows the program then derives."""

import copy
import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import ROOT, only, run_checked, structured

from config import ConfigError
from config.flows import written_in
from config.names import longest_alias
from deploy.stack_files import StackFile, validate_stack_file

PAIR = ("us-east-1", "us-west-2")
FLOW_TYPE = "aws:connect/contactFlow:ContactFlow"
AUTONAME_SUFFIX = 8  # "-" and seven hex characters
EXPLICIT_NAMES = {
    "aws:lambda/function:Function": ("name", 64),
    "aws:cloudwatch/logGroup:LogGroup": ("name", 512),
    "aws:dynamodb/table:Table": ("name", 255),
    "aws:cloudwatch/compositeAlarm:CompositeAlarm": ("alarmName", 255),
    "aws:cloudwatch/dashboard:Dashboard": ("dashboardName", 255),
    "aws:s3/bucket:Bucket": ("bucket", 63),
    "aws:kms/alias:Alias": ("name", 256),
    "aws:connect/instance:Instance": ("instanceAlias", 45),
    "pulumi-python:dynamic/connect:ReplicaInstance": ("replica_alias", 45),
}
AUTONAMED = {
    "aws:iam/role:Role": 64,
    "aws:sqs/queue:Queue": 80,
    "aws:cloudwatch/eventRule:EventRule": 64,
    "aws:sns/topic:Topic": 256,
    "aws:cloudwatch/metricAlarm:MetricAlarm": 255,
    "aws:dynamodb/table:Table": 255,
}


def problems_of(stack: StackFile) -> list[str]:
    with pytest.raises(ConfigError) as raised:
        validate_stack_file(stack)
    return [str(problem) for problem in raised.value.problems]


def with_center(stack: StackFile, change: Any) -> StackFile:
    center = copy.deepcopy(structured(stack, "contactCenter"))
    change(center)
    return stack.with_values(contactCenter=center)


def with_alias(stack: StackFile, alias: str) -> StackFile:
    return with_center(stack, lambda center: center["instance"].__setitem__("alias", alias))


def test_the_longest_accepted_alias_is_what_the_lambda_name_limit_leaves():
    assert longest_alias(PAIR) == 64 - len("connectdr-") - len("-failover-controller")


def test_an_alias_too_long_for_the_names_derived_from_it_is_a_config_error(stack_files):
    alias = "a" * (longest_alias(PAIR) + 1)
    assert problems_of(with_alias(stack_files["primary"], alias)) == [
        f"connectdr:contactCenter.instance.alias = {alias!r}: at most {longest_alias(PAIR)} characters: the Lambda "
        f"function name 'connectdr-{alias}-failover-controller' derived from it would be 65 characters, over the "
        "limit of 64"
    ]


def autonamed_too_long(plan: Any) -> list[str]:
    return [
        f"{resource.type} {resource.name}"
        for resource in plan.resources
        if resource.type in AUTONAMED
        and not resource.inputs.get("name")
        and len(resource.name) + AUTONAME_SUFFIX > AUTONAMED[resource.type]
    ]


def test_every_name_fits_its_limit_with_the_longest_accepted_alias(stack_files):
    alias = "Acme-" + "x" * (longest_alias(PAIR) - 5)
    primary = run_checked(with_alias(stack_files["primary"], alias))
    secondary = run_checked(
        stack_files["secondary"], {stack_files["secondary"].values["connectdr:primaryStack"]: primary.outputs}
    )
    checked = 0
    for plan in (primary, secondary):
        for resource in plan.resources:
            if resource.type in EXPLICIT_NAMES and EXPLICIT_NAMES[resource.type][0] in resource.inputs:
                key, limit = EXPLICIT_NAMES[resource.type]
                assert len(resource.inputs[key]) <= limit, (resource.type, resource.inputs[key])
                checked += 1
        assert autonamed_too_long(plan) == []
    assert checked >= 20
    buckets = [resource.inputs["bucket"] for resource in secondary.of_type("aws:s3/bucket:Bucket")]
    assert buckets and all(name == name.lower() for name in buckets)
    function = only([f for f in primary.of_type("aws:lambda/function:Function") if "failover" in f.inputs["name"]])
    assert len(function.inputs["name"]) == 64


@pytest.mark.parametrize(
    "zone", ["Mars/Olympus_Mons", "EST5EDT6", "../etc/passwd", "localtime", "posixrules", "right/UTC", "Factory"]
)
def test_hours_need_a_real_iana_time_zone(stack_files, zone):
    changed = with_center(stack_files["primary"], lambda center: center["hours"].__setitem__("timeZone", zone))
    assert problems_of(changed) == [
        f"connectdr:contactCenter.hours.timeZone = {zone!r}: must be an IANA time zone such as America/New_York or UTC"
    ]


def flow_stack(stack: StackFile, tmp_path: Path, flows: dict[str, str], numbers_flow: str | None = None) -> StackFile:
    """The primary with `flows` (name -> JSON text) as files under tmp_path, every number starting in
    `numbers_flow` when given."""
    declared = []
    for name, text in flows.items():
        path = tmp_path / f"{name}.json"
        path.write_text(text)
        declared.append({"name": name, "file": str(path)})

    def change(center: dict[str, Any]) -> None:
        center["flows"] = declared
        if numbers_flow is not None:
            for number in center["phoneNumbers"]:
                number["flow"] = numbers_flow

    return with_center(stack, change)


def action(identifier: str, parameters: dict[str, str]) -> dict[str, Any]:
    return {"Identifier": identifier, "Type": "UpdateContactTargetQueue", "Parameters": parameters, "Transitions": {}}


def flow_text(*actions: dict[str, Any]) -> str:
    return json.dumps({"Version": "2019-10-30", "StartAction": actions[0]["Identifier"], "Actions": list(actions)})


INBOUND = (ROOT / "flows" / "inbound.json").read_text()


@pytest.mark.parametrize(
    ("written", "rule"),
    [
        ("${queue:Gold}", "${queue:Gold} names no queue (Sales, Support, VIP-Sales)"),
        ("${lambda:billing}", "${lambda:billing} names no lambda (customer-lookup)"),
        ("${hours:weekdays}", "${hours:weekdays} names no hours (always-open)"),
        ("${flow:missing}", "${flow:missing} names no flow (connectdr-inbound, extra)"),
        ("${queue_arn_sales}", "placeholder ${queue_arn_sales} is not one of ${queue:<name>}, ${flow:<name>}, "),
        ("arn:aws:connect:us-east-1:111122223333:instance/x/queue/y", "writes 111122223333, us-east-1 into the flow"),
        ("arn:aws:lambda:eu-west-2:function:f", "writes eu-west-2 into the flow"),
    ],
)
def test_a_flow_that_names_nothing_or_writes_a_region_or_account_is_a_config_error(
    stack_files, tmp_path, written, rule
):
    stack = flow_stack(
        stack_files["primary"],
        tmp_path,
        {"connectdr-inbound": INBOUND, "extra": flow_text(action("a", {"QueueId": written}))},
    )
    [problem] = problems_of(stack)
    assert problem.startswith(f"connectdr:contactCenter.flows[1].file = '{tmp_path / 'extra.json'}': {rule}")


def test_a_phone_number_in_a_flow_is_not_an_account_id(stack_files, tmp_path):
    transfer = {
        "Identifier": "t",
        "Type": "TransferParticipantToThirdParty",
        "Parameters": {"ThirdPartyPhoneNumber": "+442079460958"},
        "Transitions": {},
    }
    validate_stack_file(
        flow_stack(stack_files["primary"], tmp_path, {"connectdr-inbound": INBOUND, "extra": flow_text(transfer)})
    )


DESIGNER_EXPORT = {
    "Version": "2019-10-30",
    "StartAction": "5b1bb9e6-0d7a-4d4a-9c9e-123456789012",
    "Metadata": {
        "entryPointPosition": {"x": 218.400000000001, "y": 40},
        "ActionMetadata": {"5b1bb9e6-0d7a-4d4a-9c9e-123456789012": {"position": {"x": 645.123456789012, "y": 3}}},
    },
    "Actions": [
        {
            "Identifier": "5b1bb9e6-0d7a-4d4a-9c9e-123456789012",
            "Type": "UpdateContactTargetQueue",
            "Parameters": {"QueueId": "${queue:Sales}"},
            "Transitions": {"NextAction": "A1B2C3D4-1111-2222-3333-444455556666"},
        }
    ],
}


def test_ids_and_coordinates_of_a_designer_export_are_not_account_ids(stack_files, tmp_path):
    """Action identifiers are UUIDs whose last group can be twelve digits; positions are floats."""
    assert written_in(json.dumps(DESIGNER_EXPORT)) == []
    validate_stack_file(
        flow_stack(
            stack_files["primary"], tmp_path, {"connectdr-inbound": INBOUND, "extra": json.dumps(DESIGNER_EXPORT)}
        )
    )


@pytest.mark.parametrize(
    ("text", "found"),
    [
        ('"arn:aws:iam::123456789012:role/x"', ["123456789012"]),
        ('"Text": "account 123456789012 calls"', ["123456789012"]),
        ('"QueueId": "arn:aws:connect:$.AwsRegion:210987654321:instance/x"', ["210987654321"]),
        ('"Text": "calls from us-east-1"', ["us-east-1"]),
    ],
)
def test_a_region_or_account_is_found_wherever_it_is_written(text, found):
    assert written_in(text) == found


def test_missing_or_broken_flow_files_and_unknown_number_flows_are_config_errors(stack_files, tmp_path):
    stack = flow_stack(stack_files["primary"], tmp_path, {"connectdr-inbound": "{not json"}, numbers_flow="support")
    center = structured(stack, "contactCenter")
    center["flows"].append({"name": "gone", "file": "flows/none.json"})
    assert problems_of(stack.with_values(contactCenter=center)) == [
        f"connectdr:contactCenter.flows[0].file = '{tmp_path / 'connectdr-inbound.json'}': is not JSON (Expecting "
        "property name enclosed in double quotes at line 1)",
        "connectdr:contactCenter.flows[1].file = 'flows/none.json': no such file (flow files are relative to the "
        "project directory)",
        "connectdr:contactCenter.phoneNumbers[0].flow = 'support': must name a CONTACT_FLOW from "
        "connectdr:contactCenter.flows (connectdr-inbound, gone)",
        "connectdr:contactCenter.phoneNumbers[1].flow = 'support': must name a CONTACT_FLOW from "
        "connectdr:contactCenter.flows (connectdr-inbound, gone)",
    ]


def test_flows_that_refer_to_each_other_in_a_cycle_are_a_config_error(stack_files, tmp_path):
    flows = {
        "connectdr-inbound": INBOUND,
        "a": flow_text(action("x", {"ContactFlowId": "${flow:b}"})),
        "b": flow_text(action("y", {"ContactFlowId": "${flow:a}"})),
    }
    assert problems_of(flow_stack(stack_files["primary"], tmp_path, flows)) == [
        f"connectdr:contactCenter.flows[1].file = '{tmp_path / 'a.json'}': refers back to itself (a -> b -> a): a "
        "flow needs the ids of the flows it names"
    ]


AGENT = "8f2c1d3e-0000-4000-8000-000000000001"
INSTANCE_ID = "11111111-2222-3333-4444-555555555555"


def test_an_agent_in_two_traffic_groups_is_a_config_error(stack_files):
    traffic = structured(stack_files["primary"], "traffic")
    traffic["userIds"] = [AGENT]
    traffic["groups"][0]["userIds"] = [f"arn:aws:connect:us-east-1:123456789012:instance/{INSTANCE_ID}/agent/{AGENT}"]
    assert problems_of(stack_files["primary"].with_values(traffic=traffic)) == [
        f"connectdr:traffic = [{AGENT!r}]: an agent belongs to one traffic distribution group (userIds of traffic "
        "and of its groups)"
    ]


def test_user_ids_that_are_neither_a_connect_user_id_nor_its_arn_are_config_errors(stack_files):
    traffic = structured(stack_files["primary"], "traffic")
    traffic["userIds"] = ["", AGENT.upper(), "agent 7"]
    traffic["groups"][0]["userIds"] = [f"arn:aws:connect:us-east-1:123456789012:instance/i/agent/{AGENT}"]
    rule = (
        "each must be a user id (a UUID) or a user ARN (arn:aws:connect:<region>:<account>:instance/<instance "
        "id>/agent/<user id>)"
    )
    assert problems_of(stack_files["primary"].with_values(traffic=traffic)) == [
        f"connectdr:traffic.userIds = ['', {AGENT.upper()!r}, 'agent 7']: not user ids: '', "
        f"{AGENT.upper()!r}, 'agent 7'; {rule}",
        f"connectdr:traffic.groups[0].userIds = {traffic['groups'][0]['userIds']!r}: not user ids: "
        f"{traffic['groups'][0]['userIds'][0]!r}; {rule}",
    ]


def test_flows_get_ids_of_queues_and_flows_and_are_created_after_what_they_name(stack_files, tmp_path):
    transfer = flow_text(
        action("to-inbound", {"ContactFlowId": "${flow:connectdr-inbound}", "QueueId": "${queue:Support}"})
    )
    plan = run_checked(
        flow_stack(stack_files["primary"], tmp_path, {"transfer": transfer, "connectdr-inbound": INBOUND})
    )
    flows = {flow.inputs["name"]: flow for flow in plan.of_type("aws:connect/contactFlow:ContactFlow")}
    queues = {queue.inputs["name"]: queue.outputs["queueId"] for queue in plan.of_type("aws:connect/queue:Queue")}
    parameters = json.loads(flows["transfer"].inputs["content"])["Actions"][0]["Parameters"]
    assert parameters == {
        "ContactFlowId": flows["connectdr-inbound"].outputs["contactFlowId"],
        "QueueId": queues["Support"],
    }
    assert flows["connectdr-inbound"].urn in flows["transfer"].dependencies


def test_a_flow_file_must_be_json_and_its_name_a_connect_name(stack_files):
    def change(center: dict[str, Any]) -> None:
        center["flows"] = [{"name": "connectdr-inbound", "file": "flows/inbound.json"}, {"name": "-x", "file": "a.txt"}]

    assert problems_of(with_center(stack_files["primary"], change)) == [
        "connectdr:contactCenter.flows[1].name = '-x': 1-127 letters, digits, spaces, '.', '_' or '-', starting with "
        "a letter or digit",
        "connectdr:contactCenter.flows[1].file = 'a.txt': must be a .json file exported from the flow designer",
    ]


def test_a_flow_file_that_is_not_utf8_is_one_config_error(stack_files, tmp_path):
    stack = flow_stack(stack_files["primary"], tmp_path, {"connectdr-inbound": INBOUND})
    latin1 = INBOUND.replace('"route-vip"', '"route-vip-é"', 1)
    (tmp_path / "connectdr-inbound.json").write_bytes(latin1.encode("latin-1"))
    [problem] = problems_of(stack)
    assert problem.startswith(f"connectdr:contactCenter.flows[0].file = '{tmp_path / 'connectdr-inbound.json'}': ")
    byte = latin1.index("é")
    assert problem.endswith(f"is not UTF-8 text (byte {byte}); save the flow as UTF-8, as the flow designer exports it")


def test_a_flow_is_read_as_utf8_whatever_the_locale_and_deployed_without_a_byte_order_mark(stack_files, tmp_path):
    welcome = {"Identifier": "w", "Type": "MessageParticipant", "Parameters": {"Text": "Bienvenue à Zürich"}}
    text = flow_text(welcome, action("a", {"QueueId": "${queue:Sales}"}))
    stack = flow_stack(stack_files["primary"], tmp_path, {"connectdr-inbound": INBOUND, "welcome": text})
    (tmp_path / "welcome.json").write_bytes(b"\xef\xbb\xbf" + text.encode())
    ascii_locale = {**os.environ, "LC_ALL": "C", "LANG": "C", "PYTHONUTF8": "0", "PYTHONCOERCECLOCALE": "0"}
    check = (
        "from config.flows import Flow, flow_problems\n"
        f"flow = Flow(name='welcome', file={str(tmp_path / 'welcome.json')!r})\n"
        "print(flow_problems([flow], {'Sales'}, {'always-open'}, []), ascii(flow.read()))"
    )
    checked = subprocess.run(
        [sys.executable, "-c", check], cwd=ROOT, env=ascii_locale, capture_output=True, text=True, check=False
    )
    assert checked.stdout.strip() == f"[] {text!a}", checked.stderr

    plan = run_checked(stack)
    deployed = {flow.inputs["name"]: flow.inputs["content"] for flow in plan.of_type(FLOW_TYPE)}["welcome"]
    assert deployed.startswith('{"Version"')
    assert json.loads(deployed)["Actions"][0]["Parameters"]["Text"] == "Bienvenue à Zürich"


def test_connect_names_that_would_share_a_resource_name_are_a_config_error(stack_files):
    def change(center: dict[str, Any]) -> None:
        center["queues"] = [{"name": name} for name in ("Sales", "VIP-Sales", "Support", "sales")]
        center["routingProfiles"] = [
            {"name": "Agents", "queues": ["Sales"], "defaultOutboundQueue": "Sales"},
            {"name": "agents", "queues": ["sales"], "defaultOutboundQueue": "sales"},
        ]
        center["flows"].append({"name": "Connectdr Inbound", "file": "flows/inbound.json"})

    assert problems_of(with_center(stack_files["primary"], change)) == [
        "connectdr:contactCenter.queues = ['Sales', 'sales']: names must differ in more than letter case: they "
        "become the same resource name (sales)",
        "connectdr:contactCenter.routingProfiles = ['Agents', 'agents']: names must differ in more than letter "
        "case: they become the same resource name (agents)",
        "connectdr:contactCenter.flows = ['Connectdr Inbound', 'connectdr-inbound']: names must differ in more "
        "than letter case, spaces and punctuation: they become the same resource name (connectdr-inbound)",
    ]


LEGACY_EXPORT = {"modules": [], "version": "1", "type": "contactFlow", "start": "x", "metadata": {}}


def actions(count: int) -> str:
    return flow_text(*[action(f"a{index}", {"QueueId": "${queue:Sales}"}) for index in range(count)])


@pytest.mark.parametrize(
    ("text", "rule"),
    [
        (json.dumps(LEGACY_EXPORT), "is not in the Amazon Connect Flow language (an object with Version, StartAction"),
        ("[]", "is not in the Amazon Connect Flow language"),
        (actions(251), "Actions must be a list of at most 250 actions; split the flow into flows or modules"),
        (
            flow_text(action("a", {"Text": "x" * 255_788, "QueueId": "${queue:Sales}"})),
            "would be 256001 characters with its placeholders resolved, over Connect's 256000",
        ),
    ],
    ids=["legacy-export", "not-an-object", "too-many-actions", "too-long-once-resolved"],
)
def test_a_flow_connect_would_refuse_is_a_config_error(stack_files, tmp_path, text, rule):
    stack = flow_stack(stack_files["primary"], tmp_path, {"connectdr-inbound": INBOUND, "extra": text})
    [problem] = problems_of(stack)
    assert problem.startswith(f"connectdr:contactCenter.flows[1].file = '{tmp_path / 'extra.json'}': {rule}")


def test_the_longest_accepted_flow_fits_once_resolved(stack_files, tmp_path):
    """A queue id is a UUID: the placeholder's 14 characters become 36."""
    text = flow_text(action("a", {"Text": "x" * 255_787, "QueueId": "${queue:Sales}"}))
    assert len(text) - len("${queue:Sales}") + 36 == 256_000
    validate_stack_file(flow_stack(stack_files["primary"], tmp_path, {"connectdr-inbound": INBOUND, "extra": text}))
