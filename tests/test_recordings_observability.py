"""Call recordings (buckets, lifecycle, storage config, two-way replication) and the two-region dashboard."""

import json

import pytest
from conftest import only

from deploy.render import plain

STACKS = {"primary": ("us-east-1", "us-west-2"), "secondary": ("us-west-2", "us-east-1")}


def by_bucket(plan, type_token):
    return {r.inputs["bucket"]: r for r in plan.of_type(type_token)}


@pytest.mark.parametrize("stack", STACKS)
def test_recordings_bucket_is_private_versioned_encrypted_and_expires(request, stack):
    plan = request.getfixturevalue(stack)
    region, _ = STACKS[stack]
    bucket = only(plan.of_type("aws:s3/bucket:Bucket"))
    name = bucket.inputs["bucket"]
    assert name == f"connectdr-acme-care-rec-{region}-123456789012" and len(name) <= 63
    versioning = by_bucket(plan, "aws:s3/bucketVersioning:BucketVersioning")[name]
    assert versioning.inputs["versioningConfiguration"]["status"] == "Enabled"
    (rule,) = by_bucket(plan, "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration")[
        name
    ].inputs["rules"]
    key = only([k for k in plan.of_type("aws:kms/key:Key") if "call recordings" in k.inputs["description"]])
    assert rule["applyServerSideEncryptionByDefault"] == {
        "sseAlgorithm": "aws:kms",
        "kmsMasterKeyId": key.outputs["arn"],
    }
    block = by_bucket(plan, "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")[name].inputs
    assert all(
        block[flag] for flag in ("blockPublicAcls", "blockPublicPolicy", "ignorePublicAcls", "restrictPublicBuckets")
    )
    policy = json.loads(by_bucket(plan, "aws:s3/bucketPolicy:BucketPolicy")[name].inputs["policy"])
    (deny,) = policy["Statement"]
    assert deny["Effect"] == "Deny" and deny["Condition"] == {"Bool": {"aws:SecureTransport": "false"}}
    (lifecycle,) = by_bucket(plan, "aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration")[name].inputs[
        "rules"
    ]
    assert lifecycle["transitions"] == [{"days": 30, "storageClass": "GLACIER"}]
    assert lifecycle["expiration"]["days"] == 90


@pytest.mark.parametrize("stack", STACKS)
def test_recordings_are_the_instances_call_recordings_storage(request, stack, primary):
    plan = request.getfixturevalue(stack)
    storage = only(
        [
            c
            for c in plan.of_type("aws:connect/instanceStorageConfig:InstanceStorageConfig")
            if c.inputs["resourceType"] == "CALL_RECORDINGS"
        ]
    )
    s3 = storage.inputs["storageConfig"]["s3Config"]
    assert storage.inputs["instanceId"] == primary.outputs["instanceId"]
    assert s3["bucketName"] == only(plan.of_type("aws:s3/bucket:Bucket")).inputs["bucket"]
    assert s3["encryptionConfig"]["encryptionType"] == "KMS"


def test_the_secondary_replicates_recordings_both_ways(primary, secondary):
    rules = {r.inputs["region"]: r for r in secondary.of_type("aws:s3/bucketReplicationConfig:BucketReplicationConfig")}
    assert sorted(rules) == ["us-east-1", "us-west-2"]
    buckets = {
        "us-east-1": primary.outputs["recordingsBucket"],
        "us-west-2": only(secondary.of_type("aws:s3/bucket:Bucket")).inputs["bucket"],
    }
    for source, destination in (("us-east-1", "us-west-2"), ("us-west-2", "us-east-1")):
        config = rules[source].inputs
        assert config["bucket"] == buckets[source]
        (rule,) = config["rules"]
        assert rule["destination"]["bucket"] == f"arn:aws:s3:::{buckets[destination]}"
        assert rule["sourceSelectionCriteria"]["sseKmsEncryptedObjects"]["status"] == "Enabled"
        assert rule["destination"]["encryptionConfiguration"]["replicaKmsKeyId"].startswith(
            f"arn:aws:kms:{destination}:"
        )
    assert primary.of_type("aws:s3/bucketReplicationConfig:BucketReplicationConfig") == []
    role_policy = json.loads(plain(secondary.named("recordings-replication-policy").inputs["policy"]))
    replicate = next(s for s in role_policy["Statement"] if s["Sid"] == "WriteReplicas")
    assert replicate["Resource"] == sorted(f"arn:aws:s3:::{b}/*" for b in buckets.values())


@pytest.mark.parametrize("stack", STACKS)
def test_dashboard_shows_both_regions(request, stack):
    plan = request.getfixturevalue(stack)
    region, other = STACKS[stack]
    dashboard = only(plan.of_type("aws:cloudwatch/dashboard:Dashboard"))
    assert dashboard.inputs["region"] == region
    widgets = json.loads(dashboard.inputs["dashboardBody"])["widgets"]
    regions = {w["properties"].get("region") for w in widgets if w["type"] == "metric"}
    assert regions == {region, other}
    titles = " | ".join(w["properties"]["title"] for w in widgets)
    for topic in (
        "calls and concurrency",
        "contact flow errors",
        "queue wait",
        "iterator age",
        "replication latency",
        "controller decisions",
    ):
        assert topic in titles
    alarms = next(w for w in widgets if w["type"] == "alarm")["properties"]["alarms"]
    assert sorted(alarms) == sorted(
        f"arn:aws:cloudwatch:{r}:123456789012:alarm:connectdr-acme-care-region-health" for r in (region, other)
    )


@pytest.mark.parametrize("stack", STACKS)
def test_every_alarm_notifies_the_alert_topic(request, stack):
    plan = request.getfixturevalue(stack)
    topic = only(plan.of_type("aws:sns/topic:Topic")).outputs["arn"]
    alarms = plan.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
    notifying = [a for a in alarms if a.inputs.get("alarmActions") == [topic]]
    health = only(plan.of_type("aws:cloudwatch/compositeAlarm:CompositeAlarm"))
    health_children = [a for a in alarms if f'ALARM("{a.outputs["name"]}")' in health.inputs["alarmRule"]]
    assert health_children, "the region-health rule names its child alarms"
    assert len(notifying) + len(health_children) == len(alarms)
    assert health.inputs["alarmActions"] == [topic]
