"""TrafficDistributionGroup: a custom group of numbers with its own split, created in the source region."""

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

ACTIVE = "ACTIVE"
FAILED = frozenset({"CREATION_FAILED", "DELETION_FAILED"})
REPLACE_ON = ("name", "instance_arn", "region", "description")


def describe_group(region: str, group_id: str) -> dict[str, Any] | None:
    """DescribeTrafficDistributionGroup, or None once the group is gone."""
    client = connect_client(region)
    try:
        response = with_backoff(lambda: client.describe_traffic_distribution_group(TrafficDistributionGroupId=group_id))
    except ClientError as error:
        if error_code(error) == "ResourceNotFoundException":
            return None
        raise
    return response["TrafficDistributionGroup"]


class TrafficDistributionGroupProvider(ResourceProvider):
    """Create, then wait for ACTIVE (numbers can be claimed and splits changed only then). There is no update
    API for a group's name or description: changing them replaces the group. The default group that
    replication creates is never managed here: it cannot be deleted."""

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        required = (*REPLACE_ON, "timeout_seconds", "poll_seconds")
        failures = [CheckFailure(key, f"{key} is required") for key in required if news.get(key) in (None, "")]
        return CheckResult(news, failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        replaces = [key for key in REPLACE_ON if olds.get(key) != news.get(key)]
        changed = replaces or [key for key in ("timeout_seconds", "poll_seconds") if olds.get(key) != news.get(key)]
        return DiffResult(changes=bool(changed), replaces=replaces, delete_before_replace=False)

    def create(self, props: dict[str, Any]) -> CreateResult:
        client = connect_client(props["region"])
        response = with_backoff(
            lambda: client.create_traffic_distribution_group(
                Name=props["name"],
                InstanceId=props["instance_arn"],
                Description=props["description"],
                ClientToken=client_token("tdg", props["instance_arn"], props["name"]),
            )
        )
        status = self._wait(props, response["Id"], until=ACTIVE)
        return CreateResult(
            id_=response["Id"], outs={**props, "tdg_id": response["Id"], "arn": response["Arn"], "status": status}
        )

    def _wait(self, props: dict[str, Any], group_id: str, until: str | None) -> str:
        def reached() -> str | None:
            group = describe_group(props["region"], group_id)
            status = group["Status"] if group else None
            if status in FAILED:
                raise ProviderError(f"traffic distribution group {props['name']} is {status}")
            if until is None:
                return "DELETED" if group is None else None
            return status if status == until else None

        return wait_for(
            reached,
            what=f"traffic distribution group {props['name']} to be {until or 'deleted'}",
            timeout_seconds=float(props["timeout_seconds"]),
            poll_seconds=float(props["poll_seconds"]),
        )

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        return UpdateResult(outs={**olds, **news})

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        group = describe_group(props["region"], id_)
        if group is None:
            return ReadResult(None, {})
        return ReadResult(id_, {**props, "arn": group["Arn"], "status": group["Status"], "name": group["Name"]})

    def delete(self, id_: str, props: dict[str, Any]) -> None:
        group = describe_group(props["region"], id_)
        if group is None:
            return
        if group.get("IsDefault"):
            raise ProviderError(f"{group['Name']} is the default traffic distribution group and cannot be deleted")
        client = connect_client(props["region"])
        with_backoff(lambda: client.delete_traffic_distribution_group(TrafficDistributionGroupId=id_))
        self._wait(props, id_, until=None)


@dataclass
class TrafficDistributionGroupArgs:
    name: str
    instance_arn: pulumi.Input[str]
    region: str
    description: str
    timeout_seconds: int = 600
    poll_seconds: int = 10


class TrafficDistributionGroup(pulumi.dynamic.Resource, module="connect", name="TrafficDistributionGroup"):
    """A custom traffic distribution group (source region)."""

    tdg_id: pulumi.Output[str]
    arn: pulumi.Output[str]
    status: pulumi.Output[str]

    def __init__(
        self, name: str, args: TrafficDistributionGroupArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(TrafficDistributionGroupProvider(), name, props_of(args, "tdg_id", "arn", "status"), opts)
