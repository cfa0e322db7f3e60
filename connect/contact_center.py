"""ContactCenter: the source Amazon Connect instance and what the service mirrors to the replica."""

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from config.contact_center import DAYS, FLOW_QUEUES
from config.contact_center import ContactCenter as ContactCenterConfig
from connect.flows import INBOUND_FLOW_NAME, render_flow


def _clock(text: str) -> dict[str, int]:
    hours, minutes = text.split(":")
    return {"hours": int(hours), "minutes": int(minutes)}


@dataclass
class ContactCenterArgs:
    config: ContactCenterConfig
    region: str
    customer_lookup_function: pulumi.Input[str]


class ContactCenter(pulumi.ComponentResource):
    """A SAML instance (ReplicateInstance requires SAML) with inbound and outbound calls, flow logs and
    Contact Lens; hours of operation for all seven days; queues; routing profiles; and the inbound flow.
    Created in the source region only: Global Resiliency mirrors them to the replica."""

    instance_id: pulumi.Output[str]
    instance_arn: pulumi.Output[str]
    inbound_flow_id: pulumi.Output[str]

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
                f"{name}-queue-{queue.name.lower()}",
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
                f"{name}-profile-{profile.name.lower()}",
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
        account_id = aws.get_caller_identity_output().account_id
        placeholders = {key: queues[queue_name].arn for key, queue_name in FLOW_QUEUES.items()}
        content = pulumi.Output.all(
            account_id=account_id, customer_lookup_function=args.customer_lookup_function, **placeholders
        ).apply(lambda values: render_flow("inbound", values))
        inbound = aws.connect.ContactFlow(
            f"{name}-flow-inbound",
            instance_id=instance.id,
            name=INBOUND_FLOW_NAME,
            description="Looks the caller up, then routes VIP, prospects and everyone else",
            type="CONTACT_FLOW",
            content=content,
            region=region,
            opts=child,
        )
        self.instance_id = instance.id
        self.instance_arn = instance.arn
        self.inbound_flow_id = inbound.contact_flow_id
        self.register_outputs(
            {
                "instance_id": self.instance_id,
                "instance_arn": self.instance_arn,
                "inbound_flow_id": self.inbound_flow_id,
            }
        )
