"""Guardrails: the CrossGuard rules hold on both stacks' plans and catch bad resources; parliament is clean."""

import json
import sys
from collections.abc import Mapping
from typing import ClassVar

import parliament
import pytest
from conftest import ROOT
from pulumi.runtime import rpc
from pulumi_policy import (
    PolicyCustomTimeouts,
    PolicyProviderResource,
    PolicyResource,
    PolicyResourceOptions,
    ResourceValidationArgs,
    StackValidationArgs,
)
from pulumi_policy.deserialize import deserialize_properties
from pulumi_policy.proxy import UNKNOWN_STRING_VALUE, UnknownValueError, unknown_checking_proxy

from config.stack import REQUIRED_TAG_KEYS
from deploy.offline import Plan
from deploy.render import plain

sys.path.insert(0, str(ROOT / "policy"))
import pack
import rules
from rules import ResourceView, check_stack


def views(plan: Plan) -> list[ResourceView]:
    """The plan's resources as the rules see them; a provider reference is `<provider urn>::<id>`."""
    providers = {r.urn: r for r in plan.resources if r.type.startswith("pulumi:providers:")}
    result = []
    for resource in plan.resources:
        provider = providers.get((resource.provider or "").rsplit("::", 1)[0])
        result.append(
            ResourceView(
                type=resource.type,
                name=resource.name,
                inputs=plain(resource.inputs),
                protect=resource.protect,
                secret_inputs=frozenset(key for key, value in resource.inputs.items() if rpc.is_rpc_secret(value)),
                provider_inputs=plain(provider.inputs) if provider else None,
            )
        )
    return result


@pytest.mark.parametrize("stack", ["primary", "secondary"])
def test_both_stacks_pass_every_rule(request, stack):
    plan = request.getfixturevalue(stack)
    found = check_stack(views(plan))
    assert set(found) == set(rules.RESOURCE_RULES) | set(rules.STACK_RULES)
    assert found == {name: [] for name in found}


def test_aws_resources_are_checked_through_their_provider(primary):
    checked = [v for v in views(primary) if v.type.startswith("aws:") and v.provider_inputs is not None]
    assert len(checked) > 50


def test_the_pack_requires_the_same_tags_as_the_config():
    assert rules.REQUIRED_TAG_KEYS == REQUIRED_TAG_KEYS


BAD = [
    ("encryption-at-rest", ResourceView("aws:kinesis/stream:Stream", "plain-stream", {"encryptionType": "NONE"})),
    (
        "encryption-at-rest",
        ResourceView(
            "aws:dynamodb/table:Table",
            "t",
            {"serverSideEncryption": {"enabled": True, "kmsKeyArn": "k"}, "replicas": [{"regionName": "us-west-2"}]},
        ),
    ),
    (
        "no-wildcard-actions",
        ResourceView(
            "aws:iam/rolePolicy:RolePolicy",
            "admin",
            {
                "policy": json.dumps(
                    {"Statement": [{"Sid": "All", "Effect": "Allow", "Action": "s3:*", "Resource": "*"}]}
                )
            },
        ),
    ),
    ("phone-numbers-protected", ResourceView("aws:connect/phoneNumber:PhoneNumber", "number", {"countryCode": "US"})),
    (
        "secrets-not-plain",
        ResourceView(
            "gcp:compute/vPNTunnel:VPNTunnel", "tunnel", {"sharedSecret": "plain-text-key"}, secret_inputs=frozenset()
        ),
    ),
    (
        "required-tags",
        ResourceView("pulumi:providers:aws", "aws", {"defaultTags": json.dumps({"tags": {"owner": "x"}})}),
    ),
    (
        "required-tags",
        ResourceView(
            "aws:sqs/queue:Queue", "q", {"sqsManagedSseEnabled": True}, provider_inputs={"region": "us-east-1"}
        ),
    ),
]


@pytest.mark.parametrize(("rule", "resource"), BAD, ids=[f"{rule}-{resource.name}" for rule, resource in BAD])
def test_each_rule_catches_a_bad_resource(rule, resource):
    found = check_stack([resource])
    assert found[rule], found
    assert all(not violations for name, violations in found.items() if name != rule)


def test_stack_rules_catch_an_open_unencrypted_bucket():
    bucket = ResourceView("aws:s3/bucket:Bucket", "open", {"bucket": "open-bucket"})
    policy = ResourceView(
        "aws:s3/bucketPolicy:BucketPolicy",
        "open-policy",
        {
            "bucket": "open-bucket",
            "policy": json.dumps({"Statement": [{"Effect": "Allow", "Principal": "*", "Action": "s3:GetObject"}]}),
        },
    )
    found = check_stack([bucket, policy])
    assert found["buckets-encrypted"] == ["open: no SSE-KMS default encryption"]
    assert found["buckets-private"] == [
        "open: public access not fully blocked",
        "open-policy: bucket policy allows everyone",
    ]


def test_a_deny_with_a_wildcard_is_fine():
    deny = ResourceView(
        "aws:s3/bucketPolicy:BucketPolicy",
        "tls",
        {"policy": json.dumps({"Statement": [{"Effect": "Deny", "Principal": "*", "Action": "s3:*"}]})},
    )
    assert rules.no_wildcard_actions(deny) == []


class WatchedOptions(PolicyResourceOptions):
    """CrossGuard's real options type, noting every attribute a policy asks for (present or not)."""

    asked: ClassVar[set[str]] = set()

    def __getattribute__(self, name):
        if not name.startswith("__"):
            WatchedOptions.asked.add(name)
        return super().__getattribute__(name)


def engine_options(protect: bool) -> PolicyResourceOptions:
    """Options as CrossGuard builds them (the real type: it has no retain_on_delete)."""
    return WatchedOptions(protect, [], None, [], PolicyCustomTimeouts(0, 0, 0), [], None)


def validation_args(type_token: str, name: str, props: dict, *, protect: bool = False, provider=None):
    return ResourceValidationArgs(type_token, props, f"urn:{name}", name, engine_options(protect), provider)


def test_the_pack_wraps_every_rule_and_reports_through_the_engine_callback():
    policies = pack.build_policies()
    assert sorted(p.name for p in policies) == sorted([*rules.RESOURCE_RULES, *rules.STACK_RULES])
    reported = []
    protected = next(p for p in policies if p.name == "phone-numbers-protected")
    protected.validate(
        validation_args("aws:connect/phoneNumber:PhoneNumber", "number", {"countryCode": "US"}),
        lambda message, urn: reported.append((message, urn)),
    )
    assert reported == [("number: releasing a number starts a long cooldown; protect it", "urn:number")]
    protected.validate(
        validation_args("aws:connect/phoneNumber:PhoneNumber", "kept", {"countryCode": "US"}, protect=True),
        lambda message, urn: reported.append((message, urn)),
    )
    assert len(reported) == 1


def test_every_policy_runs_on_the_engine_types():
    """Each policy reads only what CrossGuard's real argument types carry (a missing attribute would raise)."""
    provider = PolicyProviderResource(
        "pulumi:providers:aws", {"defaultTags": {"tags": {"owner": "o", "environment": "e"}}}, "urn:aws", "aws"
    )
    bucket = PolicyResource(
        "aws:s3/bucket:Bucket", {"bucket": "b"}, "urn:b", "b", engine_options(False), provider, None, [], {}
    )
    reported = []
    WatchedOptions.asked.clear()
    for policy in pack.build_policies():
        if policy.name in rules.STACK_RULES:
            policy.validate(StackValidationArgs([bucket]), lambda message, urn, name=policy.name: reported.append(name))
        else:
            args = validation_args("aws:sqs/queue:Queue", "q", {"sqsManagedSseEnabled": True}, provider=provider)
            policy.validate(args, lambda message, urn, name=policy.name: reported.append(name))
    assert sorted(reported) == ["buckets-encrypted", "buckets-private"]
    real_options = set(vars(PolicyResourceOptions(False, [], None, [], PolicyCustomTimeouts(0, 0, 0), [], None)))
    assert WatchedOptions.asked and WatchedOptions.asked <= real_options, WatchedOptions.asked - real_options


def _iam_documents(plan: Plan) -> list[tuple[str, dict]]:
    documents = []
    for resource in plan.resources:
        if resource.type == "aws:iam/rolePolicy:RolePolicy":
            documents.append((resource.name, json.loads(plain(resource.inputs["policy"]))))
    return documents


@pytest.mark.parametrize("stack", ["primary", "secondary"])
def test_parliament_finds_nothing_in_any_iam_policy(request, stack):
    documents = _iam_documents(request.getfixturevalue(stack))
    assert len(documents) >= 4
    findings = {
        name: [(f.issue, f.detail) for f in parliament.analyze_policy_string(json.dumps(document)).findings]
        for name, document in documents
    }
    assert findings == {name: [] for name, _ in documents}


def test_parliament_would_flag_a_bad_policy():
    document = {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Action": "s3:GetObject", "Resource": "arn:aws:s3:::bucket"}],
    }
    assert parliament.analyze_policy_string(json.dumps(document)).findings


def preview_props(props: dict) -> Mapping:
    """Properties as CrossGuard hands them to a policy in a preview: reading an unknown one raises."""
    return unknown_checking_proxy(deserialize_properties(props))


def test_a_value_unknown_in_a_preview_stops_only_the_rules_that_read_it():
    """The pack copied every property up front, so one unknown value anywhere (an ARN of a resource not yet
    created) made CrossGuard skip every policy on that resource, and every stack policy, in each preview."""
    reported = []
    by_name = {policy.name: policy for policy in pack.build_policies()}
    number = preview_props({"countryCode": "US", "targetArn": UNKNOWN_STRING_VALUE})
    by_name["phone-numbers-protected"].validate(
        validation_args("aws:connect/phoneNumber:PhoneNumber", "number", number),
        lambda message, urn: reported.append(message),
    )
    function = PolicyResource(
        "aws:lambda/function:Function",
        preview_props({"role": UNKNOWN_STRING_VALUE}),
        "urn:f",
        "f",
        engine_options(False),
        None,
        None,
        [],
        {},
    )
    bucket = PolicyResource(
        "aws:s3/bucket:Bucket", preview_props({"bucket": "b"}), "urn:b", "b", engine_options(False), None, None, [], {}
    )
    by_name["buckets-encrypted"].validate(
        StackValidationArgs([function, bucket]), lambda message, urn: reported.append(message)
    )
    assert reported == [
        "number: releasing a number starts a long cooldown; protect it",
        "b: no SSE-KMS default encryption",
    ]
    with pytest.raises(
        UnknownValueError
    ):  # a rule that needs the unknown value still cannot run, as CrossGuard expects
        rules.no_wildcard_actions(
            pack.view_of(
                validation_args("aws:iam/rolePolicy:RolePolicy", "p", preview_props({"policy": UNKNOWN_STRING_VALUE}))
            )
        )


def test_rules_read_values_the_engine_hands_over_as_objects():
    """CrossGuard hands nested objects and lists over as its own mappings and sequences, not dict and list."""
    queue = ResourceView(
        "aws:sqs/queue:Queue",
        "q",
        preview_props({"sqsManagedSseEnabled": True}),
        provider_inputs=preview_props({"defaultTags": {"tags": {"owner": "o", "environment": "e"}}}),
    )
    assert rules.required_tags(queue) == []
    wildcard = {"Statement": [{"Sid": "All", "Effect": "Allow", "Action": ["s3:*"], "Principal": {"AWS": ["*"]}}]}
    policy = ResourceView("aws:s3/bucketPolicy:BucketPolicy", "p", preview_props({"policy": wildcard, "bucket": "b"}))
    assert rules.no_wildcard_actions(policy) == ["p: Allow of s3:* (All)"]
    assert rules.buckets_private([policy]) == ["p: bucket policy allows everyone"]
