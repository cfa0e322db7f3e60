"""The failover drill: move all traffic away from a region through the controller, time it, put it back, with an
override in the desired item (`deploy/plan_drill.py` runs it through the Region switch plan)."""

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from connect.desired_split import telephony_in_force
from deploy.traffic_ops import (
    OperationError,
    RegionPorts,
    effective_telephony,
    invoke_controller,
    read_desired,
    region_health,
    update_desired,
)

NO_OVERRIDE = {"mode": "none", "region": None}


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
    then lift the override and wait until the split in force is back. Refuses when the region that would
    take the calls is not healthy. Every write of the desired item is conditional on what was read, so the
    drill never overwrites a change made while it runs."""
    report = DrillReport(away_from=away_from, to=to.region)
    health = region_health(to.cloudwatch, targets.health_alarm)
    if health != "healthy":
        raise OperationError(f"refusing to drill: {to.region} is {health}; calls would move to an unhealthy region")
    forced = {"mode": "force", "region": to.region}

    def force(document: dict[str, Any]) -> dict[str, Any]:
        if document.get("override", NO_OVERRIDE).get("mode", "none") != "none":
            raise OperationError(f"refusing to drill: an override is already set ({document['override']})")
        return {**document, "override": forced}

    update_desired(to.table, force)
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
    except KeyboardInterrupt:
        # Stop at once, but not with all traffic forced away: lift the override, without waiting for the split.
        lifted = _lift(to, forced)
        invoke_controller(to.lambda_client, targets.controller, "drill-restore")
        raise KeyboardInterrupt(
            "the drill's override is lifted and the controller asked to apply the split in force"
            if lifted is not None
            else f"the override was changed while the drill ran: left as it is ({read_desired(to.table)['override']})"
        ) from None
    except Exception:  # a timeout or a failed call: put the split back, then say why
        _restore(to, targets, report, forced, timeout_seconds, poll_seconds, clock, sleep)
        raise
    _restore(to, targets, report, forced, timeout_seconds, poll_seconds, clock, sleep)
    return report


def _lift(to: RegionPorts, forced: dict[str, Any]) -> dict[str, Any] | None:
    """Take the drill's override off the desired item, if it is still the drill's; the new document, or None."""
    return update_desired(
        to.table, lambda document: {**document, "override": NO_OVERRIDE} if document.get("override") == forced else None
    )


def _restore(
    to: RegionPorts,
    targets: DrillTargets,
    report: DrillReport,
    forced: dict[str, Any],
    timeout: float,
    poll: float,
    clock: Callable[[], float],
    sleep: Callable[[float], None],
) -> None:
    """Lift the drill's override and wait for the split in force. Only the override is lifted: a split written
    while the drill ran (`split --direct`, `up`) stays; an override someone else set meanwhile stays too (and
    the drill fails saying so)."""
    lifted = _lift(to, forced)
    if lifted is None:
        raise OperationError(
            f"the override was changed while the drill ran (now {read_desired(to.table).get('override')}): left as it "
            "is, nothing restored"
        )
    report.steps.append("override removed (a split written meanwhile is kept)")
    restarted = clock()
    invoke_controller(to.lambda_client, targets.controller, "drill-restore")
    expected = telephony_in_force(lifted, datetime.now(UTC))
    _wait(
        "the desired split to return",
        lambda: effective_telephony(to.connect, targets.default_tdg_arn) == expected,
        timeout,
        poll,
        clock,
        sleep,
    )
    report.restored_after_seconds = clock() - restarted
    report.steps.append(f"desired split {expected} back after {report.restored_after_seconds:.1f} s")
