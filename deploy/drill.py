"""The failover drill: move all traffic away from a region through the controller, time it, put it back."""

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime

from connect.desired_split import telephony_in_force
from deploy.traffic_ops import (
    OperationError,
    RegionPorts,
    effective_telephony,
    invoke_controller,
    read_desired,
    region_health,
    write_desired,
)


@dataclass
class DrillReport:
    away_from: str
    to: str
    shifted_after_seconds: float | None = None
    restored_after_seconds: float | None = None
    steps: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class DrillTargets:
    controller: str
    health_alarm: str
    default_tdg_arn: str


def _wait(
    what: str,
    done: Callable[[], bool],
    timeout: float,
    poll: float,
    clock: Callable[[], float],
    sleep: Callable[[float], None],
) -> float:
    started = clock()
    while not done():
        if clock() - started > timeout:
            raise OperationError(f"timed out after {timeout:.0f} s waiting for {what}")
        sleep(poll)
    return clock() - started


def run_drill(
    away_from: str,
    to: RegionPorts,
    targets: DrillTargets,
    *,
    timeout_seconds: float = 600,
    poll_seconds: float = 5,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> DrillReport:
    """Force all traffic to `to.region` with an override, wait until GetTrafficDistribution shows it,
    then restore the original desired item and wait until the split is back. Refuses when the region
    that would take the calls is not healthy."""
    report = DrillReport(away_from=away_from, to=to.region)
    health = region_health(to.cloudwatch, targets.health_alarm)
    if health != "healthy":
        raise OperationError(f"refusing to drill: {to.region} is {health}; calls would move to an unhealthy region")
    original = read_desired(to.table)
    if original.get("override", {}).get("mode", "none") != "none":
        raise OperationError(f"refusing to drill: an override is already set ({original['override']})")
    forced = {**original, "override": {"mode": "force", "region": to.region}}
    write_desired(to.table, forced)
    report.steps.append(f"override: force all traffic to {to.region}")
    try:
        started = clock()
        invoke_controller(to.lambda_client, targets.controller, "drill")
        _wait(
            f"{away_from} to reach 0%",
            lambda: effective_telephony(to.connect, targets.default_tdg_arn).get(away_from, 0) == 0,
            timeout_seconds,
            poll_seconds,
            clock,
            sleep,
        )
        report.shifted_after_seconds = clock() - started
        report.steps.append(f"{away_from} at 0% after {report.shifted_after_seconds:.1f} s")
    finally:
        write_desired(to.table, original)
        report.steps.append("override removed: original desired split written back")
        restarted = clock()
        invoke_controller(to.lambda_client, targets.controller, "drill-restore")
        expected = telephony_in_force(original, datetime.now(UTC))
        _wait(
            "the desired split to return",
            lambda: effective_telephony(to.connect, targets.default_tdg_arn) == expected,
            timeout_seconds,
            poll_seconds,
            clock,
            sleep,
        )
        report.restored_after_seconds = clock() - restarted
        report.steps.append(f"desired split {expected} back after {report.restored_after_seconds:.1f} s")
    return report
