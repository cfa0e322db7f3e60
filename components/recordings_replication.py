"""RecordingsReplication: each region's recordings copied to the other (secondary stack, both buckets exist)."""

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.iam import Statement, assume_role_policy, policy_document


@dataclass(frozen=True)
class RecordingsSide:
    region: str
    bucket: pulumi.Input[str]
    key_arn: pulumi.Input[str]


@dataclass
class RecordingsReplicationArgs:
    first: RecordingsSide
    second: RecordingsSide


def _bucket_arn(bucket: pulumi.Input[str]) -> pulumi.Output[str]:
    return pulumi.Output.concat("arn:aws:s3:::", bucket)


class RecordingsReplication(pulumi.ComponentResource):
    """One IAM role for S3 replication and a replication rule on each bucket toward the other: SSE-KMS
    objects decrypted with the source region's key and re-encrypted with the destination's, delete markers
    replicated, replication time control on (15 minutes) with its metrics."""

    role_arn: pulumi.Output[str]

    def __init__(self, name: str, args: RecordingsReplicationArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("connectdr:data:RecordingsReplication", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        sides = (args.first, args.second)
        buckets = [_bucket_arn(side.bucket) for side in sides]
        objects = [bucket.apply(lambda arn: f"{arn}/*") for bucket in buckets]
        role = aws.iam.Role(f"{name}-role", assume_role_policy=assume_role_policy("s3.amazonaws.com"), opts=child)
        via_s3 = {"StringEquals": {"kms:ViaService": sorted(f"s3.{side.region}.amazonaws.com" for side in sides)}}
        aws.iam.RolePolicy(
            f"{name}-policy",
            role=role.id,
            policy=policy_document(
                [
                    Statement("ReadReplicationSetup", ["s3:GetReplicationConfiguration", "s3:ListBucket"], buckets),
                    Statement(
                        "ReadSourceVersions",
                        ["s3:GetObjectVersionAcl", "s3:GetObjectVersionForReplication", "s3:GetObjectVersionTagging"],
                        objects,
                    ),
                    Statement(
                        "WriteReplicas", ["s3:ReplicateDelete", "s3:ReplicateObject", "s3:ReplicateTags"], objects
                    ),
                    Statement("DecryptSource", ["kms:Decrypt"], [side.key_arn for side in sides], via_s3),
                    Statement(
                        "EncryptReplica",
                        ["kms:Encrypt", "kms:GenerateDataKey"],
                        [side.key_arn for side in sides],
                        via_s3,
                    ),
                ]
            ),
            opts=child,
        )
        for source, destination in ((args.first, args.second), (args.second, args.first)):
            aws.s3.BucketReplicationConfig(
                f"{name}-{source.region}-to-{destination.region}",
                bucket=source.bucket,
                role=role.arn,
                region=source.region,
                rules=[
                    aws.s3.BucketReplicationConfigRuleArgs(
                        id=f"to-{destination.region}",
                        status="Enabled",
                        priority=1,
                        filter=aws.s3.BucketReplicationConfigRuleFilterArgs(prefix=""),
                        delete_marker_replication=aws.s3.BucketReplicationConfigRuleDeleteMarkerReplicationArgs(
                            status="Enabled"
                        ),
                        source_selection_criteria=aws.s3.BucketReplicationConfigRuleSourceSelectionCriteriaArgs(
                            sse_kms_encrypted_objects=aws.s3.BucketReplicationConfigRuleSourceSelectionCriteriaSseKmsEncryptedObjectsArgs(
                                status="Enabled"
                            ),
                        ),
                        destination=aws.s3.BucketReplicationConfigRuleDestinationArgs(
                            bucket=_bucket_arn(destination.bucket),
                            encryption_configuration=aws.s3.BucketReplicationConfigRuleDestinationEncryptionConfigurationArgs(
                                replica_kms_key_id=destination.key_arn
                            ),
                            replication_time=aws.s3.BucketReplicationConfigRuleDestinationReplicationTimeArgs(
                                status="Enabled",
                                time=aws.s3.BucketReplicationConfigRuleDestinationReplicationTimeTimeArgs(minutes=15),
                            ),
                            metrics=aws.s3.BucketReplicationConfigRuleDestinationMetricsArgs(
                                status="Enabled",
                                event_threshold=aws.s3.BucketReplicationConfigRuleDestinationMetricsEventThresholdArgs(
                                    minutes=15
                                ),
                            ),
                        ),
                    )
                ],
                opts=child,
            )
        self.role_arn = role.arn
        self.register_outputs({"role_arn": self.role_arn})
