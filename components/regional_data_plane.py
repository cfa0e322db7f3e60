"""RegionalDataPlane: everything one region runs on its own, so it keeps working when the other is down."""

from dataclasses import dataclass

import pulumi

from components.alerts import alert_topic
from components.data_sync import DataSyncArgs, build_data_sync
from components.table_refs import TableRefs
from config.operations import DataSync


@dataclass
class RegionalDataPlaneArgs:
    name_prefix: pulumi.Input[str]
    region: str
    other_region: str
    instance_id: pulumi.Input[str]
    tables: TableRefs
    data_sync: DataSync
    alert_email: str


class RegionalDataPlane(pulumi.ComponentResource):
    """Per region: the alert topic; Kinesis streams for contact trace records and agent events attached to
    the region's instance and drained by stream_sync into the global tables, with lag alarms."""

    alert_topic_arn: pulumi.Output[str]
    consumer_name: pulumi.Output[str]
    stream_names: pulumi.Output[list[str]]

    def __init__(self, name: str, args: RegionalDataPlaneArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("connectdr:data:RegionalDataPlane", name, None, opts)
        topic = alert_topic(name, args.region, args.alert_email, self)
        sync = build_data_sync(
            f"{name}-sync",
            DataSyncArgs(
                name_prefix=args.name_prefix,
                region=args.region,
                other_region=args.other_region,
                instance_id=args.instance_id,
                tables=args.tables,
                settings=args.data_sync,
                alarm_topic_arn=topic.arn,
            ),
            self,
        )
        self.alert_topic_arn = topic.arn
        self.consumer_name = sync.consumer.name
        self.stream_names = pulumi.Output.all(*[stream.name for stream in sync.streams.values()])
        self.register_outputs(
            {
                "alert_topic_arn": self.alert_topic_arn,
                "consumer_name": self.consumer_name,
                "stream_names": self.stream_names,
            }
        )
