"""Customer-managed KMS keys, one per purpose and region, with rotation on."""

import json
import re
from collections.abc import Sequence

import pulumi
import pulumi_aws as aws

ADMIN_ACTIONS = [
    "kms:CancelKeyDeletion",
    "kms:Create*",
    "kms:Delete*",
    "kms:Describe*",
    "kms:Disable*",
    "kms:Enable*",
    "kms:Get*",
    "kms:List*",
    "kms:Put*",
    "kms:Revoke*",
    "kms:ScheduleKeyDeletion",
    "kms:TagResource",
    "kms:UntagResource",
    "kms:Update*",
]
USE_ACTIONS = ["kms:Decrypt", "kms:DescribeKey", "kms:Encrypt", "kms:GenerateDataKey*", "kms:ReEncrypt*"]


def key_policy(account_id: str, service_principals: Sequence[str]) -> str:
    """The account administers and uses the key through IAM; the named services may use it directly."""
    root = f"arn:aws:iam::{account_id}:root"
    statements: list[dict[str, object]] = [
        {
            "Sid": "AccountAdministers",
            "Effect": "Allow",
            "Principal": {"AWS": root},
            "Action": ADMIN_ACTIONS,
            "Resource": "*",
        },
        {
            "Sid": "AccountUsesThroughIam",
            "Effect": "Allow",
            "Principal": {"AWS": root},
            "Action": USE_ACTIONS,
            "Resource": "*",
        },
    ]
    if service_principals:
        statements.append(
            {
                "Sid": "ServicesUseKey",
                "Effect": "Allow",
                "Principal": {"Service": sorted(service_principals)},
                "Action": ["kms:Decrypt", "kms:GenerateDataKey*"],
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
            }
        )
    return json.dumps({"Version": "2012-10-17", "Statement": statements})


def kms_alias_name(stack: str, name: str) -> str:
    """`alias/connectdr/<stack>/<name>`, with what a KMS alias cannot hold (a stack name may have '.') as '_'."""
    return "alias/connectdr/" + re.sub(r"[^A-Za-z0-9/_-]", "_", f"{stack}/{name}")


def regional_key(
    name: str, region: str, purpose: str, parent: pulumi.Resource, service_principals: Sequence[str] = ()
) -> aws.kms.Key:
    """A symmetric key in `region` for `purpose`, with an explicit key policy (no `kms:*`)."""
    account_id = aws.get_caller_identity_output().account_id
    key = aws.kms.Key(
        name,
        region=region,
        description=f"connectdr: {purpose} ({region})",
        enable_key_rotation=True,
        deletion_window_in_days=30,
        policy=account_id.apply(lambda account: key_policy(account, service_principals)),
        opts=pulumi.ResourceOptions(parent=parent),
    )
    aws.kms.Alias(
        f"{name}-alias",
        name=kms_alias_name(pulumi.get_stack(), name),
        target_key_id=key.key_id,
        region=region,
        opts=pulumi.ResourceOptions(parent=parent),
    )
    return key
