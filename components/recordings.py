"""Call recordings: a private, versioned, KMS-encrypted bucket per region, attached to the instance."""

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.encryption import regional_key
from components.region_context import RegionContext
from config.names import recordings_bucket_name
from config.operations import Recordings


def tls_only_policy(bucket_arn: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "DenyInsecureTransport",
                    "Effect": "Deny",
                    "Principal": "*",
                    "Action": "s3:*",
                    "Resource": [bucket_arn, f"{bucket_arn}/*"],
                    "Condition": {"Bool": {"aws:SecureTransport": "false"}},
                }
            ],
        }
    )


@dataclass
class RecordingsArgs:
    context: RegionContext
    lifecycle: Recordings


@dataclass(frozen=True)
class RecordingsResources:
    bucket: aws.s3.Bucket
    key: aws.kms.Key
    versioned_bucket_name: pulumi.Output[str]
    """The bucket's name, known only once versioning is on (what replication requires)."""


def build_recordings(name: str, args: RecordingsArgs, parent: pulumi.Resource) -> RecordingsResources:
    """Bucket with versioning (replication needs it), SSE-KMS with a bucket key, public access blocked,
    owner-enforced objects, TLS-only policy, Glacier then expiry, and the instance's CALL_RECORDINGS
    storage pointing at it. Replication between the regions is declared by the secondary stack, once
    both buckets exist."""
    child = pulumi.ResourceOptions(parent=parent)
    account = aws.get_caller_identity_output().account_id
    key = regional_key(f"{name}-key", args.context.region, "call recordings", parent)
    bucket_name = pulumi.Output.all(args.context.name_prefix, account).apply(
        lambda values: recordings_bucket_name(values[0], args.context.region, values[1])
    )
    bucket = aws.s3.Bucket(f"{name}-bucket", bucket=bucket_name, region=args.context.region, opts=child)
    versioning = aws.s3.BucketVersioning(
        f"{name}-versioning",
        bucket=bucket.bucket,
        versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(status="Enabled"),
        region=args.context.region,
        opts=child,
    )
    aws.s3.BucketServerSideEncryptionConfiguration(
        f"{name}-encryption",
        bucket=bucket.bucket,
        rules=[
            aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                apply_server_side_encryption_by_default=aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                    sse_algorithm="aws:kms", kms_master_key_id=key.arn
                ),
                bucket_key_enabled=True,
            )
        ],
        region=args.context.region,
        opts=child,
    )
    aws.s3.BucketPublicAccessBlock(
        f"{name}-public-access",
        bucket=bucket.bucket,
        block_public_acls=True,
        block_public_policy=True,
        ignore_public_acls=True,
        restrict_public_buckets=True,
        region=args.context.region,
        opts=child,
    )
    aws.s3.BucketOwnershipControls(
        f"{name}-ownership",
        bucket=bucket.bucket,
        rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"),
        region=args.context.region,
        opts=child,
    )
    aws.s3.BucketPolicy(
        f"{name}-tls-only",
        bucket=bucket.bucket,
        policy=bucket.arn.apply(tls_only_policy),
        region=args.context.region,
        opts=child,
    )
    lifecycle = args.lifecycle
    aws.s3.BucketLifecycleConfiguration(
        f"{name}-lifecycle",
        bucket=bucket.bucket,
        rules=[
            aws.s3.BucketLifecycleConfigurationRuleArgs(
                id="glacier-then-expire",
                status="Enabled",
                filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
                transitions=[
                    aws.s3.BucketLifecycleConfigurationRuleTransitionArgs(
                        days=lifecycle.glacier_after_days, storage_class="GLACIER"
                    )
                ],
                expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(days=lifecycle.expire_after_days),
                noncurrent_version_expiration=aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
                    noncurrent_days=7
                ),
                abort_incomplete_multipart_upload=aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
                    days_after_initiation=7
                ),
            )
        ],
        region=args.context.region,
        opts=child,
    )
    aws.connect.InstanceStorageConfig(
        f"{name}-storage",
        instance_id=args.context.instance_id,
        resource_type="CALL_RECORDINGS",
        storage_config=aws.connect.InstanceStorageConfigStorageConfigArgs(
            storage_type="S3",
            s3_config=aws.connect.InstanceStorageConfigStorageConfigS3ConfigArgs(
                bucket_name=bucket.bucket,
                bucket_prefix="recordings",
                encryption_config=aws.connect.InstanceStorageConfigStorageConfigS3ConfigEncryptionConfigArgs(
                    encryption_type="KMS", key_id=key.arn
                ),
            ),
        ),
        region=args.context.region,
        opts=child,
    )
    return RecordingsResources(bucket=bucket, key=key, versioned_bucket_name=versioning.bucket)
