"""GlobalResiliency: the replica, traffic distribution groups, numbers and the desired split."""

import json
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from config.contact_center import PhoneNumber
from config.names import replica_alias
from config.operations import Override
from config.stack import StackConfig
from config.traffic import Traffic
from connect.contact_center import ContactCenter
from connect.desired_split import desired_split_document, desired_split_item
from connect.providers.cross_region_routing import CrossRegionRouting, CrossRegionRoutingArgs
from connect.providers.phone_number_flow import PhoneNumberFlow, PhoneNumberFlowArgs
from connect.providers.replica_instance import ReplicaInstance, ReplicaInstanceArgs
from connect.providers.traffic_distribution_group import TrafficDistributionGroup, TrafficDistributionGroupArgs
from connect.providers.traffic_distribution_group_user import (
    TrafficDistributionGroupUser,
    TrafficDistributionGroupUserArgs,
)


@dataclass
class GlobalResiliencyArgs:
    instance_id: pulumi.Input[str]
    instance_arn: pulumi.Input[str]
    instance_alias: str
    source_region: str
    replica_region: str
    replication_timeout_minutes: int
    cross_region_routing: bool
    traffic: Traffic
    override: Override
    phone_numbers: list[PhoneNumber]
    flow_ids: dict[str, pulumi.Output[str]]
    config_table_name: pulumi.Input[str]
    queue_ids: pulumi.Input[list[str]] = ()
    """The contact center's queues: follow-the-agents counts their agents."""

    @classmethod
    def from_config(
        cls, cfg: StackConfig, center: ContactCenter, config_table_name: pulumi.Input[str]
    ) -> "GlobalResiliencyArgs":
        center_cfg, traffic = cfg.contact_center, cfg.traffic
        assert center_cfg is not None and traffic is not None, "validated: the primary stack has both"
        return cls(
            instance_id=center.instance_id,
            instance_arn=center.instance_arn,
            instance_alias=center_cfg.instance.alias,
            source_region=cfg.regions.source,
            replica_region=cfg.regions.replica,
            replication_timeout_minutes=center_cfg.instance.replication_timeout_minutes,
            cross_region_routing=center_cfg.instance.cross_region_routing,
            traffic=traffic,
            override=cfg.failover.override,
            phone_numbers=center_cfg.phone_numbers,
            flow_ids=center.flow_ids,
            config_table_name=config_table_name,
            queue_ids=center.queue_ids,
        )


def _replica(name: str, args: GlobalResiliencyArgs, parent: pulumi.Resource) -> ReplicaInstance:
    return ReplicaInstance(
        f"{name}-replica",
        ReplicaInstanceArgs(
            instance_id=args.instance_id,
            source_region=args.source_region,
            replica_region=args.replica_region,
            replica_alias=replica_alias(args.instance_alias),
            timeout_seconds=args.replication_timeout_minutes * 60,
        ),
        opts=pulumi.ResourceOptions(
            parent=parent, custom_timeouts=pulumi.CustomTimeouts(create=f"{args.replication_timeout_minutes + 5}m")
        ),
    )


def _custom_groups(
    name: str, args: GlobalResiliencyArgs, after_replica: pulumi.ResourceOptions
) -> dict[str, TrafficDistributionGroup]:
    return {
        group.name: TrafficDistributionGroup(
            f"{name}-tdg-{group.name}",
            TrafficDistributionGroupArgs(
                name=group.name,
                instance_arn=args.instance_arn,
                region=args.source_region,
                description=f"connectdr traffic group {group.name}",
            ),
            opts=after_replica,
        )
        for group in args.traffic.groups
    }


def _agents(
    name: str,
    args: GlobalResiliencyArgs,
    default_tdg_id: pulumi.Output[str],
    groups: dict[str, TrafficDistributionGroup],
    parent: pulumi.Resource,
) -> None:
    """Every agent in its group: `traffic.userIds` in the default group, each group's `userIds` in it.

    A membership is named by the agent alone: moving an agent to another group changes its `tdg_id`, which
    replaces the membership deleting first, so the agent leaves the old group before joining the new one (an
    agent belongs to one group). Named by group, the move would join first and a later delete of the old
    membership would act on the same agent. The alias keeps memberships deployed under that naming."""
    members = [(f"{name}-default-tdg", default_tdg_id, user_id) for user_id in args.traffic.user_ids]
    for group in args.traffic.groups:
        members += [(f"{name}-tdg-{group.name}", groups[group.name].tdg_id, user) for user in group.user_ids]
    for group_name, tdg_id, user_id in members:
        agent = user_id.rsplit("/", 1)[-1]
        TrafficDistributionGroupUser(
            f"{name}-user-{agent}",
            TrafficDistributionGroupUserArgs(
                tdg_id=tdg_id, user_id=user_id, instance_id=args.instance_id, region=args.source_region
            ),
            opts=pulumi.ResourceOptions(parent=parent, aliases=[pulumi.Alias(name=f"{group_name}-user-{agent}")]),
        )


def _numbers(
    name: str,
    args: GlobalResiliencyArgs,
    default_tdg_arn: pulumi.Output[str],
    groups: dict[str, TrafficDistributionGroup],
    parent: pulumi.Resource,
) -> None:
    """Each number claimed to its group, protected, and started in its flow (again after a move)."""
    for index, number in enumerate(args.phone_numbers):
        target = groups[number.traffic_group].arn if number.traffic_group else default_tdg_arn
        claimed = aws.connect.PhoneNumber(
            f"{name}-number-{index}",
            country_code=number.country_code,
            type=number.type,
            prefix=number.prefix,
            description=number.description or None,
            target_arn=target,
            region=args.source_region,
            opts=pulumi.ResourceOptions(parent=parent, protect=True),
        )
        if number.flow is not None:
            PhoneNumberFlow(
                f"{name}-number-{index}-flow",
                PhoneNumberFlowArgs(
                    phone_number_id=claimed.id,
                    flow_id=args.flow_ids[number.flow],
                    instance_id=args.instance_id,
                    target_arn=claimed.target_arn,
                    region=args.source_region,
                ),
                opts=pulumi.ResourceOptions(parent=parent),
            )


def _desired_split(
    name: str,
    args: GlobalResiliencyArgs,
    default_tdg_arn: pulumi.Output[str],
    groups: dict[str, TrafficDistributionGroup],
    parent: pulumi.Resource,
) -> pulumi.Output[dict]:
    group_arns = pulumi.Output.all(**{group_name: group.arn for group_name, group in groups.items()})
    document = pulumi.Output.all(default_tdg_arn, group_arns, args.queue_ids).apply(
        lambda resolved: desired_split_document(
            args.traffic,
            (args.source_region, args.replica_region),
            resolved[0],
            resolved[1],
            args.override,
            resolved[2],
        )
    )
    aws.dynamodb.TableItem(
        f"{name}-desired-split",
        table_name=args.config_table_name,
        hash_key="pk",
        range_key="sk",
        item=document.apply(lambda doc: json.dumps(desired_split_item(doc))),
        region=args.source_region,
        opts=pulumi.ResourceOptions(parent=parent),
    )
    return document


class GlobalResiliency(pulumi.ComponentResource):
    """ReplicateInstance into the replica region (waiting for INSTANCE_REPLICATION_COMPLETE and an ACTIVE
    default traffic distribution group), cross-region routing (no call while it is off), a custom traffic
    distribution group per configured group, every configured agent in its group (the default one unless a
    custom group lists them: Connect moves only agents associated with a group), phone numbers claimed to
    their group and protected from destroy, each started in its flow, and the desired split written to the
    config table for the failover controller."""

    replica_arn: pulumi.Output[str]
    default_tdg_arn: pulumi.Output[str]
    tdg_arns: pulumi.Output[list[str]]
    desired_split_version: pulumi.Output[str]

    def __init__(self, name: str, args: GlobalResiliencyArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("connectdr:connect:GlobalResiliency", name, None, opts)
        replica = _replica(name, args, self)
        after_replica = pulumi.ResourceOptions(parent=self, depends_on=[replica])
        CrossRegionRouting(
            f"{name}-cross-region-routing",
            CrossRegionRoutingArgs(
                instance_id=args.instance_id, region=args.source_region, enabled=args.cross_region_routing
            ),
            opts=after_replica,
        )
        groups = _custom_groups(name, args, after_replica)
        _agents(name, args, replica.default_tdg_id, groups, self)
        _numbers(name, args, replica.default_tdg_arn, groups, self)
        document = _desired_split(name, args, replica.default_tdg_arn, groups, self)
        self.replica_arn = replica.replica_arn
        self.default_tdg_arn = replica.default_tdg_arn
        self.tdg_arns = pulumi.Output.all(replica.default_tdg_arn, *[group.arn for group in groups.values()])
        self.desired_split_version = document.apply(lambda doc: doc["version"])
        self.register_outputs(
            {
                "replica_arn": self.replica_arn,
                "default_tdg_arn": self.default_tdg_arn,
                "tdg_arns": self.tdg_arns,
                "desired_split_version": self.desired_split_version,
            }
        )
