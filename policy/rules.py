"""The product's guardrails as plain functions over resources, shared by the CrossGuard pack and the tests.

Each rule takes what the engine knows about a resource (or the whole stack) and returns violations as
sentences; an empty list means the rule holds. Objects and lists may be CrossGuard's own mappings and
sequences, so the rules ask for Mapping and Sequence, never dict and list.
"""

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

REQUIRED_TAG_KEYS = ("owner", "environment")
SECRET_INPUTS = {
    "aws:ec2/vpnConnection:VpnConnection": ("tunnel1PresharedKey", "tunnel2PresharedKey"),
    "gcp:compute/vPNTunnel:VPNTunnel": ("sharedSecret",),
}
POLICY_INPUTS = {
    "aws:iam/rolePolicy:RolePolicy": "policy",
    "aws:iam/policy:Policy": "policy",
    "aws:s3/bucketPolicy:BucketPolicy": "policy",
    "aws:sns/topicPolicy:TopicPolicy": "policy",
    "aws:sqs/queuePolicy:QueuePolicy": "policy",
    "aws:kms/key:Key": "policy",
}
BUCKET = "aws:s3/bucket:Bucket"


@dataclass(frozen=True)
class ResourceView:
    """A resource as a rule sees it. `secret_inputs` is None where secretness is not known."""

    type: str
    name: str
    inputs: Mapping[str, Any]
    protect: bool = False
    secret_inputs: frozenset[str] | None = None
    provider_inputs: Mapping[str, Any] | None = None


def _json(value: Any) -> Any:
    if isinstance(value, str):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def _listed(value: Any) -> Sequence[Any]:
    return value if isinstance(value, Sequence) and not isinstance(value, str) else [value]


def encryption_at_rest(resource: ResourceView) -> list[str]:
    inputs, name = resource.inputs, resource.name
    if resource.type == "aws:dynamodb/table:Table":
        sse = inputs.get("serverSideEncryption") or {}
        problems = (
            [] if sse.get("enabled") and sse.get("kmsKeyArn") else [f"{name}: table not encrypted with a customer key"]
        )
        problems += [
            f"{name}: replica in {replica.get('regionName')} has no KMS key"
            for replica in inputs.get("replicas") or []
            if not replica.get("kmsKeyArn")
        ]
        return problems
    if resource.type == "aws:kinesis/stream:Stream" and inputs.get("encryptionType") != "KMS":
        return [f"{name}: stream not KMS-encrypted"]
    if resource.type == "aws:sqs/queue:Queue" and not (
        inputs.get("sqsManagedSseEnabled") or inputs.get("kmsMasterKeyId")
    ):
        return [f"{name}: queue not encrypted"]
    if resource.type == "aws:sns/topic:Topic" and not inputs.get("kmsMasterKeyId"):
        return [f"{name}: topic not encrypted"]
    if resource.type == "aws:kms/key:Key" and not inputs.get("enableKeyRotation"):
        return [f"{name}: key rotation off"]
    return []


def no_wildcard_actions(resource: ResourceView) -> list[str]:
    field = POLICY_INPUTS.get(resource.type)
    document = _json(resource.inputs.get(field)) if field else None
    if not isinstance(document, Mapping):
        return []
    problems = []
    for statement in _listed(document.get("Statement", [])):
        if statement.get("Effect") != "Allow":
            continue
        if "NotAction" in statement:
            problems.append(f"{resource.name}: Allow with NotAction ({statement.get('Sid', 'no Sid')})")
        wild = [a for a in _listed(statement.get("Action", [])) if a == "*" or str(a).endswith(":*")]
        if wild:
            problems.append(f"{resource.name}: Allow of {', '.join(wild)} ({statement.get('Sid', 'no Sid')})")
    return problems


def phone_numbers_protected(resource: ResourceView) -> list[str]:
    """`protect`, not retain_on_delete: CrossGuard's PolicyResourceOptions carries only `protect`, so that is
    what the pack can check at preview time (and a destroy must stop and ask, not silently keep a number)."""
    if resource.type == "aws:connect/phoneNumber:PhoneNumber" and not resource.protect:
        return [f"{resource.name}: releasing a number starts a long cooldown; protect it"]
    return []


def secrets_not_plain(resource: ResourceView) -> list[str]:
    if resource.secret_inputs is None:
        return []
    return [
        f"{resource.name}: {field} is not a secret"
        for field in SECRET_INPUTS.get(resource.type, ())
        if resource.inputs.get(field) is not None and field not in resource.secret_inputs
    ]


def _tags(value: Any) -> dict[str, Any]:
    value = _json(value) or {}
    return value.get("tags", value) if isinstance(value, Mapping) else {}


def required_tags(resource: ResourceView) -> list[str]:
    """Tags come from the providers' defaults (AWS default tags, GCP default labels)."""
    if resource.type == "pulumi:providers:aws":
        present = _tags(resource.inputs.get("defaultTags"))
    elif resource.type == "pulumi:providers:gcp":
        present = _json(resource.inputs.get("defaultLabels")) or {}
    elif resource.type.startswith("aws:") and resource.provider_inputs is not None:
        present = {**_tags(resource.provider_inputs.get("defaultTags")), **(_json(resource.inputs.get("tags")) or {})}
    else:
        return []
    missing = [key for key in REQUIRED_TAG_KEYS if not present.get(key)]
    return [f"{resource.name}: missing tags {', '.join(missing)}"] if missing else []


def _by_bucket(resources: Iterable[ResourceView], type_token: str) -> dict[str, list[ResourceView]]:
    found: dict[str, list[ResourceView]] = {}
    for resource in resources:
        if resource.type == type_token:
            found.setdefault(str(resource.inputs.get("bucket")), []).append(resource)
    return found


def buckets_encrypted(resources: list[ResourceView]) -> list[str]:
    configs = _by_bucket(
        resources, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    )
    problems = []
    for bucket in (r for r in resources if r.type == BUCKET):
        rules = [
            rule
            for config in configs.get(str(bucket.inputs.get("bucket")), [])
            for rule in config.inputs.get("rules") or []
        ]
        algorithms = {(rule.get("applyServerSideEncryptionByDefault") or {}).get("sseAlgorithm") for rule in rules}
        if "aws:kms" not in algorithms:
            problems.append(f"{bucket.name}: no SSE-KMS default encryption")
    return problems


def buckets_private(resources: list[ResourceView]) -> list[str]:
    blocks = _by_bucket(resources, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")
    flags = ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    problems = []
    for bucket in (r for r in resources if r.type == BUCKET):
        block = blocks.get(str(bucket.inputs.get("bucket")), [])
        if not block or not all(block[0].inputs.get(flag) for flag in flags):
            problems.append(f"{bucket.name}: public access not fully blocked")
    for policy in (r for r in resources if r.type == "aws:s3/bucketPolicy:BucketPolicy"):
        document = _json(policy.inputs.get("policy"))
        for statement in _listed(document.get("Statement", [])) if isinstance(document, Mapping) else []:
            principal = statement.get("Principal")
            public = principal == "*" or (isinstance(principal, Mapping) and "*" in _listed(principal.get("AWS", [])))
            if statement.get("Effect") == "Allow" and public:
                problems.append(f"{policy.name}: bucket policy allows everyone")
    return problems


ResourceRule = Callable[[ResourceView], list[str]]
StackRule = Callable[[list[ResourceView]], list[str]]
RESOURCE_RULES: dict[str, tuple[str, ResourceRule]] = {
    "encryption-at-rest": ("Tables, streams, queues, topics and keys are encrypted at rest", encryption_at_rest),
    "no-wildcard-actions": ("No IAM or resource policy allows `*` or `service:*` actions", no_wildcard_actions),
    "phone-numbers-protected": ("Claimed phone numbers are protected from destroy", phone_numbers_protected),
    "secrets-not-plain": ("Pre-shared keys reach resources only as secrets", secrets_not_plain),
    "required-tags": ("Resources carry the owner and environment tags", required_tags),
}
STACK_RULES: dict[str, tuple[str, StackRule]] = {
    "buckets-encrypted": ("Every bucket has SSE-KMS default encryption", buckets_encrypted),
    "buckets-private": ("Every bucket blocks public access and no policy opens it", buckets_private),
}


def check_stack(resources: list[ResourceView]) -> dict[str, list[str]]:
    """Every rule over every resource; rule name -> violations."""
    found = {name: [v for r in resources for v in rule(r)] for name, (_, rule) in RESOURCE_RULES.items()}
    found |= {name: rule(resources) for name, (_, rule) in STACK_RULES.items()}
    return found
