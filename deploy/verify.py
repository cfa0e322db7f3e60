"""`verify`: prove replication and the data path in a real account, then clean up."""

import sys
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import TextIO

from botocore.exceptions import ClientError

from deploy.backend import StackBackend
from deploy.cloud import CloudClients
from deploy.deployment import Deployment, load_deployment

CANARY_PK = "canary"
ITERATOR_AGE_LIMIT_MS = 60_000
GROUP_IN_PROGRESS = frozenset({"UPDATE_IN_PROGRESS"})
FINDINGS_SHOWN = 10
FINDINGS = "replication findings"
REPLICATION_STOPPED = frozenset({"BLOCKED", "DISABLED"})
REPLICATED_TYPES = (
    "AGENT",
    "CONTACT_FLOW",
    "FLOW_MODULE",
    "OPERATING_HOURS",
    "PHONE_NUMBER",
    "PROMPT",
    "QUEUE",
    "ROUTING_PROFILE",
    "SECURITY_PROFILE",
)
"""Resource types asked about (ListReplicationFindings takes one type per call)."""


@dataclass(frozen=True)
class Check:
    name: str
    ok: bool
    detail: str
    in_progress: bool = False
    """Not failed: AWS is still applying a change (reported, not counted as a failure)."""

    @property
    def mark(self) -> str:
        return "in progress" if self.in_progress else "ok" if self.ok else "FAIL"


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


def guarded(name: str, run: Callable[[], Check]) -> Check:
    """`run`'s check, or a failed check naming the call and AWS's answer when AWS refuses a call (access
    denied, throttled past botocore's retries): one line in the report, and the other checks still run.
    No credentials or no route to AWS fails every check alike: that reaches the command boundary (exit 4)."""
    try:
        return run()
    except ClientError as error:
        details = error.response.get("Error", {})
        return Check(name, False, f"{error.operation_name}: {details.get('Code')}: {details.get('Message')}")


def replica_check(cloud: CloudClients, deployment: Deployment) -> Check:
    def check() -> Check:
        response = cloud.client("connect", deployment.source).describe_instance(InstanceId=deployment.instance_id)
        summaries = response.get("ReplicationConfiguration", {}).get("ReplicationStatusSummaryList", [])
        status = next(
            (s["ReplicationStatus"] for s in summaries if s.get("Region") == deployment.replica), "not listed"
        )
        return Check(f"replica in {deployment.replica}", status == "INSTANCE_REPLICATION_COMPLETE", status)

    return guarded(f"replica in {deployment.replica}", check)


def traffic_group_checks(cloud: CloudClients, deployment: Deployment) -> list[Check]:
    """ACTIVE passes, UPDATE_IN_PROGRESS (a split being applied) is in progress, anything else fails."""
    connect = cloud.client("connect", deployment.source)

    def group_check(arn: str) -> Check:
        group = connect.describe_traffic_distribution_group(TrafficDistributionGroupId=arn)["TrafficDistributionGroup"]
        status = group["Status"]
        name = f"traffic group {group.get('Name', arn)}"
        return Check(name, status == "ACTIVE", status, in_progress=status in GROUP_IN_PROGRESS)

    return [guarded(f"traffic group {arn}", lambda arn=arn: group_check(arn)) for arn in deployment.tdg_arns]


@dataclass
class ReplicationReport:
    """What ListReplicationFindings says across the resource types asked about."""

    findings: list[dict] = field(default_factory=list)
    stopped: list[str] = field(default_factory=list)
    """Resource types whose replication to a region is BLOCKED or DISABLED."""
    drifting: list[str] = field(default_factory=list)
    """Resource types with resources not yet in sync in a region (approximate counts)."""

    def add(self, resource_type: str, page: dict, first: bool) -> None:
        self.findings += page.get("ReplicationFindingsList", [])
        if not first:
            return  # statuses and counts are the same on every page
        for status in page.get("ResourceReplicationStatuses", []):
            if status.get("Status") in REPLICATION_STOPPED:
                region = status.get("Region", "?")
                self.stopped.append(f"replication of {resource_type} to {region} is {status['Status']}")
        for count in page.get("ApproximateDriftedResourceCounts", []):
            if count.get("Count"):
                self.drifting.append(f"{count['Count']} {resource_type} in {count.get('Region', '?')}")

    def check(self) -> Check:
        if not (self.findings or self.stopped or self.drifting):
            return Check(FINDINGS, True, f"none for {', '.join(REPLICATED_TYPES)}")
        if not (self.findings or self.stopped):
            return Check(FINDINGS, False, "not yet in sync: " + ", ".join(self.drifting), in_progress=True)
        parts = list(self.stopped)
        if self.findings:
            shown = [
                f"{finding.get('ResourceType', 'resource')} {finding.get('Name') or finding.get('Id', '?')} "
                f"({finding.get('Operation', '?')} in {finding.get('Region', '?')}): "
                f"{finding.get('Message', 'no message')}"
                for finding in self.findings[:FINDINGS_SHOWN]
            ]
            more = f"; and {len(self.findings) - FINDINGS_SHOWN} more" if len(self.findings) > FINDINGS_SHOWN else ""
            parts.append(f"{len(self.findings)} not replicated: " + "; ".join(shown) + more)
        return Check(FINDINGS, False, "; ".join(parts))


def replication_findings_check(cloud: CloudClients, deployment: Deployment) -> Check:
    """ListReplicationFindings for each resource type the contact center uses: resources Global Resiliency
    could not replicate, with AWS's message, and resource types whose replication is blocked or disabled,
    fail; resources merely not yet in sync are in progress."""
    connect = cloud.client("connect", deployment.source)

    def check() -> Check:
        report = ReplicationReport()
        for resource_type in REPLICATED_TYPES:
            token: str | None = None
            while True:
                page = connect.list_replication_findings(
                    InstanceId=deployment.instance_id,
                    ResourceType=resource_type,
                    MaxResults=100,
                    **({"NextToken": token} if token else {}),
                )
                report.add(resource_type, page, first=token is None)
                token = page.get("NextToken")
                if not token:
                    break
        return report.check()

    return guarded(FINDINGS, check)


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
        guarded(
            f"replication {region} -> {deployment.other(region)}",
            lambda region=region: canary_round_trip(
                cloud, deployment, region, timeout=timeout, poll=poll, clock=clock, sleep=sleep
            ),
        )
        for region in deployment.regions
    ]
    checks.append(replica_check(cloud, deployment))
    checks.append(replication_findings_check(cloud, deployment))
    checks.extend(traffic_group_checks(cloud, deployment))
    now = datetime.now(UTC)
    checks.extend(
        guarded(f"stream consumer in {region}", lambda region=region: consumer_check(cloud, deployment, region, now))
        for region in deployment.regions
    )
    for check in checks:
        print(f"  [{check.mark}] {check.name}: {check.detail}", file=out)
    failed = [check for check in checks if not check.ok and not check.in_progress]
    waiting = [check for check in checks if check.in_progress]
    passed = len(checks) - len(failed) - len(waiting)
    print(f"verify: {passed} checks passed, {len(failed)} failed, {len(waiting)} in progress", file=out)
    return 1 if failed else 0
