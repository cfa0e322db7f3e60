"""Data sync in both stacks' programs: global tables, streams, storage configs, the consumer and its scope."""

import json

import pytest
from conftest import only

from deploy.render import plain

STACKS = {"primary": ("us-east-1", "us-west-2"), "secondary": ("us-west-2", "us-east-1")}


def test_global_tables_have_protected_encrypted_replicas(primary, secondary):
    declared = [t for t in primary.of_type("aws:dynamodb/table:Table") if "dead-letter-ledger" not in t.name]
    tables = {t.inputs["name"].rsplit("-", 1)[-1]: t for t in declared}
    assert sorted(tables) == ["agent_state", "config", "contacts", "customers"]
    keys = {
        k.inputs["region"]: k for k in primary.of_type("aws:kms/key:Key") if "global tables" in k.inputs["description"]
    }
    for synced, key in (("agent_state", "agentId"), ("contacts", "contactId")):
        assert (tables[synced].inputs["hashKey"], tables[synced].inputs["rangeKey"]) == (key, "writerRegion")
    for table in tables.values():
        inputs = table.inputs
        assert inputs["billingMode"] == "PAY_PER_REQUEST"
        assert inputs["streamEnabled"] and inputs["streamViewType"] == "NEW_AND_OLD_IMAGES"
        assert inputs["pointInTimeRecovery"]["enabled"] and inputs["deletionProtectionEnabled"]
        assert inputs["serverSideEncryption"] == {"enabled": True, "kmsKeyArn": keys["us-east-1"].outputs["arn"]}
        (replica,) = inputs["replicas"]
        assert replica["regionName"] == "us-west-2"
        assert replica["kmsKeyArn"] == keys["us-west-2"].outputs["arn"]
        assert replica["pointInTimeRecovery"] and replica["deletionProtectionEnabled"]
    assert [t.name for t in secondary.of_type("aws:dynamodb/table:Table")] == ["data-plane-sync-dead-letter-ledger"]


@pytest.mark.parametrize("stack", STACKS)
def test_streams_are_kms_encrypted_and_attached_to_this_regions_instance(request, stack, primary):
    plan = request.getfixturevalue(stack)
    region, _ = STACKS[stack]
    streams = plan.of_type("aws:kinesis/stream:Stream")
    assert len(streams) == 2
    assert all(s.inputs["encryptionType"] == "KMS" and s.inputs["region"] == region for s in streams)
    configs = {
        c.inputs["resourceType"]: c for c in plan.of_type("aws:connect/instanceStorageConfig:InstanceStorageConfig")
    }
    assert {"CONTACT_TRACE_RECORDS", "AGENT_EVENTS"} <= set(configs)
    stream_arns = {s.outputs["arn"] for s in streams}
    for resource_type in ("CONTACT_TRACE_RECORDS", "AGENT_EVENTS"):
        config = configs[resource_type].inputs
        assert config["instanceId"] == primary.outputs["instanceId"]
        assert config["region"] == region
        assert config["storageConfig"]["kinesisStreamConfig"]["streamArn"] in stream_arns


@pytest.mark.parametrize("stack", STACKS)
def test_mappings_batch_within_a_second_and_fail_safely(request, stack):
    plan = request.getfixturevalue(stack)
    queue = only([q for q in plan.of_type("aws:sqs/queue:Queue") if "dead-letters" in q.name])
    for mapping in plan.of_type("aws:lambda/eventSourceMapping:EventSourceMapping"):
        inputs = mapping.inputs
        assert inputs["maximumBatchingWindowInSeconds"] <= 1
        assert inputs["bisectBatchOnFunctionError"] is True
        assert 0 <= inputs["maximumRetryAttempts"] <= 10
        assert 60 <= inputs["maximumRecordAgeInSeconds"] <= 604800
        assert inputs["functionResponseTypes"] == ["ReportBatchItemFailures"]
        assert inputs["destinationConfig"]["onFailure"]["destinationArn"] == queue.outputs["arn"]


def _policy(plan, role_fragment: str) -> dict[str, dict]:
    policy = only([p for p in plan.of_type("aws:iam/rolePolicy:RolePolicy") if role_fragment in p.name])
    return {s["Sid"]: s for s in json.loads(plain(policy.inputs["policy"]))["Statement"]}


@pytest.mark.parametrize("stack", STACKS)
def test_consumer_permissions_name_exact_resources(request, stack):
    plan = request.getfixturevalue(stack)
    region, _ = STACKS[stack]
    statements = _policy(plan, "sync-consumer")
    streams = sorted(s.outputs["arn"] for s in plan.of_type("aws:kinesis/stream:Stream"))
    assert statements["ReadConnectStreams"]["Resource"] == streams
    assert statements["WriteSyncedTables"]["Resource"] == [
        f"arn:aws:dynamodb:{region}:123456789012:table/connectdr-acme-care-agent_state",
        f"arn:aws:dynamodb:{region}:123456789012:table/connectdr-acme-care-contacts",
    ]
    assert statements["WriteSyncedTables"]["Action"] == ["dynamodb:PutItem"], "conditional puts, nothing else"
    ledger = only([t for t in plan.of_type("aws:dynamodb/table:Table") if "dead-letter-ledger" in t.name])
    assert statements["DeadLetterLedger"]["Resource"] == [ledger.outputs["arn"]]
    assert statements["UseTableKey"]["Condition"] == {
        "StringEquals": {"kms:ViaService": f"dynamodb.{region}.amazonaws.com"}
    }
    for statement in statements.values():
        assert all(action != "*" and not action.endswith(":*") for action in statement["Action"])
        assert all(resource != "*" for resource in statement["Resource"])


@pytest.mark.parametrize("stack", STACKS)
def test_lag_alarms_watch_iterator_age_and_replication_to_the_other_region(request, stack):
    plan = request.getfixturevalue(stack)
    _, other = STACKS[stack]
    alarms = plan.of_type("aws:cloudwatch/metricAlarm:MetricAlarm")
    iterator = only([a for a in alarms if a.inputs.get("metricName") == "IteratorAge"])
    assert iterator.inputs["threshold"] == 60_000
    replication = [a for a in alarms if a.inputs.get("metricName") == "ReplicationLatency"]
    assert len(replication) == 4
    assert {a.inputs["dimensions"]["ReceivingRegion"] for a in replication} == {other}
    topic = only(plan.of_type("aws:sns/topic:Topic"))
    assert all(a.inputs["alarmActions"] == [topic.outputs["arn"]] for a in [iterator, *replication])


@pytest.mark.parametrize("stack", STACKS)
def test_the_dead_letter_ledger_is_regional_encrypted_and_expires(request, stack):
    plan = request.getfixturevalue(stack)
    region, _ = STACKS[stack]
    ledger = only([t for t in plan.of_type("aws:dynamodb/table:Table") if "dead-letter-ledger" in t.name])
    assert ledger.inputs["region"] == region and not ledger.inputs.get("replicas")
    assert ledger.inputs["hashKey"] == "record"
    assert ledger.inputs["ttl"] == {"attributeName": "expiresAt", "enabled": True}
    assert ledger.inputs["serverSideEncryption"]["enabled"] and ledger.inputs["serverSideEncryption"]["kmsKeyArn"]
    consumer = plan.named("data-plane-sync-consumer")
    assert consumer.inputs["environment"]["variables"]["DEAD_LETTER_LEDGER_TABLE"] == ledger.outputs["name"]


def test_lambda_archives_hold_only_python_sources(primary):
    for function in primary.of_type("aws:lambda/function:Function"):
        assets = function.inputs["code"].assets
        assert assets and all(name.endswith(".py") for name in assets), function.name
        assert "handler.py" in assets
