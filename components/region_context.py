"""What every regional building block needs to know about where it runs."""

from dataclasses import dataclass

import pulumi

from components.table_refs import TableRefs


@dataclass(frozen=True)
class RegionContext:
    """This stack's region, its peer, the (shared) instance id, the tables here and the alert topic."""

    name_prefix: pulumi.Input[str]
    region: str
    other_region: str
    instance_id: pulumi.Input[str]
    tables: TableRefs
    alarm_topic_arn: pulumi.Input[str]
