"""The dynamic providers' own logic, with botocore's Stubber checking each request against the Connect
model: quota errors, identity rules of the diffs, ARN and id forms, retry configuration, pickling. Their
behaviour across retries, waits and partial failures is tested in the provider host
(test_connect_provider_host.py)."""

import base64

import dill
import pytest
from connect_stubs import DEFAULT_TDG_ID, INSTANCE_ID, instance_arn, stubbed, tdg_arn
from pulumi.dynamic.dynamic import serialize_provider

from connect.providers.calls import ProviderError, connect_client
from connect.providers.cross_region_routing import CrossRegionRoutingProvider
from connect.providers.phone_number_flow import PhoneNumberFlowProvider
from connect.providers.replica_instance import ReplicaInstanceProvider, replica_arn
from connect.providers.traffic_distribution_group import TrafficDistributionGroupProvider
from connect.providers.traffic_distribution_group_user import TrafficDistributionGroupUserProvider, plain_id

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


def not_replicated() -> dict:
    return {
        "Instance": {"Id": INSTANCE_ID, "Arn": instance_arn(SOURCE), "InstanceStatus": "ACTIVE"},
        "ReplicationConfiguration": {"ReplicationStatusSummaryList": [], "SourceRegion": SOURCE},
    }


def test_a_replica_quota_is_reported_as_a_quota_not_retried_as_throttling(monkeypatch):
    with stubbed(monkeypatch) as stubs:
        stubs[SOURCE].add_response("describe_instance", not_replicated(), {"InstanceId": INSTANCE_ID})
        stubs[SOURCE].add_client_error("replicate_instance", "ServiceQuotaExceededException", "too many", 402)
        with pytest.raises(ProviderError, match=r"replicating .*: a service quota is reached \(ServiceQuotaExceeded"):
            ReplicaInstanceProvider().create(dict(REPLICA_PROPS))
    assert stubs.sleeps == []


def test_a_group_limit_is_reported_as_a_quota(monkeypatch):
    with stubbed(monkeypatch) as stubs:
        stubs[SOURCE].add_response("list_traffic_distribution_groups", {"TrafficDistributionGroupSummaryList": []})
        stubs[SOURCE].add_client_error("create_traffic_distribution_group", "LimitExceededException", "max 10", 429)
        with pytest.raises(ProviderError, match="creating traffic distribution group vip-lines: a service quota"):
            TrafficDistributionGroupProvider().create(dict(TDG_PROPS))


def test_an_invalid_replication_request_that_made_nothing_is_not_adopted(monkeypatch):
    with stubbed(monkeypatch) as stubs:
        stubs[SOURCE].add_response("describe_instance", not_replicated())
        stubs[SOURCE].add_client_error("replicate_instance", "InvalidRequestException", "instance is not SAML")
        stubs[SOURCE].add_response("describe_instance", not_replicated())
        with pytest.raises(Exception, match="instance is not SAML"):
            ReplicaInstanceProvider().create(dict(REPLICA_PROPS))


def test_the_default_group_is_refused_by_group_delete(monkeypatch):
    default = {
        "Id": DEFAULT_TDG_ID,
        "Arn": tdg_arn(SOURCE, DEFAULT_TDG_ID),
        "Name": "default",
        "Status": "ACTIVE",
        "IsDefault": True,
    }
    with stubbed(monkeypatch) as stubs:
        stubs[SOURCE].add_response("describe_traffic_distribution_group", {"TrafficDistributionGroup": default})
        with pytest.raises(ProviderError, match="is the default traffic distribution group and cannot be deleted"):
            TrafficDistributionGroupProvider().delete(DEFAULT_TDG_ID, dict(TDG_PROPS))


def test_clients_leave_transient_errors_to_botocores_standard_retries():
    retries = connect_client(SOURCE).meta.config.retries
    assert retries["mode"] == "standard"
    assert retries["total_max_attempts"] > 1


def test_the_replica_arn_is_the_source_arn_in_the_replica_region():
    assert replica_arn(instance_arn(SOURCE), REPLICA) == instance_arn(REPLICA)


def test_users_compare_by_id_whether_given_by_id_or_arn():
    arn = f"arn:aws:connect:{SOURCE}:123456789012:instance/{INSTANCE_ID}/agent/agent-7"
    assert plain_id(arn) == plain_id("agent-7") == "agent-7"
    props = {"tdg_id": "g", "user_id": arn, "instance_id": INSTANCE_ID, "region": SOURCE}
    provider = TrafficDistributionGroupUserProvider()
    assert not provider.diff("g/agent-7", props, {**props, "user_id": "agent-7"}).changes
    assert provider.diff("g/agent-7", props, {**props, "user_id": "agent-8"}).replaces == ["user_id"]


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


def test_tdg_diff_replaces_on_name_only():
    provider = TrafficDistributionGroupProvider()
    assert provider.diff("id", TDG_PROPS, {**TDG_PROPS, "name": "gold"}).replaces == ["name"]
    assert not provider.diff("id", {**TDG_PROPS, "arn": "x", "status": "ACTIVE"}, dict(TDG_PROPS)).changes


PROVIDERS = [
    ReplicaInstanceProvider,
    TrafficDistributionGroupProvider,
    TrafficDistributionGroupUserProvider,
    CrossRegionRoutingProvider,
    PhoneNumberFlowProvider,
]


@pytest.mark.parametrize("provider_class", PROVIDERS, ids=lambda cls: cls.__name__)
def test_providers_hold_no_state_and_survive_the_dill_round_trip(provider_class):
    restored = dill.loads(base64.b64decode(serialize_provider(provider_class())))
    assert type(restored).__name__ == provider_class.__name__
    assert vars(restored) == {}
