"""ReplicaInstance: Amazon Connect Global Resiliency replica of the source instance (ReplicateInstance)."""

from dataclasses import dataclass
from typing import Any

import pulumi
from botocore.exceptions import ClientError
from pulumi.dynamic import (
    CheckFailure,
    CheckResult,
    CreateResult,
    DiffResult,
    ReadResult,
    ResourceProvider,
    UpdateResult,
)

from connect.providers.calls import (
    NOT_FOUND,
    RUN_UP_AGAIN,
    Deadline,
    ProviderError,
    connect_client,
    error_code,
    pages,
    quota_explained,
)
from connect.providers.props import props_of

COMPLETE = "INSTANCE_REPLICATION_COMPLETE"
DELETING = "INSTANCE_REPLICA_DELETING"
FAILED = frozenset({"INSTANCE_REPLICATION_FAILED", "INSTANCE_REPLICATION_DELETION_FAILED"})
GROUP_ACTIVE = "ACTIVE"
GROUP_FAILED = frozenset({"CREATION_FAILED"})
GROUP_DELETING = frozenset({"PENDING_DELETION", "DELETION_FAILED"})
ALREADY_REPLICATED = frozenset({"InvalidRequestException", "ResourceConflictException"})
"""How ReplicateInstance may answer when the replica exists (the documented answer is the first)."""
REPLACE_ON = ("instance_id", "source_region", "replica_region", "replica_alias")
TUNING = ("timeout_seconds", "poll_seconds")
REQUIRED = (*REPLACE_ON, *TUNING)
TIMEOUT_KEY = "connectdr:contactCenter.instance.replicationTimeoutMinutes"


def describe_source(props: dict[str, Any]) -> dict[str, Any]:
    """DescribeInstance on the source (ReplicationConfiguration sits beside Instance in the response)."""
    return connect_client(props["source_region"]).describe_instance(InstanceId=props["instance_id"])


def replication_summary(response: dict[str, Any], replica_region: str) -> dict[str, str] | None:
    """The replica region's entry of ReplicationStatusSummaryList, or None when it is not listed."""
    summaries = response.get("ReplicationConfiguration", {}).get("ReplicationStatusSummaryList", [])
    return next((summary for summary in summaries if summary.get("Region") == replica_region), None)


def listed_replica(props: dict[str, Any]) -> dict[str, str] | None:
    """The replica region's entry as the source lists it; None when it is not listed or the source instance
    itself is gone (and its replica with it)."""
    try:
        return replication_summary(describe_source(props), props["replica_region"])
    except ClientError as error:
        if error_code(error) != NOT_FOUND:
            raise
        return None


def replica_arn(source_arn: str, replica_region: str) -> str:
    """The replica keeps the source's id: its ARN is the source's with the replica region."""
    parts = source_arn.split(":")
    return ":".join([*parts[:3], replica_region, *parts[4:]])


def default_group(props: dict[str, Any]) -> dict[str, Any] | None:
    """The traffic distribution group replication creates (IsDefault), once it is listed; not the default
    group of a replica removed before this one, which the list may still show while it is deleted."""
    client = connect_client(props["source_region"])
    groups = pages(
        client.list_traffic_distribution_groups,
        "TrafficDistributionGroupSummaryList",
        InstanceId=props["instance_id"],
        MaxResults=10,
    )
    return next(
        (group for group in groups if group.get("IsDefault") and group.get("Status") not in GROUP_DELETING), None
    )


class ReplicaInstanceProvider(ResourceProvider):
    """Create adopts a replica an earlier attempt started (DescribeInstance lists it) or calls
    ReplicateInstance (polling while the source answers ResourceNotReadyException), then waits for
    INSTANCE_REPLICATION_COMPLETE and for the default traffic distribution group to be ACTIVE (numbers are
    claimed to it and its split set only then). Delete: DeleteInstance with the plain instance id in the
    replica region, then wait until the source stops listing the replica."""

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        failures = [CheckFailure(key, f"{key} is required") for key in REQUIRED if news.get(key) in (None, "")]
        if not failures and news["source_region"] == news["replica_region"]:
            failures.append(CheckFailure("replica_region", "must differ from source_region"))
        return CheckResult(news, failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        replaces = [key for key in REPLACE_ON if olds.get(key) != news.get(key)]
        changed = replaces or [key for key in TUNING if olds.get(key) != news.get(key)]
        return DiffResult(changes=bool(changed), replaces=replaces, delete_before_replace=True)

    def create(self, props: dict[str, Any]) -> CreateResult:
        deadline = Deadline(float(props["timeout_seconds"]), f"{RUN_UP_AGAIN}, or raise {TIMEOUT_KEY}")
        arn = deadline.wait_for(
            lambda: self._adopt_or_replicate(props),
            what=f"{props['instance_id']} to be ready for ReplicateInstance (ResourceNotReadyException)",
            poll_seconds=float(props["poll_seconds"]),
        )
        status = deadline.wait_for(
            lambda: self._replicated(props),
            what=f"the replica of {props['instance_id']} in {props['replica_region']} to reach {COMPLETE}",
            poll_seconds=float(props["poll_seconds"]),
        )
        group = deadline.wait_for(
            lambda: self._default_group_active(props),
            what=f"the default traffic distribution group of {props['instance_id']} to be {GROUP_ACTIVE}",
            poll_seconds=float(props["poll_seconds"]),
        )
        outs = {
            **props,
            "replica_arn": arn,
            "replication_status": status,
            "default_tdg_id": group["Id"],
            "default_tdg_arn": group["Arn"],
        }
        return CreateResult(id_=arn, outs=outs)

    def _adopt_or_replicate(self, props: dict[str, Any]) -> str:
        """The replica's ARN: of the replica an earlier attempt started, or of a new one."""
        response = describe_source(props)
        source_arn = response["Instance"]["Arn"]
        summary = replication_summary(response, props["replica_region"])
        if summary is not None:
            self._raise_if_unusable(props, summary)
            return replica_arn(source_arn, props["replica_region"])
        client = connect_client(props["source_region"])
        try:
            with quota_explained(f"replicating {props['instance_id']}"):
                created = client.replicate_instance(
                    InstanceId=props["instance_id"],
                    ReplicaRegion=props["replica_region"],
                    ReplicaAlias=props["replica_alias"],
                )
        except ClientError as error:
            if error_code(error) not in ALREADY_REPLICATED:
                raise
            # "already replicated": a concurrent or lost earlier call made it; adopt it if it is ours.
            summary = replication_summary(describe_source(props), props["replica_region"])
            if summary is None:
                raise
            self._raise_if_unusable(props, summary)
            return replica_arn(source_arn, props["replica_region"])
        return str(created["Arn"])

    def _raise_if_unusable(self, props: dict[str, Any], summary: dict[str, str]) -> None:
        status = summary.get("ReplicationStatus")
        if status == DELETING:
            raise ProviderError(
                f"the replica in {props['replica_region']} is being deleted; run `pulumi up` again once "
                "DescribeInstance no longer lists it"
            )
        if status in FAILED:
            reason = summary.get("ReplicationStatusReason") or "no reason given"
            raise ProviderError(
                f"replication to {props['replica_region']} failed: {status}: {reason}; delete the replica "
                f"(DeleteInstance in {props['replica_region']}) and run `pulumi up` again"
            )

    def _replicated(self, props: dict[str, Any]) -> str | None:
        summary = replication_summary(describe_source(props), props["replica_region"])
        if summary is None:
            return None
        status = summary.get("ReplicationStatus")
        if status in FAILED or status == DELETING:
            self._raise_if_unusable(props, summary)
        return status if status == COMPLETE else None

    def _default_group_active(self, props: dict[str, Any]) -> dict[str, Any] | None:
        group = default_group(props)
        status = group.get("Status") if group else None
        if status in GROUP_FAILED:
            raise ProviderError(f"the default traffic distribution group of {props['instance_id']} is {status}")
        return group if status == GROUP_ACTIVE else None

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(outs={**olds, **news})

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        summary = listed_replica(props)
        if summary is None:
            return ReadResult(None, {})
        return ReadResult(id_, {**props, "replication_status": summary.get("ReplicationStatus")})

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        """DeleteInstance unless an earlier destroy already started it (the replica is listed as deleting),
        then wait until the source stops listing the replica (or is gone itself)."""
        summary = listed_replica(props)
        if summary is None or summary.get("ReplicationStatus") != DELETING:
            try:
                connect_client(props["replica_region"]).delete_instance(InstanceId=props["instance_id"])
            except ClientError as error:
                if error_code(error) != NOT_FOUND:
                    raise

        def gone() -> bool | None:
            summary = listed_replica(props)
            if summary and summary.get("ReplicationStatus") == "INSTANCE_REPLICATION_DELETION_FAILED":
                raise ProviderError(f"deleting the replica failed: {summary.get('ReplicationStatusReason')}")
            return True if summary is None else None

        Deadline(float(props["timeout_seconds"]), "run `pulumi destroy` again to wait on").wait_for(
            gone,
            what=f"the replica in {props['replica_region']} to be deleted",
            poll_seconds=float(props["poll_seconds"]),
        )


@dataclass
class ReplicaInstanceArgs:
    instance_id: pulumi.Input[str]
    source_region: str
    replica_region: str
    replica_alias: str
    timeout_seconds: int
    poll_seconds: int = 30


class ReplicaInstance(pulumi.dynamic.Resource, module="connect", name="ReplicaInstance"):
    """The Global Resiliency replica; outputs the replica ARN and the default traffic distribution group."""

    replica_arn: pulumi.Output[str]
    replication_status: pulumi.Output[str]
    default_tdg_id: pulumi.Output[str]
    default_tdg_arn: pulumi.Output[str]

    def __init__(self, name: str, args: ReplicaInstanceArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        outputs = ("replica_arn", "replication_status", "default_tdg_id", "default_tdg_arn")
        super().__init__(ReplicaInstanceProvider(), name, props_of(args, *outputs), opts)
