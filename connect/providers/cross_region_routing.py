"""CrossRegionRouting: whether contacts may be routed to agents signed in to the other region."""

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

from connect.providers.calls import NOT_FOUND, connect_client, error_code
from connect.providers.props import props_of


def set_isolation(props: dict[str, Any], isolated: bool) -> None:
    connect_client(props["region"]).update_cross_region_routing(InstanceId=props["instance_id"], IsolatedAll=isolated)


class CrossRegionRoutingProvider(ResourceProvider):
    """Whether contacts may be routed to agents signed in to the other region.

    UpdateCrossRegionRouting exists only for instances enabled for global routing, so nothing is called
    while routing is not wanted: create with `enabled` false makes no call. Turning it on calls
    IsolatedAll=false; turning it off again calls IsolatedAll=true. Read asks GetCrossRegionRouting only
    when enabled. Delete leaves the instance's setting as it is: the instance owns it."""

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        failures = [CheckFailure(key, f"{key} is required") for key in ("instance_id", "region") if not news.get(key)]
        if not isinstance(news.get("enabled"), bool):
            failures.append(CheckFailure("enabled", "enabled must be true or false"))
        return CheckResult(news, failures)

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        replaces = [key for key in ("instance_id", "region") if olds.get(key) != news.get(key)]
        changed = bool(replaces) or olds.get("enabled") != news.get("enabled")
        return DiffResult(changes=changed, replaces=replaces, delete_before_replace=False)

    def create(self, props: dict[str, Any]) -> CreateResult:
        if props["enabled"]:
            set_isolation(props, isolated=False)
        return CreateResult(id_=f"{props['instance_id']}/cross-region-routing", outs=props)

    def update(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        if olds.get("enabled") != news["enabled"]:
            set_isolation(news, isolated=not news["enabled"])
        return UpdateResult(outs=news)

    def read(self, id_: str, props: dict[str, Any]) -> ReadResult:
        if not props.get("enabled"):
            return ReadResult(id_, props)
        try:
            response = connect_client(props["region"]).get_cross_region_routing(InstanceId=props["instance_id"])
        except ClientError as error:
            if error_code(error) != NOT_FOUND:
                raise
            return ReadResult(None, {})  # the instance is gone, and its setting with it
        return ReadResult(id_, {**props, "enabled": not response.get("IsolatedRegions")})


@dataclass
class CrossRegionRoutingArgs:
    instance_id: pulumi.Input[str]
    region: str
    enabled: bool


class CrossRegionRouting(pulumi.dynamic.Resource, module="connect", name="CrossRegionRouting"):
    """The instance's cross-region routing setting (source region)."""

    def __init__(self, name: str, args: CrossRegionRoutingArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(CrossRegionRoutingProvider(), name, props_of(args), opts)
