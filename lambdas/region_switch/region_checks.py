"""`deploy verify`-style checks of the region that now carries calls, from that region alone.

Only this region's endpoints are called, so a check never waits on the region being deactivated: the
instance's replication status as this region reports it, each global table here and its replica in the other
region, and this region's stream consumer keeping up with Connect's streams.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

REPLICATION_COMPLETE = "INSTANCE_REPLICATION_COMPLETE"
ACTIVE = "ACTIVE"
LAG_WINDOW = timedelta(minutes=10)

Check = tuple[str, bool, str]


@dataclass(frozen=True)
class CheckTargets:
    instance_id: str
    tables: tuple[str, ...]
    other_region: str
    consumer: str
    iterator_age_limit_ms: float


def replication(connect: Any, targets: CheckTargets) -> Check:
    """The replication statuses this region's DescribeInstance lists, each complete. Connect documents them on the
    source instance only: a replica that lists none is taken as no evidence either way (the source region, which
    may be the one being deactivated, is not asked)."""
    response = connect.describe_instance(InstanceId=targets.instance_id)
    summaries = response.get("ReplicationConfiguration", {}).get("ReplicationStatusSummaryList", [])
    if not summaries:
        return (
            "instance replication",
            True,
            "no status listed by this region's DescribeInstance (no evidence either way)",
        )
    statuses = {s.get("Region", "?"): s.get("ReplicationStatus", "?") for s in summaries}
    shown = ", ".join(f"{region} {status}" for region, status in sorted(statuses.items()))
    return ("instance replication", all(status == REPLICATION_COMPLETE for status in statuses.values()), shown)


def global_table(dynamodb: Any, name: str, other_region: str) -> Check:
    table = dynamodb.describe_table(TableName=name)["Table"]
    replica = next((r for r in table.get("Replicas", []) if r.get("RegionName") == other_region), None)
    replica_status = replica.get("ReplicaStatus", "?") if replica else "not listed"
    detail = f"table {table.get('TableStatus')}, replica in {other_region} {replica_status}"
    return (f"table {name}", table.get("TableStatus") == ACTIVE and replica_status == ACTIVE, detail)


def consumer_lag(cloudwatch: Any, targets: CheckTargets, now: datetime) -> Check:
    response = cloudwatch.get_metric_statistics(
        Namespace="AWS/Lambda",
        MetricName="IteratorAge",
        Dimensions=[{"Name": "FunctionName", "Value": targets.consumer}],
        StartTime=now - LAG_WINDOW,
        EndTime=now,
        Period=60,
        Statistics=["Maximum"],
    )
    points = response.get("Datapoints", [])
    if not points:
        return ("stream consumer", True, "no records in the last 10 minutes (idle)")
    worst = max(point["Maximum"] for point in points)
    return ("stream consumer", worst <= targets.iterator_age_limit_ms, f"iterator age up to {worst / 1000:.1f} s")


def guarded(name: str, run: Callable[[], Check]) -> Check:
    """A call AWS refuses (access denied, throttled past retries) is a failed check naming the call."""
    try:
        return run()
    except ClientError as error:
        details = error.response.get("Error", {})
        return (name, False, f"{error.operation_name}: {details.get('Code')}: {details.get('Message')}")
    except BotoCoreError as error:
        return (name, False, str(error))


def run_checks(ports: Any, targets: CheckTargets, now: datetime) -> list[Check]:
    results = [guarded("instance replication", lambda: replication(ports.connect, targets))]
    results += [
        guarded(f"table {name}", lambda name=name: global_table(ports.dynamodb, name, targets.other_region))
        for name in targets.tables
    ]
    results.append(guarded("stream consumer", lambda: consumer_lag(ports.cloudwatch, targets, now)))
    return results
