"""The Connect dynamic providers through the engine's own boundary: serialized as the SDK does, loaded by a
fresh `python -m pulumi.dynamic` process started in the project directory, driven over gRPC, with boto3
talking to a local fake of the Connect REST API (botocore's real serializers, validation and retries)."""

from collections.abc import Iterator
from typing import Any

import grpc
import pytest
from fakes.connect_api import INSTANCE_ID, FakeConnect, FakeConnectServer, Scripted, instance_arn
from provider_host import ProviderHost

from connect.providers.cross_region_routing import CrossRegionRoutingProvider
from connect.providers.phone_number_flow import PhoneNumberFlowProvider
from connect.providers.replica_instance import ReplicaInstanceProvider
from connect.providers.traffic_distribution_group import TrafficDistributionGroupProvider
from connect.providers.traffic_distribution_group_user import TrafficDistributionGroupUserProvider

SOURCE, REPLICA = "us-east-1", "us-west-2"
IN_PROGRESS, COMPLETE = "INSTANCE_REPLICATION_IN_PROGRESS", "INSTANCE_REPLICATION_COMPLETE"
FAST = {"timeout_seconds": 5, "poll_seconds": 0.02}
SHORT = {"timeout_seconds": 0.3, "poll_seconds": 0.02}
REPLICA_PROPS = {
    "instance_id": INSTANCE_ID,
    "source_region": SOURCE,
    "replica_region": REPLICA,
    "replica_alias": "acme-care-replica",
    **FAST,
}
GROUP_PROPS = {
    "name": "vip-lines",
    "instance_arn": instance_arn(SOURCE),
    "region": SOURCE,
    "description": "connectdr traffic group vip-lines",
    **FAST,
}
OTHER_INSTANCE = "22222222-2222-3333-4444-555555555555"
USER_ARN = f"arn:aws:connect:{SOURCE}:123456789012:instance/{INSTANCE_ID}/agent/agent-1"


@pytest.fixture(scope="module")
def server() -> Iterator[FakeConnectServer]:
    with FakeConnectServer(FakeConnect(SOURCE)) as running:
        yield running


@pytest.fixture(scope="module")
def fake(server: FakeConnectServer) -> FakeConnect:
    return server.fake


@pytest.fixture(scope="module")
def host(server: FakeConnectServer) -> Iterator[ProviderHost]:
    running = ProviderHost(
        {
            "AWS_ENDPOINT_URL_CONNECT": server.url,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_EC2_METADATA_DISABLED": "true",
            "AWS_CONFIG_FILE": "/dev/null",
            "AWS_SHARED_CREDENTIALS_FILE": "/dev/null",
        }
    )
    yield running
    running.close()


@pytest.fixture(autouse=True)
def fresh_account(fake: FakeConnect) -> None:
    fake.reset()


def failure(call: Any) -> str:
    with pytest.raises(grpc.RpcError) as raised:
        call()
    return str(raised.value.details())


PROVIDERS = [
    (ReplicaInstanceProvider, REPLICA_PROPS),
    (TrafficDistributionGroupProvider, GROUP_PROPS),
    (
        TrafficDistributionGroupUserProvider,
        {"tdg_id": "x", "user_id": "agent-1", "instance_id": INSTANCE_ID, "region": SOURCE, **FAST},
    ),
    (CrossRegionRoutingProvider, {"instance_id": INSTANCE_ID, "region": SOURCE, "enabled": False}),
    (
        PhoneNumberFlowProvider,
        {"phone_number_id": "n", "flow_id": "f", "instance_id": INSTANCE_ID, "target_arn": "t", "region": SOURCE},
    ),
]


@pytest.mark.parametrize(("provider_class", "props"), PROVIDERS, ids=lambda value: getattr(value, "__name__", ""))
def test_a_fresh_host_process_loads_every_provider(host, provider_class, props):
    accepted = host.check(provider_class(), props)
    assert list(accepted.failures) == []
    assert {key: accepted.inputs[key] for key in props} == props
    first_key = next(iter(props))
    rejected = host.check(provider_class(), {**props, first_key: ""})
    assert [failure.property for failure in rejected.failures] == [first_key]


def test_replica_create_that_timed_out_is_adopted_by_the_next_up(host, fake):
    fake.replication_script = [IN_PROGRESS]
    message = failure(lambda: host.create(ReplicaInstanceProvider(), {**REPLICA_PROPS, **SHORT}))
    assert "timed out after 0s waiting for the replica of" in message
    assert "run `pulumi up` again to adopt it" in message
    assert "contactCenter.instance.replicationTimeoutMinutes" in message

    fake.replicas[REPLICA] = Scripted([IN_PROGRESS, COMPLETE])
    replica_id, outs = host.create(ReplicaInstanceProvider(), REPLICA_PROPS)

    assert len(fake.called("ReplicateInstance")) == 1
    assert replica_id == outs["replica_arn"] == instance_arn(REPLICA)
    assert outs["replication_status"] == COMPLETE
    default = next(group for group in fake.groups.values() if group.is_default)
    assert (outs["default_tdg_id"], outs["default_tdg_arn"]) == (default.id, default.arn)


@pytest.mark.parametrize("answer", [None, (409, "ResourceConflictException")], ids=["invalid-request", "conflict"])
def test_an_already_replicated_answer_adopts_the_replica(host, fake, answer):
    fake.replicas[REPLICA] = Scripted([COMPLETE])
    fake.add_group("default", is_default=True)
    fake.hidden_lists["DescribeInstance"] = 1  # the first look does not list it yet
    fake.faults["ReplicateInstance"] = [answer] if answer else []

    replica_id, outs = host.create(ReplicaInstanceProvider(), REPLICA_PROPS)

    assert len(fake.called("ReplicateInstance")) == 1
    assert replica_id == instance_arn(REPLICA)
    assert outs["replication_status"] == COMPLETE


def test_the_default_group_is_returned_only_once_active(host, fake):
    fake.replication_script = [COMPLETE]
    fake.default_group_script = ["CREATION_IN_PROGRESS"] * 3 + ["ACTIVE"]

    _, outs = host.create(ReplicaInstanceProvider(), REPLICA_PROPS)

    default = fake.groups[outs["default_tdg_id"]]
    assert default.status.peek() == "ACTIVE"
    assert len(fake.called("ListTrafficDistributionGroups")) == 4


def test_a_default_group_that_stays_in_creation_times_out_clearly(host, fake):
    fake.replication_script = [COMPLETE]
    fake.default_group_script = ["CREATION_IN_PROGRESS"]
    message = failure(lambda: host.create(ReplicaInstanceProvider(), {**REPLICA_PROPS, **SHORT}))
    assert f"waiting for the default traffic distribution group of {INSTANCE_ID} to be ACTIVE" in message


def test_a_server_error_mid_wait_is_retried_by_botocore(host, fake):
    fake.faults["DescribeInstance"] = ["ok", 500]  # the first poll after ReplicateInstance fails once

    _, outs = host.create(ReplicaInstanceProvider(), REPLICA_PROPS)

    assert outs["replication_status"] == COMPLETE
    statuses = [call.operation for call in fake.calls]
    assert statuses.count("ReplicateInstance") == 1
    assert statuses.count("DescribeInstance") >= 3


def test_a_slow_answer_counts_against_the_wait(host, fake):
    fake.replication_script = [IN_PROGRESS]
    fake.slow_seconds = 0.4
    fake.faults["DescribeInstance"] = ["ok", "slow"]
    message = failure(lambda: host.create(ReplicaInstanceProvider(), {**REPLICA_PROPS, **SHORT}))
    assert "timed out" in message
    assert len(fake.called("DescribeInstance")) == 2


def test_a_failed_replication_says_what_to_do(host, fake):
    fake.replication_script = [IN_PROGRESS, "INSTANCE_REPLICATION_FAILED"]
    message = failure(lambda: host.create(ReplicaInstanceProvider(), REPLICA_PROPS))
    assert "replication to us-west-2 failed: INSTANCE_REPLICATION_FAILED" in message
    assert "delete the replica" in message


def test_replica_delete_sends_the_plain_id_to_the_replica_region(host, fake):
    replica_id, outs = host.create(ReplicaInstanceProvider(), REPLICA_PROPS)

    host.delete(ReplicaInstanceProvider(), replica_id, outs)

    [deleted] = fake.called("DeleteInstance")
    assert (deleted.region, deleted.params["path"]) == (REPLICA, INSTANCE_ID)
    assert fake.replicas == {}


def test_replica_read_drops_a_vanished_replica(host, fake):
    replica_id, outs = host.create(ReplicaInstanceProvider(), REPLICA_PROPS)
    assert host.read(ReplicaInstanceProvider(), replica_id, outs)[0] == replica_id
    fake.replicas.clear()
    assert host.read(ReplicaInstanceProvider(), replica_id, outs)[0] == ""


def test_disabled_routing_makes_no_call_and_a_switch_makes_one(host, fake):
    props = {"instance_id": INSTANCE_ID, "region": SOURCE, "enabled": False}
    routing_id, outs = host.create(CrossRegionRoutingProvider(), props)
    host.read(CrossRegionRoutingProvider(), routing_id, outs)
    assert fake.calls == []

    host.update(CrossRegionRoutingProvider(), routing_id, outs, {**props, "enabled": True})
    host.update(CrossRegionRoutingProvider(), routing_id, {**props, "enabled": True}, props)
    assert [call.params["IsolatedAll"] for call in fake.called("UpdateCrossRegionRouting")] == [False, True]


def test_group_create_adopts_the_group_a_conflict_names(host, fake):
    existing = fake.add_group("vip-lines", status="CREATION_IN_PROGRESS")
    existing.status = Scripted(["CREATION_IN_PROGRESS", "ACTIVE"])
    fake.hidden_lists["ListTrafficDistributionGroups"] = 1

    group_id, outs = host.create(TrafficDistributionGroupProvider(), GROUP_PROPS)

    assert group_id == existing.id
    assert (outs["arn"], outs["status"]) == (existing.arn, "ACTIVE")
    assert len(fake.called("CreateTrafficDistributionGroup")) == 1


def test_group_create_that_timed_out_is_adopted_by_the_next_up(host, fake):
    fake.group_script = ["CREATION_IN_PROGRESS"]
    message = failure(lambda: host.create(TrafficDistributionGroupProvider(), {**GROUP_PROPS, **SHORT}))
    assert "waiting for traffic distribution group vip-lines to be ACTIVE" in message

    [made] = fake.groups.values()
    made.status = Scripted(["UPDATE_IN_PROGRESS", "ACTIVE"])
    group_id, outs = host.create(TrafficDistributionGroupProvider(), GROUP_PROPS)

    assert group_id == made.id and outs["status"] == "ACTIVE"
    assert len(fake.called("CreateTrafficDistributionGroup")) == 1


def test_group_delete_waits_until_gone(host, fake):
    group_id, outs = host.create(TrafficDistributionGroupProvider(), GROUP_PROPS)
    host.delete(TrafficDistributionGroupProvider(), group_id, outs)
    assert fake.groups == {}


def user_props(group_id: str, user_id: str = "agent-1") -> dict[str, Any]:
    return {"tdg_id": group_id, "user_id": user_id, "instance_id": INSTANCE_ID, "region": SOURCE, **FAST}


@pytest.mark.parametrize("duplicate", [(409, "ResourceConflictException"), (400, "InvalidRequestException"), None])
def test_a_retried_user_association_succeeds_however_aws_answers_the_duplicate(host, fake, duplicate):
    group = fake.add_group("vip-lines")
    fake.duplicate_user_error = duplicate
    host.create(TrafficDistributionGroupUserProvider(), user_props(group.id))

    user_id, _ = host.create(TrafficDistributionGroupUserProvider(), user_props(group.id))

    assert user_id == f"{group.id}/agent-1"
    assert group.users == ["agent-1"]


def test_a_user_given_by_arn_survives_refresh(host, fake):
    group = fake.add_group("vip-lines")
    for index in range(150):  # more than one page of members
        group.users.append(f"other-{index}")
    props = user_props(group.id, USER_ARN)
    user_id, outs = host.create(TrafficDistributionGroupUserProvider(), props)

    assert host.read(TrafficDistributionGroupUserProvider(), user_id, outs) == (user_id, outs)
    unchanged = host.diff(TrafficDistributionGroupUserProvider(), user_id, outs, user_props(group.id, "agent-1"))
    assert list(unchanged.replaces) == []
    assert len(fake.called("ListTrafficDistributionGroupUsers")) == 2


def test_a_user_not_yet_mirrored_is_waited_for_then_named(host, fake):
    group = fake.add_group("vip-lines")
    message = failure(
        lambda: host.create(TrafficDistributionGroupUserProvider(), {**user_props(group.id, "new-agent"), **SHORT})
    )
    assert "waiting for user new-agent" in message
    assert "check that the user exists in the source instance" in message


def test_a_number_moved_to_another_group_gets_its_flow_again(host, fake):
    props = {
        "phone_number_id": "number-1",
        "flow_id": "flow-1",
        "instance_id": INSTANCE_ID,
        "target_arn": "arn:aws:connect:us-east-1:123456789012:traffic-distribution-group/a",
        "region": SOURCE,
    }
    flow_id, outs = host.create(PhoneNumberFlowProvider(), props)
    moved = {**props, "target_arn": "arn:aws:connect:us-east-1:123456789012:traffic-distribution-group/b"}

    diff = host.diff(PhoneNumberFlowProvider(), flow_id, outs, moved)
    host.update(PhoneNumberFlowProvider(), flow_id, outs, moved)

    assert diff.changes == diff.DIFF_SOME and list(diff.replaces) == []
    assert [call.params["ContactFlowId"] for call in fake.called("AssociatePhoneNumberContactFlow")] == ["flow-1"] * 2
    host.delete(PhoneNumberFlowProvider(), flow_id, moved)
    assert fake.number_flows == {}


def test_throttling_is_retried_by_botocore_without_a_second_group(host, fake):
    fake.faults["CreateTrafficDistributionGroup"] = [429]

    group_id, outs = host.create(TrafficDistributionGroupProvider(), GROUP_PROPS)

    assert outs["status"] == "ACTIVE"
    assert len(fake.called("CreateTrafficDistributionGroup")) == 2
    assert list(fake.groups) == [group_id]


def test_replica_read_after_the_source_instance_is_gone_drops_it(host, fake):
    gone = {**REPLICA_PROPS, "instance_id": "99999999-2222-3333-4444-555555555555"}
    assert host.read(ReplicaInstanceProvider(), instance_arn(REPLICA), gone)[0] == ""


def test_a_user_whose_wait_tuning_changes_keeps_its_state_for_refresh_and_destroy(host, fake):
    group = fake.add_group("vip-lines")
    props = user_props(group.id)
    user_id, outs = host.create(TrafficDistributionGroupUserProvider(), props)
    retuned = {**props, "timeout_seconds": 600}

    diff = host.diff(TrafficDistributionGroupUserProvider(), user_id, outs, retuned)
    outs = host.update(TrafficDistributionGroupUserProvider(), user_id, outs, retuned)

    assert diff.changes == diff.DIFF_SOME and list(diff.replaces) == []
    assert outs == retuned
    assert host.read(TrafficDistributionGroupUserProvider(), user_id, outs) == (user_id, outs)
    host.delete(TrafficDistributionGroupUserProvider(), user_id, outs)
    assert group.users == []


def test_a_new_group_description_neither_replaces_the_group_nor_adopts_it_away(host, fake):
    group_id, outs = host.create(TrafficDistributionGroupProvider(), GROUP_PROPS)
    described = {**GROUP_PROPS, "description": "connectdr numbers for VIPs", "timeout_seconds": 9}

    diff = host.diff(TrafficDistributionGroupProvider(), group_id, outs, described)
    outs = host.update(TrafficDistributionGroupProvider(), group_id, outs, described)

    assert list(diff.replaces) == []
    assert outs["description"] == GROUP_PROPS["description"] and outs["timeout_seconds"] == 9
    assert list(fake.groups) == [group_id]


def test_a_renamed_group_is_created_before_the_old_one_goes(host, fake):
    old_id, old_outs = host.create(TrafficDistributionGroupProvider(), GROUP_PROPS)
    renamed = {**GROUP_PROPS, "name": "gold-lines"}

    diff = host.diff(TrafficDistributionGroupProvider(), old_id, old_outs, renamed)
    new_id, _ = host.create(TrafficDistributionGroupProvider(), renamed)
    host.delete(TrafficDistributionGroupProvider(), old_id, old_outs)

    assert list(diff.replaces) == ["name"] and not diff.deleteBeforeReplace
    assert new_id != old_id and [group.name for group in fake.groups.values()] == ["gold-lines"]


def test_a_replica_delete_that_timed_out_is_waited_on_by_the_next_destroy(host, fake):
    replica_id, outs = host.create(ReplicaInstanceProvider(), REPLICA_PROPS)
    fake.deletion_script = ["INSTANCE_REPLICA_DELETING"]
    message = failure(lambda: host.delete(ReplicaInstanceProvider(), replica_id, {**outs, **SHORT}))
    assert f"waiting for the replica in {REPLICA} to be deleted; run `pulumi destroy` again" in message

    fake.replicas[REPLICA] = Scripted(["INSTANCE_REPLICA_DELETING", "GONE"])
    host.delete(ReplicaInstanceProvider(), replica_id, outs)

    assert len(fake.called("DeleteInstance")) == 1
    assert fake.replicas == {}


def test_a_replica_whose_source_instance_is_gone_deletes_cleanly(host, fake):
    gone = {**REPLICA_PROPS, "instance_id": "99999999-2222-3333-4444-555555555555"}
    host.delete(ReplicaInstanceProvider(), instance_arn(REPLICA), gone)
    assert [call.operation for call in fake.calls] == ["DescribeInstance", "DeleteInstance", "DescribeInstance"]


NOT_READY = (409, "ResourceNotReadyException")


def test_a_source_not_ready_for_replication_is_polled_not_failed(host, fake):
    fake.faults["ReplicateInstance"] = [NOT_READY, NOT_READY]

    _, outs = host.create(ReplicaInstanceProvider(), REPLICA_PROPS)

    assert outs["replication_status"] == COMPLETE
    assert len(fake.called("ReplicateInstance")) == 3


def test_an_instance_not_ready_for_a_group_is_polled_not_failed(host, fake):
    fake.faults["CreateTrafficDistributionGroup"] = [NOT_READY]

    _, outs = host.create(TrafficDistributionGroupProvider(), GROUP_PROPS)

    assert outs["status"] == "ACTIVE"
    assert len(fake.called("CreateTrafficDistributionGroup")) == 2


def test_a_name_conflict_the_list_does_not_show_yet_is_polled_until_it_does(host, fake):
    existing = fake.add_group("vip-lines")
    fake.hidden_lists["ListTrafficDistributionGroups"] = 3  # before the create, after its conflict, one poll more

    group_id, outs = host.create(TrafficDistributionGroupProvider(), GROUP_PROPS)

    assert group_id == existing.id and outs["status"] == "ACTIVE"
    assert len(fake.called("CreateTrafficDistributionGroup")) == 2
    assert list(fake.groups) == [existing.id]


def test_a_name_taken_by_a_group_that_never_shows_times_out_clearly(host, fake):
    fake.add_group("vip-lines")
    fake.hidden_lists["ListTrafficDistributionGroups"] = 1000
    message = failure(lambda: host.create(TrafficDistributionGroupProvider(), {**GROUP_PROPS, **SHORT}))
    assert "waiting for traffic distribution group vip-lines to be created, or listed once its name is taken" in message


def test_a_replica_made_again_after_its_removal_is_replicated_again(host, fake):
    replica_id, outs = host.create(ReplicaInstanceProvider(), REPLICA_PROPS)
    host.delete(ReplicaInstanceProvider(), replica_id, outs)

    host.create(ReplicaInstanceProvider(), REPLICA_PROPS)

    first, second = fake.called("ReplicateInstance")
    assert first.params["ClientToken"] != second.params["ClientToken"]
    assert list(fake.replicas) == [REPLICA]


def test_a_group_removed_then_declared_again_is_created_again(host, fake):
    group_id, outs = host.create(TrafficDistributionGroupProvider(), GROUP_PROPS)
    host.delete(TrafficDistributionGroupProvider(), group_id, outs)

    new_id, _ = host.create(TrafficDistributionGroupProvider(), GROUP_PROPS)

    assert new_id != group_id and list(fake.groups) == [new_id]


def test_a_new_replica_returns_its_own_default_group_while_the_old_one_is_still_listed(host, fake):
    replica_id, outs = host.create(ReplicaInstanceProvider(), REPLICA_PROPS)
    fake.default_group_deletion_script = ["PENDING_DELETION"]
    host.delete(ReplicaInstanceProvider(), replica_id, outs)

    _, again = host.create(ReplicaInstanceProvider(), REPLICA_PROPS)

    assert again["default_tdg_id"] != outs["default_tdg_id"]
    assert fake.groups[again["default_tdg_id"]].status.peek() == "ACTIVE"


@pytest.mark.parametrize(
    "missing",
    [(404, "ResourceNotFoundException"), (400, "InvalidRequestException"), (409, "ResourceConflictException")],
)
def test_a_membership_delete_retried_after_it_went_through_succeeds_however_aws_answers(host, fake, missing):
    group = fake.add_group("vip-lines")
    fake.missing_user_error = missing
    user_id, outs = host.create(TrafficDistributionGroupUserProvider(), user_props(group.id))
    host.delete(TrafficDistributionGroupUserProvider(), user_id, outs)

    host.delete(TrafficDistributionGroupUserProvider(), user_id, outs)

    assert len(fake.called("DisassociateTrafficDistributionGroupUser")) == 2
    assert group.users == []


def test_a_membership_delete_that_aws_refuses_while_the_user_is_in_the_group_fails(host, fake):
    group = fake.add_group("vip-lines")
    user_id, outs = host.create(TrafficDistributionGroupUserProvider(), user_props(group.id))
    fake.faults["DisassociateTrafficDistributionGroupUser"] = [(400, "InvalidRequestException")]

    message = failure(lambda: host.delete(TrafficDistributionGroupUserProvider(), user_id, outs))

    assert "InvalidRequestException" in message and group.users == ["agent-1"]


def test_routing_of_an_instance_removed_out_of_band_is_dropped_by_refresh(host, fake):
    props = {"instance_id": INSTANCE_ID, "region": SOURCE, "enabled": True}
    routing_id, outs = host.create(CrossRegionRoutingProvider(), props)
    assert host.read(CrossRegionRoutingProvider(), routing_id, outs) == (routing_id, outs)

    gone = {**outs, "instance_id": "99999999-2222-3333-4444-555555555555"}
    assert host.read(CrossRegionRoutingProvider(), routing_id, gone)[0] == ""


def engine_update(host: ProviderHost, provider: Any, id_: str, olds: dict, news: dict) -> tuple[str, dict]:
    """What the engine does with a changed resource, as the provider's Diff tells it: nothing, an update, or
    a replacement that deletes first or last."""
    diff = host.diff(provider, id_, olds, news)
    if diff.changes != diff.DIFF_SOME:
        return id_, olds
    if not diff.replaces:
        return id_, host.update(provider, id_, olds, news)
    if diff.deleteBeforeReplace:
        host.delete(provider, id_, olds)
        return host.create(provider, news)
    created = host.create(provider, news)
    host.delete(provider, id_, olds)
    return created


NUMBER_FLOW = {
    "phone_number_id": "number-1",
    "flow_id": "flow-1",
    "instance_id": INSTANCE_ID,
    "target_arn": "arn:aws:connect:us-east-1:123456789012:traffic-distribution-group/a",
    "region": SOURCE,
}


@pytest.mark.parametrize(
    "change",
    [{"flow_id": "flow-2"}, {"target_arn": "arn:aws:connect:us-east-1:123456789012:traffic-distribution-group/b"}],
    ids=["new-flow", "moved-number"],
)
def test_a_number_keeps_a_flow_through_every_change_of_its_association(host, fake, change):
    flow_id, outs = host.create(PhoneNumberFlowProvider(), NUMBER_FLOW)
    engine_update(host, PhoneNumberFlowProvider(), flow_id, outs, {**NUMBER_FLOW, **change})
    assert fake.number_flows == {"number-1": change.get("flow_id", "flow-1")}


def test_a_number_whose_instance_is_replaced_keeps_its_flow(host, fake):
    flow_id, outs = host.create(PhoneNumberFlowProvider(), NUMBER_FLOW)
    fake.instances.add(OTHER_INSTANCE)

    engine_update(host, PhoneNumberFlowProvider(), flow_id, outs, {**NUMBER_FLOW, "instance_id": OTHER_INSTANCE})

    assert fake.number_flows == {"number-1": "flow-1"}


@pytest.mark.parametrize("one_group", [True, False], ids=["aws-refuses-two-groups", "aws-allows-two-groups"])
def test_an_agent_moved_to_another_group_ends_in_that_group_only(host, fake, one_group):
    old, new = fake.add_group("vip-lines"), fake.add_group("gold-lines")
    fake.one_group_per_user = one_group
    user_id, outs = host.create(TrafficDistributionGroupUserProvider(), user_props(old.id))

    engine_update(host, TrafficDistributionGroupUserProvider(), user_id, outs, user_props(new.id))

    assert (old.users, new.users) == ([], ["agent-1"])
