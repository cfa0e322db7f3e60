"""Customer-managed KMS keys, one per purpose and region, with rotation on."""

import pulumi
import pulumi_aws as aws


def regional_key(name: str, region: str, purpose: str, parent: pulumi.Resource) -> aws.kms.Key:
    """A symmetric key in `region` for `purpose`; the account root administers it and IAM grants use."""
    key = aws.kms.Key(
        name,
        region=region,
        description=f"connectdr: {purpose} ({region})",
        enable_key_rotation=True,
        deletion_window_in_days=30,
        opts=pulumi.ResourceOptions(parent=parent),
    )
    aws.kms.Alias(
        f"{name}-alias",
        name=f"alias/{name}",
        target_key_id=key.key_id,
        region=region,
        opts=pulumi.ResourceOptions(parent=parent),
    )
    return key
