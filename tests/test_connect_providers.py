"""The dynamic providers against botocore's Stubber: CRUD, waiting, timeouts, failures, throttling, pickling."""

import base64

import dill
import pytest
from botocore.stub import ANY
from connect_stubs import DEFAULT_TDG_ID, INSTANCE_ID, TDG_ID, instance_arn, stubbed, tdg_arn
from pulumi.dynamic.dynamic import serialize_provider

from connect.providers.calls import ProviderError
from connect.providers.cross_region_routing import CrossRegionRoutingProvider
from connect.providers.replica_instance import ReplicaInstanceProvider
from connect.providers.traffic_distribution_group import TrafficDistributionGroupProvider
from connect.providers.traffic_distribution_group_user import TrafficDistributionGroupUserProvider

SOURCE, REPLICA = "us-east-1", "us-west-2"
REPLICA_PROPS = {
    "instance_id": INSTANCE_ID,
    "source_region": SOURCE,
    "replica_region": REPLICA,
    "replica_alias": "acme-care-replica",
    "timeout_seconds": 600,
    "poll_seconds": 5,
}
TDG_PROPS = {
    "name": "vip-lines",
    "instance_arn": instance_arn(SOURCE),
    "region": SOURCE,
    "description": "connectdr traffic group vip-lines",
    "timeout_seconds": 60,
    "poll_seconds": 2,
}


def describe_instance_response(status: str | None, reason: str = "") -> dict:
    summaries = (
        [] if status is None else [{"Region": REPLICA, "ReplicationStatus": status, "ReplicationStatusReason": reason}]
    )
    return {
        "Instance": {"Id": INSTANCE_ID, "Arn": instance_arn(SOURCE), "InstanceStatus": "ACTIVE"},
        "ReplicationConfiguration": {"ReplicationStatusSummaryList": summaries, "SourceRegion": SOURCE},
    }


def expect_describe(stubs, status: str | None, reason: str = "") -> None:
    stubs[SOURCE].add_response(
        "describe_instance", describe_instance_response(status, reason), {"InstanceId": INSTANCE_ID}
    )


def expect_default_group(stubs) -> None:
    stubs[SOURCE].add_response(
        "list_traffic_distribution_groups",
        {
            "NextToken": "page-2",
            "TrafficDistributionGroupSummaryList": [
                {"Id": TDG_ID, "Arn": tdg_arn(SOURCE), "Name": "vip-lines", "Status": "ACTIVE", "IsDefault": False}
            ],
        },
        {"InstanceId": INSTANCE_ID, "MaxResults": 10},
    )
    stubs[SOURCE].add_response(
        "list_traffic_distribution_groups",
        {
            "TrafficDistributionGroupSummaryList": [
                {
                    "Id": DEFAULT_TDG_ID,
                    "Arn": tdg_arn(SOURCE, DEFAULT_TDG_ID),
                    "Name": "default",
                    "Status": "ACTIVE",
                    "IsDefault": True,
                }
            ]
        },
        {"InstanceId": INSTANCE_ID, "MaxResults": 10, "NextToken": "page-2"},
    )


def test_replica_create_waits_for_complete_then_finds_the_default_group(monkeypatch):
    with stubbed(monkeypatch) as stubs:
        stubs[SOURCE].add_response(
            "replicate_instance",
            {"Id": INSTANCE_ID, "Arn": instance_arn(REPLICA)},
            {
                "InstanceId": INSTANCE_ID,
                "ReplicaRegion": REPLICA,
                "ReplicaAlias": "acme-care-replica",
                "ClientToken": ANY,
            },
        )
        expect_describe(stubs, "RESOURCE_REPLICATION_NOT_STARTED")
        expect_describe(stubs, "INSTANCE_REPLICATION_IN_PROGRESS")
        expect_describe(stubs, "INSTANCE_REPLICATION_COMPLETE")
        expect_default_group(stubs)
        result = ReplicaInstanceProvider().create(dict(REPLICA_PROPS))
    assert result.id == instance_arn(REPLICA)
    assert result.outs["replica_arn"] == instance_arn(REPLICA)
    assert result.outs["default_tdg_arn"] == tdg_arn(SOURCE, DEFAULT_TDG_ID)
    assert result.outs["replication_status"] == "INSTANCE_REPLICATION_COMPLETE"
    assert stubs.sleeps == [5, 5]


def test_replica_client_token_is_stable_across_retries_of_the_same_create(monkeypatch):
    tokens = []
    for _ in range(2):
        with stubbed(monkeypatch) as stubs:
            stubs[SOURCE].add_response("replicate_instance", {"Id": INSTANCE_ID, "Arn": instance_arn(REPLICA)})
            stubs[SOURCE].add_client_error("describe_instance", "InvalidRequestException", "stop here")
            client = stubs.clients[SOURCE]
            client.meta.events.register(
                "provide-client-params.connect.ReplicateInstance",
                lambda params, **_: tokens.append(params["ClientToken"]),
            )
            with pytest.raises(Exception, match="stop here"):
                ReplicaInstanceProvider().create(dict(REPLICA_PROPS))
    assert tokens[0] == tokens[1]


def test_replica_failure_status_is_a_clear_error(monkeypatch):
    with stubbed(monkeypatch) as stubs:
        stubs[SOURCE].add_response("replicate_instance", {"Id": INSTANCE_ID, "Arn": instance_arn(REPLICA)})
        expect_describe(stubs, "INSTANCE_REPLICATION_IN_PROGRESS")
        expect_describe(stubs, "INSTANCE_REPLICATION_FAILED", "Instance is not allow-listed")
        with pytest.raises(
            ProviderError,
            match="replication to us-west-2 failed: INSTANCE_REPLICATION_FAILED: Instance is not allow-listed",
        ):
            ReplicaInstanceProvider().create(dict(REPLICA_PROPS))


def test_replica_wait_is_bounded(monkeypatch):
    with stubbed(monkeypatch) as stubs:
        stubs[SOURCE].add_response("replicate_instance", {"Id": INSTANCE_ID, "Arn": instance_arn(REPLICA)})
        expect_describe(stubs, "INSTANCE_REPLICATION_IN_PROGRESS")
        with pytest.raises(
            ProviderError, match=r"timed out after 0s waiting for replica of .* to reach INSTANCE_REPLICATION_COMPLETE"
        ):
            ReplicaInstanceProvider().create({**REPLICA_PROPS, "timeout_seconds": 0})


def test_throttling_is_retried_with_backoff(monkeypatch):
    with stubbed(monkeypatch) as stubs:
        stubs[SOURCE].add_client_error("replicate_instance", "TooManyRequestsException", "slow down", 429)
        stubs[SOURCE].add_client_error("replicate_instance", "ThrottlingException", "slow down", 429)
        stubs[SOURCE].add_response("replicate_instance", {"Id": INSTANCE_ID, "Arn": instance_arn(REPLICA)})
        expect_describe(stubs, "INSTANCE_REPLICATION_COMPLETE")
        expect_default_group(stubs)
        ReplicaInstanceProvider().create(dict(REPLICA_PROPS))
    assert stubs.sleeps == [0.5, 1.0]


def test_other_errors_are_not_retried(monkeypatch):
    with stubbed(monkeypatch) as stubs:
        stubs[SOURCE].add_client_error("replicate_instance", "InvalidRequestException", "instance is not SAML")
        with pytest.raises(Exception, match="instance is not SAML"):
            ReplicaInstanceProvider().create(dict(REPLICA_PROPS))
    assert stubs.sleeps == []


def test_replica_delete_calls_the_replica_region_and_waits_until_gone(monkeypatch):
    with stubbed(monkeypatch) as stubs:
        stubs[REPLICA].add_response("delete_instance", {}, {"InstanceId": instance_arn(REPLICA)})
        expect_describe(stubs, "INSTANCE_REPLICA_DELETING")
        expect_describe(stubs, None)
        ReplicaInstanceProvider().delete(instance_arn(REPLICA), dict(REPLICA_PROPS))
    assert stubs.sleeps == [5]


def test_replica_delete_failure_is_reported(monkeypatch):
    with stubbed(monkeypatch) as stubs:
        stubs[REPLICA].add_response("delete_instance", {}, {"InstanceId": instance_arn(REPLICA)})
        expect_describe(stubs, "INSTANCE_REPLICATION_DELETION_FAILED", "numbers still claimed")
        with pytest.raises(ProviderError, match="deleting the replica failed: numbers still claimed"):
            ReplicaInstanceProvider().delete(instance_arn(REPLICA), dict(REPLICA_PROPS))


def test_replica_read_reports_a_vanished_replica(monkeypatch):
    with stubbed(monkeypatch) as stubs:
        expect_describe(stubs, "INSTANCE_REPLICATION_COMPLETE")
        expect_describe(stubs, None)
        present = ReplicaInstanceProvider().read(instance_arn(REPLICA), dict(REPLICA_PROPS))
        gone = ReplicaInstanceProvider().read(instance_arn(REPLICA), dict(REPLICA_PROPS))
    assert present.id == instance_arn(REPLICA)
    assert present.outs["replication_status"] == "INSTANCE_REPLICATION_COMPLETE"
    assert gone.id is None


def test_replica_diff_replaces_on_identity_and_updates_on_tuning():
    provider = ReplicaInstanceProvider()
    alias = provider.diff("id", REPLICA_PROPS, {**REPLICA_PROPS, "replica_alias": "other"})
    assert alias.changes and alias.replaces == ["replica_alias"] and alias.delete_before_replace
    tuning = provider.diff("id", REPLICA_PROPS, {**REPLICA_PROPS, "timeout_seconds": 900})
    assert tuning.changes and tuning.replaces == []
    same = provider.diff("id", {**REPLICA_PROPS, "replica_arn": "x"}, dict(REPLICA_PROPS))
    assert not same.changes


def test_replica_check_rejects_a_same_region_replica():
    result = ReplicaInstanceProvider().check({}, {**REPLICA_PROPS, "replica_region": SOURCE})
    assert [(f.property, f.reason) for f in result.failures] == [("replica_region", "must differ from source_region")]


def group(status: str, is_default: bool = False) -> dict:
    return {
        "TrafficDistributionGroup": {
            "Id": TDG_ID,
            "Arn": tdg_arn(SOURCE),
            "Name": "vip-lines",
            "InstanceArn": instance_arn(SOURCE),
            "Status": status,
            "IsDefault": is_default,
        }
    }


def test_tdg_create_waits_for_active(monkeypatch):
    with stubbed(monkeypatch) as stubs:
        stubs[SOURCE].add_response(
            "create_traffic_distribution_group",
            {"Id": TDG_ID, "Arn": tdg_arn(SOURCE)},
            {
                "Name": "vip-lines",
                "InstanceId": instance_arn(SOURCE),
                "Description": TDG_PROPS["description"],
                "ClientToken": ANY,
            },
        )
        for status in ("CREATION_IN_PROGRESS", "ACTIVE"):
            stubs[SOURCE].add_response(
                "describe_traffic_distribution_group", group(status), {"TrafficDistributionGroupId": TDG_ID}
            )
        result = TrafficDistributionGroupProvider().create(dict(TDG_PROPS))
    assert (result.id, result.outs["arn"], result.outs["status"]) == (TDG_ID, tdg_arn(SOURCE), "ACTIVE")
    assert stubs.sleeps == [2]


def test_tdg_creation_failure_is_reported(monkeypatch):
    with stubbed(monkeypatch) as stubs:
        stubs[SOURCE].add_response("create_traffic_distribution_group", {"Id": TDG_ID, "Arn": tdg_arn(SOURCE)})
        stubs[SOURCE].add_response("describe_traffic_distribution_group", group("CREATION_FAILED"))
        with pytest.raises(ProviderError, match="traffic distribution group vip-lines is CREATION_FAILED"):
            TrafficDistributionGroupProvider().create(dict(TDG_PROPS))


def test_tdg_delete_waits_until_not_found(monkeypatch):
    with stubbed(monkeypatch) as stubs:
        stubs[SOURCE].add_response("describe_traffic_distribution_group", group("ACTIVE"))
        stubs[SOURCE].add_response("delete_traffic_distribution_group", {}, {"TrafficDistributionGroupId": TDG_ID})
        stubs[SOURCE].add_response("describe_traffic_distribution_group", group("PENDING_DELETION"))
        stubs[SOURCE].add_client_error("describe_traffic_distribution_group", "ResourceNotFoundException", "gone", 404)
        TrafficDistributionGroupProvider().delete(TDG_ID, dict(TDG_PROPS))


def test_tdg_delete_refuses_the_default_group(monkeypatch):
    with stubbed(monkeypatch) as stubs:
        stubs[SOURCE].add_response("describe_traffic_distribution_group", group("ACTIVE", is_default=True))
        with pytest.raises(ProviderError, match="is the default traffic distribution group and cannot be deleted"):
            TrafficDistributionGroupProvider().delete(TDG_ID, dict(TDG_PROPS))


def test_tdg_diff_replaces_on_name_only():
    provider = TrafficDistributionGroupProvider()
    assert provider.diff(TDG_ID, TDG_PROPS, {**TDG_PROPS, "name": "gold"}).replaces == ["name"]
    assert not provider.diff(TDG_ID, {**TDG_PROPS, "arn": "x", "status": "ACTIVE"}, dict(TDG_PROPS)).changes


def test_tdg_user_associates_and_disassociates_in_the_source_region(monkeypatch):
    props = {"tdg_id": TDG_ID, "user_id": "agent-7", "instance_id": INSTANCE_ID, "region": SOURCE}
    params = {"TrafficDistributionGroupId": TDG_ID, "UserId": "agent-7", "InstanceId": INSTANCE_ID}
    with stubbed(monkeypatch) as stubs:
        stubs[SOURCE].add_response("associate_traffic_distribution_group_user", {}, params)
        stubs[SOURCE].add_response("disassociate_traffic_distribution_group_user", {}, params)
        provider = TrafficDistributionGroupUserProvider()
        created = provider.create(dict(props))
        provider.delete(created.id, dict(props))
    assert created.id == f"{TDG_ID}/agent-7"


def test_cross_region_routing_sets_isolation_from_enabled(monkeypatch):
    props = {"instance_id": INSTANCE_ID, "region": SOURCE, "enabled": True}
    with stubbed(monkeypatch) as stubs:
        stubs[SOURCE].add_response("update_cross_region_routing", {}, {"InstanceId": INSTANCE_ID, "IsolatedAll": False})
        stubs[SOURCE].add_response("update_cross_region_routing", {}, {"InstanceId": INSTANCE_ID, "IsolatedAll": True})
        stubs[SOURCE].add_response(
            "get_cross_region_routing", {"IsolatedRegions": [REPLICA]}, {"InstanceId": INSTANCE_ID}
        )
        provider = CrossRegionRoutingProvider()
        provider.create(dict(props))
        provider.update("id", props, {**props, "enabled": False})
        read = provider.read("id", dict(props))
    assert read.outs["enabled"] is False


PROVIDERS = [
    ReplicaInstanceProvider,
    TrafficDistributionGroupProvider,
    TrafficDistributionGroupUserProvider,
    CrossRegionRoutingProvider,
]


@pytest.mark.parametrize("provider_class", PROVIDERS, ids=lambda cls: cls.__name__)
def test_providers_survive_the_engines_dill_round_trip(provider_class):
    serialized = serialize_provider(provider_class())
    restored = dill.loads(base64.b64decode(serialized))
    assert type(restored).__name__ == provider_class.__name__
    assert vars(restored) == {}
    assert restored.diff("id", {"a": 1}, {"a": 1}).changes in (False, None)
