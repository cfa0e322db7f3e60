"""PhoneNumberFlow: the flow that answers a claimed number, kept across moves between traffic groups.

UpdatePhoneNumber (a number moved to another traffic distribution group) moves only the number, not its
flow configuration, so the association is made again whenever the number's target changes.
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
    ResourceProvider,
    UpdateResult,
)

from connect.providers.calls import NOT_FOUND, connect_client, error_code
from connect.providers.props import props_of

REPLACE_ON = ("phone_number_id", "region")
REASSOCIATE_ON = ("flow_id", "target_arn", "instance_id")
"""Associated again in place: a replacement would associate the same number first and then disassociate
it, leaving the number without a flow."""


def associate(props: dict[str, Any]) -> None:
    connect_client(props["region"]).associate_phone_number_contact_flow(
        PhoneNumberId=props["phone_number_id"], InstanceId=props["instance_id"], ContactFlowId=props["flow_id"]
    )


class PhoneNumberFlowProvider(ResourceProvider):
    """AssociatePhoneNumberContactFlow on create, and again on update when the flow, the number's target
    (its traffic distribution group) or the instance changes; DisassociatePhoneNumberContactFlow on delete.
    Called in the source region, where the groups are created; Connect mirrors the association to the
    replica."""

    def check(self, _olds: dict[str, Any], news: dict[str, Any]) -> CheckResult:
        required = (*REPLACE_ON, *REASSOCIATE_ON)
        return CheckResult(news, [CheckFailure(key, f"{key} is required") for key in required if not news.get(key)])

    def diff(self, _id: str, olds: dict[str, Any], news: dict[str, Any]) -> DiffResult:
        replaces = [key for key in REPLACE_ON if olds.get(key) != news.get(key)]
        changed = replaces or [key for key in REASSOCIATE_ON if olds.get(key) != news.get(key)]
        return DiffResult(changes=bool(changed), replaces=replaces, delete_before_replace=False)

    def create(self, props: dict[str, Any]) -> CreateResult:
        associate(props)
        return CreateResult(id_=f"{props['phone_number_id']}/flow", outs=props)

    def update(self, _id: str, _olds: dict[str, Any], news: dict[str, Any]) -> UpdateResult:
        associate(news)
        return UpdateResult(outs=news)

    def delete(self, _id: str, props: dict[str, Any]) -> None:
        try:
            connect_client(props["region"]).disassociate_phone_number_contact_flow(
                PhoneNumberId=props["phone_number_id"], InstanceId=props["instance_id"]
            )
        except ClientError as error:
            if error_code(error) != NOT_FOUND:
                raise


@dataclass
class PhoneNumberFlowArgs:
    phone_number_id: pulumi.Input[str]
    flow_id: pulumi.Input[str]
    instance_id: pulumi.Input[str]
    target_arn: pulumi.Input[str]
    region: str


class PhoneNumberFlow(pulumi.dynamic.Resource, module="connect", name="PhoneNumberFlow"):
    """The flow a claimed number starts in."""

    def __init__(self, name: str, args: PhoneNumberFlowArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__(PhoneNumberFlowProvider(), name, props_of(args), opts)
