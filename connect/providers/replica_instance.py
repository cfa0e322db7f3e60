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

from connect.providers.calls import ProviderError, client_token, connect_client, error_code, wait_for, with_backoff
from connect.providers.props import props_of

COMPLETE = "INSTANCE_REPLICATION_COMPLETE"
FAILED = frozenset({"INSTANCE_REPLICATION_FAILED", "INSTANCE_REPLICATION_DELETION_FAILED"})
REPLACE_ON = ("instance_id", "source_region", "replica_region", "replica_alias")
REQUIRED = (*REPLACE_ON, "timeout_seconds", "poll_seconds")


def replication_status(props: dict[str, Any]) -> dict[str, str] | None:
    """The replica region's entry of DescribeInstance's ReplicationStatusSummaryList (source region)."""
    client = connect_client(props["source_region"])
    response = with_backoff(lambda: client.describe_instance(InstanceId=props["instance_id"]))
    summaries = response.get("ReplicationConfiguration", {}).get("ReplicationStatusSummaryList", [])
    return next((summary for summary in summaries if summary.get("Region") == props["replica_region"]), None)


def default_traffic_group(props: dict[str, Any]) -> dict[str, str]:
    """The traffic distribution group that replication creates (IsDefault); it cannot be deleted."""
    client = connect_client(props["source_region"])
    token: str | None = None
    while True:
        page_args = {"InstanceId": props["instance_id"], "MaxResults": 10, **({"NextToken": token} if token else {})}
        page = with_backoff(lambda args=page_args: client.list_traffic_distribution_groups(**args))
        for group in page.get("TrafficDistributionGroupSummaryList", []):
            if group.get("IsDefault"):
                return group
        token = page.get("NextToken")
        if not token:
            raise ProviderError(f"no default traffic distribution group on instance {props['instance_id']}")


class ReplicaInstanceProvider(ResourceProvider):
    """Create: ReplicateInstance, then wait for INSTANCE_REPLICATION_COMPLETE. Delete: DeleteInstance in the
    replica region, then wait until the source no longer lists the replica."""

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        failures = [CheckFailure(key, f"{key} is required") for key in REQUIRED if news.get(key) in (None, "")]
        if not failures and news["source_region"] == news["replica_region"]:
            failures.append(CheckFailure("replica_region", "must differ from source_region"))
        return CheckResult(news, failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        replaces = [key for key in REPLACE_ON if olds.get(key) != news.get(key)]
        changed = replaces or [key for key in ("timeout_seconds", "poll_seconds") if olds.get(key) != news.get(key)]
        return DiffResult(changes=bool(changed), replaces=replaces, delete_before_replace=True)

    def create(self, props: dict[str, Any]) -> CreateResult:
        client = connect_client(props["source_region"])
        response = with_backoff(
            lambda: client.replicate_instance(
                InstanceId=props["instance_id"],
                ReplicaRegion=props["replica_region"],
                ReplicaAlias=props["replica_alias"],
                ClientToken=client_token("replicate", props["instance_id"], props["replica_region"]),
            )
        )
        status = self._wait_complete(props)
        group = default_traffic_group(props)
        outs = {
            **props,
            "replica_arn": response["Arn"],
            "replication_status": status,
            "default_tdg_id": group["Id"],
            "default_tdg_arn": group["Arn"],
        }
        return CreateResult(id_=response["Arn"], outs=outs)

    def _wait_complete(self, props: dict[str, Any]) -> str:
        def complete() -> str | None:
            summary = replication_status(props)
            status = summary.get("ReplicationStatus") if summary else None
            if status in FAILED:
                reason = summary.get("ReplicationStatusReason", "no reason given") if summary else ""
                raise ProviderError(f"replication to {props['replica_region']} failed: {status}: {reason}")
            return status if status == COMPLETE else None

        return wait_for(
            complete,
            what=f"replica of {props['instance_id']} in {props['replica_region']} to reach {COMPLETE}",
            timeout_seconds=float(props["timeout_seconds"]),
            poll_seconds=float(props["poll_seconds"]),
        )

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(outs={**olds, **news})

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        summary = replication_status(props)
        if summary is None:
            return ReadResult(None, {})
        return ReadResult(id_, {**props, "replication_status": summary.get("ReplicationStatus")})

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        client = connect_client(props["replica_region"])
        try:
            with_backoff(lambda: client.delete_instance(InstanceId=id_))
        except ClientError as error:
            if error_code(error) != "ResourceNotFoundException":
                raise

        def gone() -> bool | None:
            summary = replication_status(props)
            if summary and summary.get("ReplicationStatus") == "INSTANCE_REPLICATION_DELETION_FAILED":
                raise ProviderError(f"deleting the replica failed: {summary.get('ReplicationStatusReason')}")
            return True if summary is None else None

        wait_for(
            gone,
            what=f"replica in {props['replica_region']} to be deleted",
            timeout_seconds=float(props["timeout_seconds"]),
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
