"""TrafficDistributionGroupUser: puts an agent in a traffic distribution group (source region).

Agents are moved between regions only by the group they belong to: Connect asks for every agent to be
associated with the default group or a custom one after replication. Users may be given by id or ARN;
they are compared by id, the form ListTrafficDistributionGroupUsers returns.
"""

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

from connect.providers.calls import NOT_FOUND, Deadline, connect_client, error_code, pages
from connect.providers.props import props_of

KEYS = ("tdg_id", "user_id", "instance_id", "region")
IDENTITY = ("tdg_id", "instance_id", "region")
TUNING = ("timeout_seconds", "poll_seconds")
ALREADY_ASSOCIATED = frozenset({"ResourceConflictException", "InvalidRequestException"})


def plain_id(identifier: str) -> str:
    """The id at the end of a Connect ARN (`.../agent/<id>`, `.../traffic-distribution-group/<id>`), or the
    identifier itself."""
    return identifier.rsplit("/", 1)[-1]


def is_member(props: dict[str, Any]) -> bool | None:
    """Whether the user is in the group; None when the group itself is gone."""
    client = connect_client(props["region"])
    members = pages(
        client.list_traffic_distribution_group_users,
        "TrafficDistributionGroupUserSummaryList",
        TrafficDistributionGroupId=props["tdg_id"],
        MaxResults=100,
    )
    try:
        return any(plain_id(user.get("UserId", "")) == plain_id(props["user_id"]) for user in members)
    except ClientError as error:
        if error_code(error) == NOT_FOUND:
            return None
        raise


class TrafficDistributionGroupUserProvider(ResourceProvider):
    """Associate on create (a user already in the group counts as done, so a retried create succeeds),
    disassociate on delete. A user that is not yet in both instances (replication mirrors users) answers
    ResourceNotFoundException: create waits for it, bounded."""

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        failures = [CheckFailure(key, f"{key} is required") for key in (*KEYS, *TUNING) if not news.get(key)]
        return CheckResult(news, failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        replaces = [key for key in IDENTITY if olds.get(key) != news.get(key)]
        if plain_id(str(olds.get("user_id", ""))) != plain_id(str(news.get("user_id", ""))):
            replaces.append("user_id")
        changed = replaces or [key for key in TUNING if olds.get(key) != news.get(key)]
        return DiffResult(changes=bool(changed), replaces=replaces, delete_before_replace=True)

    def create(self, props: dict[str, Any]) -> CreateResult:
        deadline = Deadline(
            float(props["timeout_seconds"]),
            "check that the user exists in the source instance (Connect mirrors it to the replica) and run "
            "`pulumi up` again",
        )
        deadline.wait_for(
            lambda: self._associated(props),
            what=f"user {props['user_id']} to be associable with traffic distribution group {props['tdg_id']}",
            poll_seconds=float(props["poll_seconds"]),
        )
        return CreateResult(id_=f"{plain_id(props['tdg_id'])}/{plain_id(props['user_id'])}", outs=props)

    def _associated(self, props: dict[str, Any]) -> bool | None:
        client = connect_client(props["region"])
        try:
            client.associate_traffic_distribution_group_user(
                TrafficDistributionGroupId=props["tdg_id"], UserId=props["user_id"], InstanceId=props["instance_id"]
            )
        except ClientError as error:
            if error_code(error) == NOT_FOUND:
                return None
            if error_code(error) in ALREADY_ASSOCIATED and is_member(props):
                return True
            raise
        return True

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """Only the wait's tuning changes in place (any other change replaces); the membership stays."""
        return UpdateResult(outs=news)

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        return ReadResult(id_, props) if is_member(props) else ReadResult(None, {})

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        client = connect_client(props["region"])
        try:
            client.disassociate_traffic_distribution_group_user(
                TrafficDistributionGroupId=props["tdg_id"], UserId=props["user_id"], InstanceId=props["instance_id"]
            )
        except ClientError as error:
            # Gone already (a destroy that half finished): AWS's answer for a user not in the group is not
            # documented, so any refusal is checked against the group's members.
            if error_code(error) != NOT_FOUND and (error_code(error) not in ALREADY_ASSOCIATED or is_member(props)):
                raise


@dataclass
class TrafficDistributionGroupUserArgs:
    tdg_id: pulumi.Input[str]
    user_id: str
    instance_id: pulumi.Input[str]
    region: str
    timeout_seconds: int = 300
    poll_seconds: int = 10


class TrafficDistributionGroupUser(pulumi.dynamic.Resource, module="connect", name="TrafficDistributionGroupUser"):
    """One agent's membership in a traffic distribution group (the default one or a custom one)."""

    def __init__(
        self, name: str, args: TrafficDistributionGroupUserArgs, opts: pulumi.ResourceOptions | None = None
    ) -> None:
        super().__init__(TrafficDistributionGroupUserProvider(), name, props_of(args), opts)
