"""TrafficDistributionGroupUser: puts an agent in a traffic distribution group (source region)."""

from dataclasses import dataclass
from typing import Any

import pulumi
from botocore.exceptions import ClientError
from pulumi.dynamic import CheckFailure, CheckResult, CreateResult, DiffResult, ReadResult, ResourceProvider

from connect.providers.calls import connect_client, error_code, with_backoff
from connect.providers.props import props_of

KEYS = ("tdg_id", "user_id", "instance_id", "region")


class TrafficDistributionGroupUserProvider(ResourceProvider):
    """Associate on create, disassociate on delete; any change replaces. The user must exist in both regions'
    instances (replication mirrors users)."""

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        return CheckResult(news, [CheckFailure(key, f"{key} is required") for key in KEYS if not news.get(key)])

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        replaces = [key for key in KEYS if olds.get(key) != news.get(key)]
        return DiffResult(changes=bool(replaces), replaces=replaces, delete_before_replace=True)

    def create(self, props: dict[str, Any]) -> CreateResult:
        client = connect_client(props["region"])
        with_backoff(
            lambda: client.associate_traffic_distribution_group_user(
                TrafficDistributionGroupId=props["tdg_id"], UserId=props["user_id"], InstanceId=props["instance_id"]
            )
        )
        return CreateResult(id_=f"{props['tdg_id']}/{props['user_id']}", outs=props)

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        client = connect_client(props["region"])
        paginator = client.get_paginator("list_traffic_distribution_group_users")
        for page in paginator.paginate(TrafficDistributionGroupId=props["tdg_id"]):
            if any(
                user.get("UserId") == props["user_id"]
                for user in page.get("TrafficDistributionGroupUserSummaryList", [])
            ):
                return ReadResult(id_, props)
        return ReadResult(None, {})

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        client = connect_client(props["region"])
        try:
            with_backoff(
                lambda: client.disassociate_traffic_distribution_group_user(
                    TrafficDistributionGroupId=props["tdg_id"], UserId=props["user_id"], InstanceId=props["instance_id"]
                )
            )
        except ClientError as error:
            if error_code(error) != "ResourceNotFoundException":
                raise


@dataclass
class TrafficDistributionGroupUserArgs:
    tdg_id: pulumi.Input[str]
    user_id: str
    instance_id: pulumi.Input[str]
    region: str


class TrafficDistributionGroupUser(pulumi.dynamic.Resource, module="connect", name="TrafficDistributionGroupUser"):
    """One agent's membership in a custom traffic distribution group."""

    def __init__(
        self, name: str, args: TrafficDistributionGroupUserArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(TrafficDistributionGroupUserProvider(), name, props_of(args), opts)
