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

ACTIVE = "ACTIVE"
FAILED = frozenset({"CREATION_FAILED", "DELETION_FAILED"})
PENDING_DELETION = "PENDING_DELETION"
REPLACE_ON = ("name", "instance_arn", "region")
TUNING = ("timeout_seconds", "poll_seconds")
REQUIRED = (*REPLACE_ON, "description", *TUNING)


def describe_group(region: str, group_id: str) -> dict[str, Any] | None:
    """DescribeTrafficDistributionGroup, or None once the group is gone."""
    client = connect_client(region)
    try:
        response = client.describe_traffic_distribution_group(TrafficDistributionGroupId=group_id)
    except ClientError as error:
        if error_code(error) == NOT_FOUND:
            return None
        raise
    return dict(response["TrafficDistributionGroup"])


def group_named(props: dict[str, Any]) -> dict[str, Any] | None:
    """The instance's custom group with this name (names are unique per instance), if there is one."""
    client = connect_client(props["region"])
    groups = pages(
        client.list_traffic_distribution_groups,
        "TrafficDistributionGroupSummaryList",
        InstanceId=props["instance_arn"],
        MaxResults=10,
    )
    return next((group for group in groups if group.get("Name") == props["name"] and not group.get("IsDefault")), None)


def usable(props: dict[str, Any], group: dict[str, Any]) -> dict[str, Any]:
    """`group`, unless its status means it cannot be adopted."""
    status = group.get("Status")
    if status in FAILED:
        raise ProviderError(
            f"traffic distribution group {props['name']} ({group['Id']}) is {status}; delete it "
            "(DeleteTrafficDistributionGroup) and run `pulumi up` again"
        )
    if status == PENDING_DELETION:
        raise ProviderError(
            f"traffic distribution group {props['name']} ({group['Id']}) is being deleted; run `pulumi up` again "
            "once it is gone"
        )
    return group


class TrafficDistributionGroupProvider(ResourceProvider):
    """Create adopts the instance's group of that name if an earlier attempt made it (or a concurrent one
    answers ResourceConflictException: the list may show it only later), else creates it, polling while the
    instance answers ResourceNotReadyException; then waits for ACTIVE (numbers can be claimed and
    splits changed only then). There is no update API for a group: a new name or instance replaces it,
    creating the new group first (its name differs, or it is on another instance, so the create cannot adopt
    the group it replaces, and numbers move to it before the old one goes). The description is written at
    creation only: a group holding numbers is not replaced for a cosmetic change, and a replacement under the
    same name would adopt the group it is meant to replace. The default group that replication creates is
    never managed here."""

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        failures = [CheckFailure(key, f"{key} is required") for key in REQUIRED if news.get(key) in (None, "")]
        return CheckResult(news, failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        replaces = [key for key in REPLACE_ON if olds.get(key) != news.get(key)]
        changed = replaces or [key for key in TUNING if olds.get(key) != news.get(key)]
        return DiffResult(changes=bool(changed), replaces=replaces, delete_before_replace=False)

    def create(self, props: dict[str, Any]) -> CreateResult:
        deadline = Deadline(float(props["timeout_seconds"]), RUN_UP_AGAIN)
        group = deadline.wait_for(
            lambda: self._adopt_or_create(props),
            what=f"traffic distribution group {props['name']} to be created, or listed once its name is taken",
            poll_seconds=float(props["poll_seconds"]),
        )
        status = deadline.wait_for(
            lambda: self._status_when(props, group["Id"], ACTIVE),
            what=f"traffic distribution group {props['name']} to be {ACTIVE}",
            poll_seconds=float(props["poll_seconds"]),
        )
        return CreateResult(
            id_=group["Id"], outs={**props, "tdg_id": group["Id"], "arn": group["Arn"], "status": status}
        )

    def _adopt_or_create(self, props: dict[str, Any]) -> dict[str, Any] | None:
        """The group of that name, made now or by an earlier attempt; None while the instance is not ready
        (ResourceNotReadyException) or the name is taken but the list does not show the group yet."""
        if existing := group_named(props):
            return usable(props, existing)
        client = connect_client(props["region"])
        try:
            with quota_explained(f"creating traffic distribution group {props['name']}"):
                return dict(
                    client.create_traffic_distribution_group(
                        Name=props["name"],
                        InstanceId=props["instance_arn"],
                        Description=props["description"],
                    )
                )
        except ClientError as error:
            if error_code(error) != "ResourceConflictException":
                raise
            existing = group_named(props)
            return usable(props, existing) if existing else None

    def _status_when(self, props: dict[str, Any], group_id: str, wanted: str) -> str | None:
        group = describe_group(props["region"], group_id)
        status = group["Status"] if group else None
        if status in FAILED:
            raise ProviderError(f"traffic distribution group {props['name']} is {status}")
        return status if status == wanted else None

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        """Only the wait's tuning changes in place; the group keeps the description it was created with."""
        return UpdateResult(outs={**olds, **news, "description": olds.get("description", news["description"])})

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
        if group.get("Status") != PENDING_DELETION:
            connect_client(props["region"]).delete_traffic_distribution_group(TrafficDistributionGroupId=id_)

        def gone() -> bool | None:
            remaining = describe_group(props["region"], id_)
            if remaining and remaining.get("Status") in FAILED:
                raise ProviderError(f"traffic distribution group {props['name']} is {remaining['Status']}")
            return True if remaining is None else None

        Deadline(float(props["timeout_seconds"]), "run `pulumi destroy` again to wait on").wait_for(
            gone,
            what=f"traffic distribution group {props['name']} to be deleted",
            poll_seconds=float(props["poll_seconds"]),
        )


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
