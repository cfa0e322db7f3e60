"""`verify`: prove replication and the data path in a real account, then clean up."""

import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TextIO

from deploy.backend import StackBackend
from deploy.cloud import CloudClients
from deploy.deployment import Deployment, load_deployment

CANARY_PK = "canary"
ITERATOR_AGE_LIMIT_MS = 60_000


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str


def canary_round_trip(
    cloud: CloudClients,
    deployment: Deployment,
    writer: str,
    *,
    timeout: float,
    poll: float,
    clock: Callable[[], float],
    sleep: Callable[[float], None],
) -> Check:
    """Write a canary in `writer`'s replica of the config table and time until the other region reads it."""
    reader = deployment.other(writer)
    key = {"pk": CANARY_PK, "sk": f"{writer}#{uuid.uuid4()}"}
    source, target = cloud.table(writer, deployment.config_table), cloud.table(reader, deployment.config_table)
    expires = int(time.time()) + 3600
    started = clock()
    source.put_item(Item={**key, "document": "{}", "expiresAt": expires})
    try:
        while clock() - started <= timeout:
            if target.get_item(Key=key, ConsistentRead=False).get("Item"):
                lag = clock() - started
                return Check(f"replication {writer} -> {reader}", True, f"canary readable after {lag:.2f} s")
            sleep(poll)
        return Check(f"replication {writer} -> {reader}", False, f"canary not readable within {timeout:.0f} s")
    finally:
        source.delete_item(Key=key)


def replica_check(cloud: CloudClients, deployment: Deployment) -> Check:
    response = cloud.client("connect", deployment.source).describe_instance(InstanceId=deployment.instance_id)
    summaries = response.get("ReplicationConfiguration", {}).get("ReplicationStatusSummaryList", [])
    status = next((s["ReplicationStatus"] for s in summaries if s.get("Region") == deployment.replica), "not listed")
    return Check(f"replica in {deployment.replica}", status == "INSTANCE_REPLICATION_COMPLETE", status)


def traffic_group_checks(cloud: CloudClients, deployment: Deployment) -> list[Check]:
    connect = cloud.client("connect", deployment.source)
    checks = []
    for arn in deployment.tdg_arns:
        group = connect.describe_traffic_distribution_group(TrafficDistributionGroupId=arn)["TrafficDistributionGroup"]
        checks.append(Check(f"traffic group {group.get('Name', arn)}", group["Status"] == "ACTIVE", group["Status"]))
    return checks


def consumer_check(cloud: CloudClients, deployment: Deployment, region: str, now: datetime) -> Check:
    response = cloud.client("cloudwatch", region).get_metric_statistics(
        Namespace="AWS/Lambda",
        MetricName="IteratorAge",
        Dimensions=[{"Name": "FunctionName", "Value": deployment.consumers[region]}],
        StartTime=now - timedelta(minutes=10),
        EndTime=now,
        Period=60,
        Statistics=["Maximum"],
    )
    points = response.get("Datapoints", [])
    if not points:
        return Check(f"stream consumer in {region}", True, "no records in the last 10 minutes (idle)")
    worst = max(point["Maximum"] for point in points)
    return Check(
        f"stream consumer in {region}", worst < ITERATOR_AGE_LIMIT_MS, f"iterator age up to {worst / 1000:.1f} s"
    )


def run_verify(
    backend: StackBackend,
    cloud: CloudClients,
    *,
    out: TextIO = sys.stdout,
    timeout: float = 30,
    poll: float = 0.5,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> int:
    deployment = load_deployment(backend)
    checks = [
        canary_round_trip(cloud, deployment, region, timeout=timeout, poll=poll, clock=clock, sleep=sleep)
        for region in deployment.regions
    ]
    checks.append(replica_check(cloud, deployment))
    checks.extend(traffic_group_checks(cloud, deployment))
    now = datetime.now(UTC)
    checks.extend(consumer_check(cloud, deployment, region, now) for region in deployment.regions)
    for check in checks:
        print(f"  [{'ok' if check.ok else 'FAIL'}] {check.name}: {check.detail}", file=out)
    failed = [check for check in checks if not check.ok]
    print(f"verify: {len(checks) - len(failed)} checks passed, {len(failed)} failed", file=out)
    return 1 if failed else 0
