"""Every config rule: a bad value gives exactly one line naming the key, the value and the rule."""

import copy
import json
import re
import types
from collections.abc import Callable
from dataclasses import replace
from typing import Annotated, Any, Union, get_args, get_origin

import pytest
from conftest import structured
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from config import ConfigError, StackConfig
from config.wording import PATTERN_WORDS, rule_in_words
from deploy.stack_files import StackFile, validate_stack_file

Edit = Callable[[StackFile], StackFile]


def edit(key: str, change: Callable[[Any], None]) -> Edit:
    """Change one structured key of the stack file in place of a copy."""

    def apply(stack: StackFile) -> StackFile:
        value = copy.deepcopy(structured(stack, key))
        change(value)
        return stack.with_values(**{key: value})

    return apply


def setting(key: str, value: Any) -> Edit:
    return lambda stack: stack.with_values(**{key: value})


def leg(region: str, field: str, value: Any) -> Edit:
    return edit("network", lambda network: network["legs"][region].__setitem__(field, value))


def tunnel(region: str, index: int, field: str, value: Any) -> Edit:
    return edit("network", lambda network: network["legs"][region]["vpnTunnels"][index].__setitem__(field, value))


L1 = "connectdr:network.legs.us-east-1"
L2 = "connectdr:network.legs.us-west-2"
RESERVED = "is reserved by AWS (169.254.0.0/30 ... 169.254.5.0/30, 169.254.169.252/30)"
PAIRS = "us-east-1->us-west-2, us-west-2->us-east-1, eu-west-2->eu-central-1, eu-central-1->eu-west-2, ap-northeast-1->ap-northeast-3"

CASCADING = {"PSK secret named twice", "three tunnels instead of four"}
"""Cases whose first line is the rule under test and whose later lines follow from it: a renamed or dropped
tunnel leaves its pre-shared key set but named by no tunnel."""

PRIMARY_CASES: list[tuple[str, Edit, str]] = [
    (
        "unsupported region pair",
        setting("regions", {"source": "us-east-1", "replica": "eu-west-2"}),
        "connectdr:regions = 'us-east-1->eu-west-2': not a Global Resiliency pair; supported source->replica pairs: "
        + ", ".join(sorted(PAIRS.split(", "))),
    ),
    (
        "aws:region differs from the stack's region",
        setting("aws:region", "us-west-2"),
        "aws:region = 'us-west-2': must equal this stack's region us-east-1 (connectdr:role primary, connectdr:regions)",
    ),
    (
        "unknown role",
        setting("role", "tertiary"),
        "connectdr:role = 'tertiary': must be one of: primary, secondary",
    ),
    (
        "primary without a contact center",
        setting("contactCenter", None),
        "connectdr:contactCenter = None: required on the primary stack",
    ),
    (
        "identity management other than SAML",
        edit("contactCenter", lambda cc: cc["instance"].__setitem__("identityManagement", "CONNECT_MANAGED")),
        "connectdr:contactCenter.instance.identityManagement = 'CONNECT_MANAGED': "
        "must be SAML: ReplicateInstance only replicates SAML instances",
    ),
    (
        "instance alias starting with d-",
        edit("contactCenter", lambda cc: cc["instance"].__setitem__("alias", "d-care")),
        "connectdr:contactCenter.instance.alias = 'd-care': "
        "must be 1-45 letters, digits and hyphens, not starting with 'd-' nor ending with '-'",
    ),
    (
        "hours missing a day",
        edit("contactCenter", lambda cc: cc.__setitem__("hours", {"days": {"MONDAY": {}}})),
        "connectdr:contactCenter.hours.days = {'MONDAY': {}}: Value error, all seven days must be listed; "
        "missing TUESDAY, WEDNESDAY, THURSDAY, FRIDAY, SATURDAY, SUNDAY".replace("Value error, ", ""),
    ),
    (
        "queue missing that a flow names",
        edit(
            "contactCenter",
            lambda cc: cc.update(
                queues=[{"name": "Sales"}, {"name": "Support"}],
                routingProfiles=[{"name": "All", "queues": ["Sales", "Support"], "defaultOutboundQueue": "Sales"}],
            ),
        ),
        "connectdr:contactCenter.flows[0].file = 'flows/inbound.json': ${queue:VIP-Sales} names no queue "
        "(Sales, Support)",
    ),
    (
        "routing profile naming an unknown queue",
        edit(
            "contactCenter",
            lambda cc: cc.__setitem__(
                "routingProfiles", [{"name": "Gold", "queues": ["Gold"], "defaultOutboundQueue": "Gold"}]
            ),
        ),
        "connectdr:contactCenter.routingProfiles[0].queues = ['Gold']: must name queues from connectdr:contactCenter.queues (Sales, Support, VIP-Sales)",
    ),
    (
        "hours not on a 24-hour clock",
        edit(
            "contactCenter",
            lambda cc: cc["hours"].__setitem__(
                "days",
                {
                    day: {"start": "9am" if day == "MONDAY" else "09:00"}
                    for day in ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")
                },
            ),
        ),
        "connectdr:contactCenter.hours.days.MONDAY.start = '9am': must be HH:MM on a 24-hour clock",
    ),
    (
        "percentage not in steps of 10",
        edit("traffic", lambda traffic: traffic.__setitem__("telephony", {"us-east-1": 55, "us-west-2": 45})),
        "connectdr:traffic.telephony = {'us-east-1': 55, 'us-west-2': 45}: each percentage must be 0..100 in steps of 10",
    ),
    (
        "percentages not summing to 100",
        edit("traffic", lambda traffic: traffic.__setitem__("agents", {"us-east-1": 60, "us-west-2": 60})),
        "connectdr:traffic.agents = {'us-east-1': 60, 'us-west-2': 60}: percentages must sum to 100 (they sum to 120)",
    ),
    (
        "split naming a region outside the pair",
        edit("traffic", lambda traffic: traffic.__setitem__("telephony", {"us-east-1": 50, "eu-west-2": 50})),
        "connectdr:traffic.telephony = ['eu-west-2', 'us-east-1']: must list exactly the two regions us-east-1 and us-west-2",
    ),
    (
        "sign-in disabled everywhere",
        edit("traffic", lambda traffic: traffic.__setitem__("signIn", {"us-east-1": False, "us-west-2": False})),
        "connectdr:traffic.signIn = {'us-east-1': False, 'us-west-2': False}: at least one region must allow sign-in",
    ),
    (
        "phone number naming an unknown traffic group",
        edit("contactCenter", lambda cc: cc["phoneNumbers"][1].__setitem__("trafficGroup", "gold-lines")),
        "connectdr:contactCenter.phoneNumbers[1].trafficGroup = 'gold-lines': must name a traffic group (vip-lines)",
    ),
    (
        "overlapping schedule windows",
        edit(
            "traffic",
            lambda traffic: traffic["schedule"].append(
                {
                    "name": "late",
                    "days": ["FRI"],
                    "startHour": 4,
                    "endHour": 8,
                    "telephony": {"us-east-1": 50, "us-west-2": 50},
                }
            ),
        ),
        "connectdr:traffic.schedule[1] = 'late': overlaps window 'west-coast-evenings' (connectdr:traffic.schedule[0]) on FRI",
    ),
    (
        "schedule window ending before it starts",
        edit("traffic", lambda traffic: traffic["schedule"][0].update(startHour=5, endHour=5)),
        # keys in the engine's order: it passes objects as Go's encoding/json writes them
        "connectdr:traffic.schedule[0] = {'days': ['MON', 'TUE', 'WED', 'THU', 'FRI'], 'endHour': 5, 'name': 'west-coast-evenings', 'startHour': 5, 'telephony': {'us-east-1': 30, 'us-west-2': 70}}: endHour (5) must be after startHour (5)",
    ),
    (
        "two traffic groups with one name",
        edit("traffic", lambda traffic: traffic["groups"].append(dict(traffic["groups"][0]))),
        "connectdr:traffic.groups = ['vip-lines']: group names must be unique",
    ),
    (
        "force override without a region",
        setting("failover", {"override": {"mode": "force"}}),
        "connectdr:failover.override = {'mode': 'force'}: region is required with mode 'force' and only allowed with it",
    ),
    (
        "override forcing a region outside the pair",
        setting("failover", {"override": {"mode": "force", "region": "eu-west-2"}}),
        "connectdr:failover.override.region = 'eu-west-2': must be one of the pair: us-east-1, us-west-2",
    ),
    (
        "alarm needing more datapoints than it evaluates",
        setting(
            "failover", {"alarms": {"throttledCalls": {"threshold": 5, "evaluationPeriods": 1, "datapointsToAlarm": 3}}}
        ),
        "connectdr:failover.alarms.throttledCalls = {'threshold': 5, 'evaluationPeriods': 1, 'datapointsToAlarm': 3}: "
        "datapointsToAlarm (3) cannot exceed evaluationPeriods (1)",
    ),
    (
        "packet loss threshold that can never fire",
        setting("failover", {"alarms": {"toInstancePacketLossRate": {"threshold": 5}}}),
        "connectdr:failover.alarms.toInstancePacketLossRate = {'threshold': 5}: "
        "threshold 5.0 is a loss rate (0..1); it must be above 0 and below 1 to fire",
    ),
    (
        "batching window above the RPO budget",
        setting("dataSync", {"batchingWindowSeconds": 5}),
        "connectdr:dataSync.batchingWindowSeconds = 5: must be at most 1",
    ),
    (
        "misspelled key",
        setting("dataSync", {"batchingWindow": 1}),
        "connectdr:dataSync.batchingWindow = 1: unknown key; did you mean batchingWindowSeconds? allowed: batchSize, "
        "batchingWindowSeconds, iteratorAgeAlarmSeconds, maxRecordAgeSeconds, maxRetries, parallelizationFactor, "
        "replicationLatencyAlarmMs, retentionHours, shardCount",
    ),
    (
        "recordings expiring before they reach Glacier",
        setting("recordings", {"glacierAfterDays": 30, "expireAfterDays": 20}),
        "connectdr:recordings = {'glacierAfterDays': 30, 'expireAfterDays': 20}: "
        "expireAfterDays (20) must be after glacierAfterDays (30)",
    ),
    (
        "bad alert e-mail",
        setting("alerts", {"email": "oncall"}),
        "connectdr:alerts.email = 'oncall': must be an e-mail address such as oncall@example.com",
    ),
    (
        "required tag missing",
        setting("tags", {"owner": "team"}),
        "connectdr:tags = ['owner']: must set environment",
    ),
    (
        "AWS VPCs overlapping",
        leg("us-west-2", "vpcCidr", "10.110.128.0/17"),
        f"{L1}.vpcCidr = '10.110.0.0/16': overlaps {L2}.vpcCidr (10.110.128.0/17); AWS VPC CIDRs and GCP subnets must not overlap",
    ),
    (
        "GCP subnet overlapping an AWS VPC",
        leg("us-east-1", "gcpSubnetCidr", "10.120.16.0/20"),
        f"{L1}.gcpSubnetCidr = '10.120.16.0/20': overlaps {L2}.vpcCidr (10.120.0.0/16); AWS VPC CIDRs and GCP subnets must not overlap",
    ),
    (
        "CIDR with host bits",
        leg("us-east-1", "vpcCidr", "10.110.0.1/16"),
        f"{L1}.vpcCidr = '10.110.0.1/16': must be an IPv4 CIDR with no host bits set (10.110.0.1/16 has host bits set)",
    ),
    (
        "public ASN",
        leg("us-east-1", "vgwAsn", 7224),
        f"{L1}.vgwAsn = 7224: must be a private ASN (64512-65534 or 4200000000-4294967294)",
    ),
    (
        "ASN used twice",
        leg("us-west-2", "vpnRouterAsn", 64601),
        f"{L2}.vpnRouterAsn = 64601: already used by {L1}.vgwAsn; each router and gateway needs its own ASN",
    ),
    (
        "interconnect router ASN other than 16550",
        leg("us-east-1", "interconnectRouterAsn", 65001),
        f"{L1}.interconnectRouterAsn = 65001: a Partner Interconnect Cloud Router must use ASN 16550",
    ),
    (
        "inside CIDR not a /30",
        tunnel("us-east-1", 0, "insideCidr", "169.254.10.0/29"),
        f"{L1}.vpnTunnels[0].insideCidr = '169.254.10.0/29': must be a /30 inside 169.254.0.0/16",
    ),
    (
        "inside CIDR outside link-local",
        tunnel("us-east-1", 0, "insideCidr", "10.0.0.0/30"),
        f"{L1}.vpnTunnels[0].insideCidr = '10.0.0.0/30': must be a /30 inside 169.254.0.0/16",
    ),
    (
        "inside CIDR reserved by AWS",
        tunnel("us-east-1", 0, "insideCidr", "169.254.169.252/30"),
        f"{L1}.vpnTunnels[0].insideCidr = '169.254.169.252/30': {RESERVED}",
    ),
    (
        "inside CIDR used twice",
        tunnel("us-west-2", 1, "insideCidr", "169.254.10.4/30"),
        f"{L2}.vpnTunnels[1].insideCidr = '169.254.10.4/30': already used by {L1}.vpnTunnels[1].insideCidr; inside CIDRs must be unique",
    ),
    (
        "PSK secret named twice",
        tunnel("us-east-1", 1, "presharedKeySecret", "vpnPskUse1ConnATunnel1"),
        f"{L1}.vpnTunnels[1].presharedKeySecret = 'vpnPskUse1ConnATunnel1': already used by "
        f"{L1}.vpnTunnels[0].presharedKeySecret; pre-shared key secrets must be unique",
    ),
    (
        "three tunnels instead of four",
        edit("network", lambda network: network["legs"]["us-east-1"]["vpnTunnels"].pop()),
        f"{L1}.vpnTunnels = [{{'insideCidr': '169.254.10.0/30', 'presharedKeySecret': 'vpnPskUse1ConnATunnel1'}}, "
        "{'insideCidr': '169.254.10.4/30', 'presharedKeySecret': 'vpnPskUse1ConnATunnel2'}, "
        "{'insideCidr': '169.254.10.8/30', 'presharedKeySecret': 'vpnPskUse1ConnBTunnel1'}]: "
        "must list exactly 4 tunnels (two AWS VPN connections of two tunnels each), not 3",
    ),
    (
        "leg missing for a region",
        edit("network", lambda network: network["legs"].pop("us-west-2")),
        "connectdr:network.legs = ['us-east-1']: must list exactly the two regions us-east-1 and us-west-2",
    ),
    (
        "MTU no attachment accepts",
        edit("network", lambda network: network.__setitem__("mtu", 9001)),
        "connectdr:network.mtu = 9001: must be 1440, 1460, 1500 or 8896, the MTUs a VLAN attachment accepts",
    ),
    (
        "PSK not set",
        setting("vpnPskUse1ConnATunnel1", None),
        "connectdr:vpnPskUse1ConnATunnel1 = None: not set: run `pulumi config set --secret connectdr:vpnPskUse1ConnATunnel1 <key>`",
    ),
    (
        "phone number prefix without its plus",
        edit("contactCenter", lambda cc: cc["phoneNumbers"][1].__setitem__("prefix", "1212")),
        "connectdr:contactCenter.phoneNumbers[1].prefix = '1212': must be '+' and 1-15 digits "
        "(the start of an E.164 number, such as +1212)",
    ),
    (
        "region that is not a region name",
        setting("regions", {"source": "US East", "replica": "us-west-2"}),
        "connectdr:regions.source = 'US East': must be an AWS region name such as us-east-1",
    ),
    (
        "shard count in words",
        setting("dataSync", {"shardCount": "two"}),
        "connectdr:dataSync.shardCount = 'two': must be a whole number",
    ),
    (
        "switch that is not true or false",
        edit("contactCenter", lambda cc: cc["instance"].__setitem__("crossRegionRouting", "sometimes")),
        "connectdr:contactCenter.instance.crossRegionRouting = 'sometimes': must be true or false",
    ),
    (
        "threshold that is not a number",
        setting("failover", {"alarms": {"throttledCalls": {"threshold": "high"}}}),
        "connectdr:failover.alarms.throttledCalls.threshold = 'high': must be a number",
    ),
    (
        "tags as a list",
        setting("tags", ["owner", "environment"]),
        "connectdr:tags = ['owner', 'environment']: must be a mapping of keys to values",
    ),
    (
        "a day that is not a day",
        edit("contactCenter", lambda cc: cc["hours"].__setitem__("days", {"FUNDAY": {}})),
        "connectdr:contactCenter.hours.days.FUNDAY = 'FUNDAY': must be one of: MONDAY, TUESDAY, WEDNESDAY, THURSDAY, "
        "FRIDAY, SATURDAY, SUNDAY",
    ),
    (
        "GCP project id too short",
        edit("network", lambda network: network.__setitem__("gcpProject", "acme")),
        "connectdr:network.gcpProject = 'acme': must be a Google Cloud project id: 6-30 lowercase letters, digits or "
        "'-', starting with a letter and not ending with '-'",
    ),
    (
        "source and replica the same region",
        setting("regions", {"source": "us-east-1", "replica": "us-east-1"}),
        "connectdr:regions = 'us-east-1->us-east-1': source and replica must be two different regions; supported "
        "pairs: " + ", ".join(sorted(PAIRS.split(", "))),
    ),
    (
        "primary naming a primary stack",
        setting("primaryStack", "primary"),
        "connectdr:primaryStack: only the secondary stack uses it; it has no effect on the primary stack: remove it "
        "from this stack's config (`pulumi config rm connectdr:primaryStack`)",
    ),
    (
        "the other leg's pre-shared key in plain text",
        setting("vpnPskUsw2ConnATunnel1", "Plain.Text_key1"),
        "connectdr:vpnPskUsw2ConnATunnel1 = [secret]: the us-west-2 leg's pre-shared key belongs to the secondary "
        "stack: remove it here (`pulumi config rm connectdr:vpnPskUsw2ConnATunnel1`); it was stored in plain text, "
        "so choose a new key",
    ),
    (
        "a cloud credential in plain text",
        setting("aws:secretKey", "wJalrXUtnFEMI/K7MDENG"),
        "aws:secretKey = [secret]: a credential stored in plain text: set it with "
        "`pulumi config set --secret aws:secretKey`, or leave it to the provider's environment variables",
    ),
    (
        "unknown top-level key",
        setting("trafic", {"telephony": {}}),
        "connectdr:trafic: unknown key; did you mean traffic? allowed: alerts, contactCenter, dataSync, failover, network, "
        "primaryStack, recordings, regions, role, tags, traffic and the tunnels' pre-shared key secrets",
    ),
]


@pytest.mark.parametrize(("rule", "change", "expected"), PRIMARY_CASES, ids=[case[0] for case in PRIMARY_CASES])
def test_each_rule_names_key_value_and_rule(stack_files, rule, change, expected):
    with pytest.raises(ConfigError) as raised:
        validate_stack_file(change(stack_files["primary"]))
    reported = [str(problem) for problem in raised.value.problems]
    if rule in CASCADING:
        assert reported[0] == expected
    else:
        assert reported == [expected]


def test_secondary_needs_the_primary_stack_name(stack_files):
    with pytest.raises(ConfigError) as raised:
        validate_stack_file(stack_files["secondary"].with_values(primaryStack=None))
    assert [str(problem) for problem in raised.value.problems] == [
        "connectdr:primaryStack = None: required on the secondary stack: the primary stack's name for its StackReference"
    ]


def _with_secret(stack: StackFile, name: str, value: str, *, secret: bool) -> StackFile:
    key = f"connectdr:{name}"
    keys = stack.secret_keys | {key} if secret else stack.secret_keys - {key}
    return replace(stack, values={**stack.values, key: value}, secret_keys=frozenset(keys))


@pytest.mark.parametrize(
    ("value", "secret", "rule"),
    [
        ("short", True, "pre-shared keys are 8-64 letters, digits, '.' or '_', not starting with '0'"),
        ("0startsWithZero", True, "pre-shared keys are 8-64 letters, digits, '.' or '_', not starting with '0'"),
        ("has-a-hyphen-in-it", True, "pre-shared keys are 8-64 letters, digits, '.' or '_', not starting with '0'"),
        ("x" * 65, True, "pre-shared keys are 8-64 letters, digits, '.' or '_', not starting with '0'"),
        (
            "Valid.Key_1234",
            False,
            "stored in plain text: choose a new key and set it with "
            "`pulumi config set --secret connectdr:vpnPskUse1ConnATunnel2 <key>`",
        ),
    ],
)
def test_preshared_keys_follow_aws_rules_and_are_never_printed(stack_files, value, secret, rule):
    stack = _with_secret(stack_files["primary"], "vpnPskUse1ConnATunnel2", value, secret=secret)
    with pytest.raises(ConfigError) as raised:
        validate_stack_file(stack)
    assert [str(problem) for problem in raised.value.problems] == [
        f"connectdr:vpnPskUse1ConnATunnel2 = [secret]: {rule}"
    ]
    assert value not in str(raised.value)


def test_all_problems_are_reported_together_one_line_each(stack_files):
    stack = stack_files["primary"].with_values(
        dataSync={"batchingWindowSeconds": 5}, alerts={"email": "x"}, role="boss"
    )
    with pytest.raises(ConfigError) as raised:
        validate_stack_file(stack)
    lines = str(raised.value).splitlines()
    assert lines[0] == "invalid stack config (3 problem(s)):"
    assert sorted(line.split(" = ")[0] for line in lines[1:]) == [
        "  - connectdr:alerts.email",
        "  - connectdr:dataSync.batchingWindowSeconds",
        "  - connectdr:role",
    ]


@pytest.mark.parametrize("stack", ["primary", "secondary"])
def test_the_sample_stack_files_are_valid(stack_files, stack):
    loaded = validate_stack_file(stack_files[stack])
    assert loaded.stack.role == stack
    assert len(loaded.preshared_keys) == 4


PYDANTIC_OR_REGEX = re.compile(
    r"Input should|String should|List should|Value error|validation error|\^|\[0-9\]|\\d|\{\d"
)


def test_no_rule_reads_like_pydantic_or_a_regex(stack_files):
    for _rule, change, _expected in PRIMARY_CASES:
        with pytest.raises(ConfigError) as raised:
            validate_stack_file(change(stack_files["primary"]))
        for problem in raised.value.problems:
            assert not PYDANTIC_OR_REGEX.search(problem.rule), problem


def _patterns(schema: Any) -> set[str]:
    if isinstance(schema, dict):
        found = {schema["pattern"]} if isinstance(schema.get("pattern"), str) else set()
        return found.union(*(_patterns(value) for value in schema.values()))
    if isinstance(schema, list):
        return set().union(*(_patterns(value) for value in schema))
    return set()


def test_every_format_in_the_models_has_words():
    patterns = _patterns(StackConfig.model_json_schema())
    assert len(patterns) >= 5
    assert sorted(patterns - set(PATTERN_WORDS)) == []
    assert sorted(set(PATTERN_WORDS) - patterns) == [], "words for a format no model uses any more"


def test_a_format_or_error_without_words_still_reads_as_a_sentence():
    pattern = {"type": "string_pattern_mismatch", "loc": ("x",), "msg": "", "input": "y", "ctx": {"pattern": "^z$"}}
    assert rule_in_words(pattern, StackConfig) == "must be in the documented format (README, Config)"
    other = {"type": "uuid_parsing", "loc": ("x",), "msg": "Input should be a valid UUID", "input": "y"}
    assert rule_in_words(other, StackConfig) == "is not a valid value here (README, Config)"


def test_the_secondary_refuses_the_primary_s_keys_instead_of_ignoring_them(stack_files):
    primary = stack_files["primary"]
    secondary = stack_files["secondary"].with_values(
        traffic=structured(primary, "traffic"), contactCenter=structured(primary, "contactCenter")
    )
    with pytest.raises(ConfigError) as raised:
        validate_stack_file(secondary)
    assert [str(problem) for problem in raised.value.problems] == [
        f"connectdr:{key}: only the primary stack uses it; it has no effect on the secondary stack: remove it from "
        f"this stack's config (`pulumi config rm connectdr:{key}`)"
        for key in ("contactCenter", "traffic")
    ]


def test_another_leg_s_key_is_refused_even_as_a_secret(stack_files):
    stack = _with_secret(stack_files["secondary"], "vpnPskUse1ConnATunnel1", "Valid.Key_1234", secret=True)
    with pytest.raises(ConfigError) as raised:
        validate_stack_file(stack)
    assert [str(problem) for problem in raised.value.problems] == [
        "connectdr:vpnPskUse1ConnATunnel1 = [secret]: the us-east-1 leg's pre-shared key belongs to the primary "
        "stack: remove it here (`pulumi config rm connectdr:vpnPskUse1ConnATunnel1`)"
    ]


def test_secrets_are_checked_whatever_else_is_wrong(stack_files):
    stack = _with_secret(stack_files["primary"], "vpnPskUse1ConnATunnel2", "Plain.Text_key2", secret=False)
    stack = stack.with_values(alerts={"email": "oncall"}, vpnPskUsw2ConnBTunnel2="Other.Leg_key3")
    with pytest.raises(ConfigError) as raised:
        validate_stack_file(stack)
    keys = [problem.key for problem in raised.value.problems]
    assert keys == ["connectdr:alerts.email", "connectdr:vpnPskUse1ConnATunnel2", "connectdr:vpnPskUsw2ConnBTunnel2"]
    assert "Plain.Text_key2" not in str(raised.value)
    assert "Other.Leg_key3" not in str(raised.value)


def test_with_a_broken_role_keys_present_are_still_checked_for_secrecy(stack_files):
    stack = _with_secret(stack_files["primary"], "vpnPskUsw2ConnATunnel1", "Plain.Text_key4", secret=False)
    with pytest.raises(ConfigError) as raised:
        validate_stack_file(stack.with_values(role="boss"))
    lines = [str(problem) for problem in raised.value.problems]
    assert lines[0] == "connectdr:role = 'boss': must be one of: primary, secondary"
    assert any(line.startswith("connectdr:vpnPskUsw2ConnATunnel1 = [secret]: stored in plain text") for line in lines)
    assert "Plain.Text_key4" not in str(raised.value)


def test_a_pair_of_one_region_is_reported_once_on_either_stack(stack_files):
    for name in ("primary", "secondary"):
        stack = stack_files[name].with_values(regions={"source": "us-west-2", "replica": "us-west-2"})
        with pytest.raises(ConfigError) as raised:
            validate_stack_file(stack)
        assert [problem.key for problem in raised.value.problems] == ["connectdr:regions"], name


def _leaf_paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(value, dict):
        return [path, *(leaf for key, item in value.items() for leaf in _leaf_paths(item, (*path, key)))]
    if isinstance(value, list):
        return [path, *(leaf for index, item in enumerate(value) for leaf in _leaf_paths(item, (*path, index)))]
    return [path]


ANY_VALUE = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-10, 100_000),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=6),
    st.lists(st.integers(0, 9), max_size=3),
    st.dictionaries(st.text(max_size=4), st.integers(0, 9), max_size=2),
)


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_wrong_value_anywhere_is_described_in_words(stack_files, data):
    stack = stack_files["primary"]
    key = data.draw(st.sampled_from(["contactCenter", "traffic", "network", "failover", "dataSync", "regions", "tags"]))
    value = copy.deepcopy(structured(stack, key))
    path = data.draw(st.sampled_from(_leaf_paths(value)))
    replacement = data.draw(ANY_VALUE)
    if path:
        target = value
        for part in path[:-1]:
            target = target[part]
        target[path[-1]] = replacement
    else:
        value = replacement
    try:
        validate_stack_file(stack.with_values(**{key: value}))
    except ConfigError as error:
        for problem in error.problems:
            assert not PYDANTIC_OR_REGEX.search(problem.rule), problem


@pytest.mark.parametrize(
    ("key", "value"),
    [
        ("primaryStack", "Secret Value!"),
        ("role", "SecretRole"),
        ("aws:region", "SecretRegion"),
        ("alerts", {"email": "SecretMail"}),
        ("network", "SecretText"),
        ("tags", {"owner": "x", "environment": ["SecretList"]}),
    ],
)
def test_a_key_held_as_a_secret_never_shows_its_value_in_an_error(stack_files, key, value):
    """Any key may be set with `pulumi config set --secret`; its value stays out of every line."""
    stack = stack_files["secondary"].with_values(**{key: value})
    full_key = key if ":" in key else f"connectdr:{key}"
    stack = replace(stack, secret_keys=stack.secret_keys | {full_key})
    with pytest.raises(ConfigError) as raised:
        validate_stack_file(stack)
    assert "Secret" not in str(raised.value)
    assert all(problem.key.startswith(full_key) for problem in raised.value.problems)


def test_a_leg_cidr_held_as_a_secret_is_not_repeated_by_its_rule(stack_files):
    network = structured(stack_files["secondary"], "network")
    network["legs"]["us-west-2"]["vpcCidr"] = "SecretCidr"
    stack = stack_files["secondary"].with_values(network=network)
    stack = replace(stack, secret_keys=stack.secret_keys | {"connectdr:network"})
    with pytest.raises(ConfigError) as raised:
        validate_stack_file(stack)
    assert "SecretCidr" not in str(raised.value)


def test_a_structured_key_written_as_text_is_one_line(stack_files):
    with pytest.raises(ConfigError) as raised:
        validate_stack_file(stack_files["secondary"].with_values(network="legs"))
    assert [str(problem) for problem in raised.value.problems] == [
        "connectdr:network = 'legs': must be a mapping of keys to values"
    ]


def _unwrap(annotation: Any) -> Any:
    while True:
        if get_origin(annotation) is Annotated:
            annotation = get_args(annotation)[0]
        elif get_origin(annotation) in (Union, types.UnionType):
            options = [arg for arg in get_args(annotation) if arg is not type(None)]
            if len(options) != 1:
                return annotation
            annotation = options[0]
        else:
            return annotation


def _model_paths(model: type[BaseModel], prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every key path the models read, set in the sample config or not (lists by their first item, regional maps
    by both regions)."""
    paths = []
    for name, field in model.model_fields.items():
        path = (*prefix, field.alias or name)
        paths.append(path)
        annotation = _unwrap(field.annotation)
        if get_origin(annotation) is list:
            children, annotation = [(*path, 0)], _unwrap(get_args(annotation)[0])
        elif get_origin(annotation) is dict:
            children, annotation = [(*path, "us-east-1"), (*path, "us-west-2")], _unwrap(get_args(annotation)[1])
        else:
            children = [path]
        if children != [path]:
            paths += children
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            paths += [nested for child in children for nested in _model_paths(annotation, child)]
    return paths


MODEL_PATHS = _model_paths(StackConfig)
ODD_VALUE = st.one_of(
    ANY_VALUE,
    st.integers(-(2**70), 2**70),
    st.floats(),
    st.sampled_from(["^a$", "$x", "[0-9]{1,3}", "", " ", "us-east-1", "169.254.10.0/30", "a" * 300, "\x00", "é"]),
    st.lists(st.one_of(st.none(), st.text(max_size=3), st.dictionaries(st.text(max_size=2), st.none())), max_size=3),
)
REGEX_OR_PYDANTIC = re.compile(
    r"Input should|String should|List should|Value error|validation error|pattern|\^|\$(?!\{)|\[0-9\]|\\d|\{\d|"
    r"Traceback|pydantic|type="
)


def _set_at(root: Any, path: tuple[Any, ...], value: Any) -> Any:
    """`root` with `value` at `path`, creating the mappings and lists on the way."""
    if not path:
        return value
    head, rest = path[0], path[1:]
    if isinstance(head, int):
        items = list(root) if isinstance(root, list) else []
        if not items:
            items.append(None)
        items[0] = _set_at(items[0], rest, value)
        return items
    mapping = dict(root) if isinstance(root, dict) else {}
    mapping[head] = _set_at(mapping.get(head), rest, value)
    return mapping


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_any_value_at_any_key_the_models_read_is_named_in_words_on_either_stack(stack_files, data):
    """Keys missing from the sample config too (queues, alarms, override, ...); values of any shape."""
    stack = stack_files[data.draw(st.sampled_from(["primary", "secondary"]))]
    path = data.draw(st.sampled_from(MODEL_PATHS))
    value = data.draw(ODD_VALUE)
    top = path[0]
    if len(path) == 1 and top in ("role", "primaryStack"):
        stack = stack.with_values(**{top: value if isinstance(value, str) else json.dumps(value)})
    else:
        current = stack.values.get(f"connectdr:{top}")
        stack = stack.with_values(**{top: _set_at(json.loads(current) if current else None, path[1:], value)})
    try:
        validate_stack_file(stack)
    except ConfigError as error:
        assert error.problems
        for problem in error.problems:
            assert problem.key.startswith(("connectdr:", "aws:")), problem
            rule = problem.rule.replace(value, "") if isinstance(value, str) and value else problem.rule
            assert rule and not REGEX_OR_PYDANTIC.search(rule), problem


@pytest.mark.parametrize("name", ["role", "tags", "primaryStack"])
def test_a_tunnel_secret_named_like_a_setting_is_named_as_such(stack_files, name):
    """Otherwise the setting itself was read as the pre-shared key ('connectdr:role = [secret]: stored in plain text',
    or for tags 'a secret in Pulumi.yaml')."""
    stack = tunnel("us-west-2", 0, "presharedKeySecret", name)(stack_files["secondary"])
    with pytest.raises(ConfigError) as raised:
        validate_stack_file(stack.with_values(vpnPskUsw2ConnATunnel1=None))
    assert [str(problem) for problem in raised.value.problems] == [
        f"{L2}.vpnTunnels[0].presharedKeySecret = '{name}': names the setting connectdr:{name}, not a secret: "
        "choose a name of its own, such as vpnPsk1"
    ]
