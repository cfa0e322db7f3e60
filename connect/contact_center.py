"""ContactCenter: the source Amazon Connect instance and what the service mirrors to the replica."""

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from config.contact_center import DAYS
from config.contact_center import ContactCenter as ContactCenterConfig
from config.flows import Flow
from config.names import flow_part, queue_part
from connect.flows import creation_order, needed, placeholder_key, region_neutral, render


def _clock(text: str) -> dict[str, int]:
    hours, minutes = text.split(":")
    return {"hours": int(hours), "minutes": int(minutes)}


@dataclass
class ContactCenterArgs:
    config: ContactCenterConfig
    region: str
    customer_lookup_arn: pulumi.Input[str]
    """The customer_lookup function's ARN once it is associated with the instance: flows are created after
    the association, since Connect validates the functions a published flow invokes."""


def _flows(
    name: str,
    flows: list[Flow],
    instance_id: pulumi.Output[str],
    ids: dict[str, pulumi.Output[str]],
    region: str,
    parent: pulumi.Resource,
) -> dict[str, pulumi.Output[str]]:
    """Each flow with its placeholders resolved from `ids`, after the flows it names; their ids by name."""
    texts = {flow.name: flow.read() for flow in flows}
    flow_ids: dict[str, pulumi.Output[str]] = {}
    for flow in creation_order(flows, texts):
        content = pulumi.Output.all(**{key: ids[key] for key in needed(texts[flow.name])}).apply(
            lambda values, flow=flow: render(flow.name, texts[flow.name], values)
        )
        created = aws.connect.ContactFlow(
            f"{name}-flow-{flow_part(flow.name)}",
            instance_id=instance_id,
            name=flow.name,
            description=flow.description or f"{flow.name} ({flow.file})",
            type=flow.type,
            content=content,
            region=region,
            opts=pulumi.ResourceOptions(parent=parent),
        )
        ids[placeholder_key("flow", flow.name)] = created.contact_flow_id
        flow_ids[flow.name] = created.contact_flow_id
    return flow_ids


class ContactCenter(pulumi.ComponentResource):
    """A SAML instance (ReplicateInstance requires SAML) with inbound and outbound calls, flow logs and
    Contact Lens; hours of operation for all seven days; queues; routing profiles; and the stack's flows,
    their placeholders resolved to ids (referenced flows first). Created in the source region only:
    Global Resiliency mirrors them to the replica."""

    instance_id: pulumi.Output[str]
    instance_arn: pulumi.Output[str]
    flow_ids: dict[str, pulumi.Output[str]]
    queue_ids: pulumi.Output[list[str]]

    def __init__(self, name: str, args: ContactCenterArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("connectdr:connect:ContactCenter", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        cfg, region = args.config, args.region
        instance = aws.connect.Instance(
            f"{name}-instance",
            instance_alias=cfg.instance.alias,
            identity_management_type=cfg.instance.identity_management,
            inbound_calls_enabled=cfg.instance.inbound_calls,
            outbound_calls_enabled=cfg.instance.outbound_calls,
            contact_flow_logs_enabled=cfg.instance.contact_flow_logs,
            contact_lens_enabled=cfg.instance.contact_lens,
            region=region,
            opts=child,
        )
        hours = aws.connect.HoursOfOperation(
            f"{name}-hours",
            instance_id=instance.id,
            name=cfg.hours.name,
            description="Hours of operation (start == end means open all day)",
            time_zone=cfg.hours.time_zone,
            configs=[
                aws.connect.HoursOfOperationConfigArgs(
                    day=day,
                    start_time=aws.connect.HoursOfOperationConfigStartTimeArgs(**_clock(cfg.hours.days[day].start)),
                    end_time=aws.connect.HoursOfOperationConfigEndTimeArgs(**_clock(cfg.hours.days[day].end)),
                )
                for day in DAYS
            ],
            region=region,
            opts=child,
        )
        queues = {
            queue.name: aws.connect.Queue(
                f"{name}-queue-{queue_part(queue.name)}",
                instance_id=instance.id,
                name=queue.name,
                description=queue.description or queue.name,
                hours_of_operation_id=hours.hours_of_operation_id,
                max_contacts=queue.max_contacts,
                region=region,
                opts=child,
            )
            for queue in cfg.queues
        }
        for profile in cfg.routing_profiles:
            aws.connect.RoutingProfile(
                f"{name}-profile-{queue_part(profile.name)}",
                instance_id=instance.id,
                name=profile.name,
                description=f"Answers {', '.join(profile.queues)}",
                default_outbound_queue_id=queues[profile.default_outbound_queue].queue_id,
                media_concurrencies=[
                    aws.connect.RoutingProfileMediaConcurrencyArgs(
                        channel="VOICE", concurrency=profile.voice_concurrency
                    )
                ],
                queue_configs=[
                    aws.connect.RoutingProfileQueueConfigArgs(
                        channel="VOICE", delay=0, priority=priority, queue_id=queues[queue_name].queue_id
                    )
                    for priority, queue_name in enumerate(profile.queues, start=1)
                ],
                region=region,
                opts=child,
            )
        ids: dict[str, pulumi.Output[str]] = {
            placeholder_key("queue", queue_name): queue.queue_id for queue_name, queue in queues.items()
        }
        ids[placeholder_key("hours", cfg.hours.name)] = hours.hours_of_operation_id
        ids[placeholder_key("lambda", "customer-lookup")] = pulumi.Output.from_input(args.customer_lookup_arn).apply(
            region_neutral
        )
        self.flow_ids = _flows(name, cfg.flows, instance.id, ids, region, self)
        self.instance_id = instance.id
        self.instance_arn = instance.arn
        self.queue_ids = pulumi.Output.all(*[queue.queue_id for queue in queues.values()])
        self.register_outputs(
            {
                "instance_id": self.instance_id,
                "instance_arn": self.instance_arn,
                "flow_ids": self.flow_ids,
                "queue_ids": self.queue_ids,
            }
        )
