"""RegionalDataPlane: everything one region runs on its own, so it keeps working when the other is down."""

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi

from components.alerts import alert_topic
from components.data_sync import DataSyncArgs, build_data_sync
from components.failover import FailoverArgs, build_failover
from components.primary_link import PrimaryLink
from components.recordings import RecordingsArgs, build_recordings
from components.region_context import RegionContext
from components.region_switch import RegionSwitchStepsArgs, build_region_switch_steps
from components.table_refs import TableRefs
from config.operations import DataSync, Failover, Recordings
from config.stack import StackConfig


@dataclass
class RegionalDataPlaneArgs:
    name_prefix: pulumi.Input[str]
    region: str
    other_region: str
    instance_id: pulumi.Input[str]
    tdg_arns: pulumi.Input[list[str]]
    tables: TableRefs
    data_sync: DataSync
    failover: Failover
    recordings: Recordings
    alert_email: str
    reconcile_on: pulumi.Input[str] | None = None
    """The desired split's version (primary stack): a change invokes the controller during `pulumi up`."""
    reconcile_after: Sequence[pulumi.Resource] = ()
    tie_breaker: bool = False
    """This region's controller acts when neither controller can see the other (`failover.tieBreaker`)."""

    @classmethod
    def from_config(
        cls, cfg: StackConfig, link: PrimaryLink, tables: TableRefs, resiliency: pulumi.Resource | None
    ) -> "RegionalDataPlaneArgs":
        """The primary stack passes its GlobalResiliency, whose desired split the controller reconciles."""
        return cls(
            name_prefix=link.name_prefix,
            region=cfg.region,
            other_region=cfg.other_region,
            instance_id=link.instance_id,
            tdg_arns=link.tdg_arns,
            tables=tables,
            data_sync=cfg.data_sync,
            failover=cfg.failover,
            recordings=cfg.recordings,
            alert_email=cfg.alerts.email,
            reconcile_on=getattr(resiliency, "desired_split_version", None),
            reconcile_after=[resiliency] if resiliency is not None else [],
            tie_breaker=(cfg.failover.tie_breaker == "source") == cfg.is_primary,
        )


class RegionalDataPlane(pulumi.ComponentResource):
    """Per region: the alert topic; Kinesis streams for contact trace records and agent events attached to
    the region's instance and drained by stream_sync into the global tables, with lag alarms; the
    failover controller with the health alarms it acts on; the Region switch plan's step function when the plan is
    enabled (`failover.regionSwitch`); and the call recordings bucket."""

    alert_topic_arn: pulumi.Output[str]
    consumer_name: pulumi.Output[str]
    controller_name: pulumi.Output[str]
    health_alarm_name: pulumi.Output[str]
    recordings_bucket: pulumi.Output[str]
    recordings_key_arn: pulumi.Output[str]
    region_switch_function_arn: pulumi.Output[str] | None
    stream_names: pulumi.Output[list[str]]

    def __init__(self, name: str, args: RegionalDataPlaneArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("connectdr:data:RegionalDataPlane", name, None, opts)
        topic = alert_topic(name, args.region, args.alert_email, self)
        context = RegionContext(
            name_prefix=args.name_prefix,
            region=args.region,
            other_region=args.other_region,
            instance_id=args.instance_id,
            tables=args.tables,
            alarm_topic_arn=topic.arn,
        )
        sync = build_data_sync(f"{name}-sync", DataSyncArgs(context, args.data_sync), self)
        failover = build_failover(
            f"{name}-failover",
            FailoverArgs(
                context=context,
                tdg_arns=args.tdg_arns,
                settings=args.failover,
                reconcile_on=args.reconcile_on,
                reconcile_after=args.reconcile_after,
                tie_breaker=args.tie_breaker,
            ),
            self,
        )
        self.region_switch_function_arn = None
        if args.failover.region_switch.enabled:
            steps = RegionSwitchStepsArgs(
                context=context,
                controller=failover.controller,
                health_alarm_name=failover.health_alarm.alarm_name,
                tdg_arns=args.tdg_arns,
                consumer_name=sync.consumer.name,
                iterator_age_limit_ms=args.data_sync.iterator_age_alarm_seconds * 1000,
            )
            self.region_switch_function_arn = build_region_switch_steps(f"{name}-region-switch", steps, self).arn
        recordings = build_recordings(f"{name}-recordings", RecordingsArgs(context, args.recordings), self)
        self.recordings_bucket = recordings.versioned_bucket_name
        self.recordings_key_arn = recordings.key.arn
        self.controller_name = failover.controller.name
        self.health_alarm_name = failover.health_alarm.alarm_name
        self.alert_topic_arn = topic.arn
        self.consumer_name = sync.consumer.name
        self.stream_names = pulumi.Output.all(*[stream.name for stream in sync.streams.values()])
        self.register_outputs(
            {
                "alert_topic_arn": self.alert_topic_arn,
                "consumer_name": self.consumer_name,
                "controller_name": self.controller_name,
                "health_alarm_name": self.health_alarm_name,
                "stream_names": self.stream_names,
                "recordings_bucket": self.recordings_bucket,
                "recordings_key_arn": self.recordings_key_arn,
                "region_switch_function_arn": self.region_switch_function_arn,
            }
        )
