"""The failover drill through the deployment's Region switch plan: the plan's deactivation of a region, then its
activation, each followed to its end, so a drill also exercises the managed runbook. The driver never approves a
step, and whatever stops the drill once the deactivation may have started (a failed call, a timeout, Ctrl-C)
either still runs the way back or says how to bring the calls back."""

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from connect.desired_split import telephony_in_force
from deploy.drill import DrillReport
from deploy.region_switch import (
    ENDED,
    STOPPED,
    Execution,
    cancel,
    described,
    follow,
    new_client_token,
    start_execution,
)
from deploy.traffic_ops import OperationError, RegionPorts, effective_telephony, read_desired, region_health


@dataclass(frozen=True)
class PlanDrillTargets:
    plan_arn: str
    health_alarm: str
    default_tdg_arn: str


@dataclass(frozen=True)
class _Timing:
    timeout_seconds: float
    poll_seconds: float
    say: Callable[[str], None]
    clock: Callable[[], float]
    sleep: Callable[[float], None]

    def follow(self, client: Any, execution: Execution, until: frozenset[str] = ENDED | STOPPED) -> Execution:
        return follow(
            client,
            execution,
            timeout_seconds=self.timeout_seconds,
            poll_seconds=self.poll_seconds,
            say=self.say,
            clock=self.clock,
            sleep=self.sleep,
            until=until,
        )


def _way_back(away_from: str, to: str) -> str:
    return (
        f"calls may still be forced to {to}; run the plan's activate workflow for {away_from} again, or end the "
        "override in the desired item"
    )


def _way_back_command(away_from: str, to: str, plan_arn: str) -> str:
    """What Ctrl-C leaves to the operator once the deactivation may have run."""
    return (
        f"calls may still be forced to {to}: run the plan's activate workflow for {away_from} (started in "
        f"{away_from}: aws arc-region-switch start-plan-execution --region {away_from} --plan-arn {plan_arn} "
        f"--target-region {away_from} --action activate --mode graceful), or end the override in the desired item"
    )


def _cancel(client: Any, execution: Execution, why: str) -> str | None:
    """CancelPlanExecution; why it failed, or None."""
    try:
        cancel(client, execution, why)
    except (ClientError, BotoCoreError) as error:
        return described(error)
    return None


def _start(client: Any, targets: PlanDrillTargets, action: str, target: str, region: str, timing: _Timing) -> Execution:
    """Start one execution in `region`. Ctrl-C before Region switch answered may still have started it: asked again
    with the same client token, Region switch names that execution (or starts it), and it is canceled."""
    token, comment = new_client_token(), f"connectdr drill: {action} {target}"
    try:
        execution_id = start_execution(client, targets.plan_arn, target, action, comment, token)
    except KeyboardInterrupt:
        execution = Execution(
            targets.plan_arn, start_execution(client, targets.plan_arn, target, action, comment, token), region
        )
        failed = _cancel(client, execution, f"connectdr drill interrupted while starting {action} {target}")
        timing.say(
            f"plan execution {execution.execution_id} canceled (interrupted)"
            if failed is None
            else f"plan execution {execution.execution_id} could not be canceled ({failed}): cancel it in the ARC "
            f"console of {region}"
        )
        raise
    execution = Execution(targets.plan_arn, execution_id, region)
    timing.say(f"plan execution {execution_id}: {action} {target}, running in {region}")
    return execution


def _run_plan(
    client: Any, targets: PlanDrillTargets, action: str, target: str, region: str, way_back: str, timing: _Timing
) -> Execution:
    """Start one execution in `region` and follow it; one that stopped or outlived the timeout is canceled and
    followed until it has ended, so the plan is free for the next execution (Region switch runs one at a time)."""
    execution = _start(client, targets, action, target, region, timing)
    try:
        timing.follow(client, execution)
        if execution.state in ENDED:
            return execution
        was = execution.state
        failed = _cancel(client, execution, f"connectdr drill: {action} {target} was {was}")
        if failed is not None:
            raise OperationError(
                f"plan execution {execution.execution_id} ({region}) could not be canceled ({failed}): it is {was}; "
                f"cancel it in the ARC console of {region}; {way_back}"
            )
        execution.canceled_when = was
        timing.say(f"plan execution {execution.execution_id} canceled: it was {was}")
        timing.follow(client, execution, until=ENDED)
        if execution.state not in ENDED:
            raise OperationError(
                f"plan execution {execution.execution_id} ({region}) is still {execution.state} "
                f"{timing.timeout_seconds:.0f} s after it was canceled; {way_back}"
            )
        return execution
    except KeyboardInterrupt:  # the plan would run on alone: stop it, and let the interrupt end the command
        if execution.canceled_when is not None:
            timing.say(f"plan execution {execution.execution_id} was canceled already (interrupted while it ended)")
            raise
        failed = _cancel(client, execution, f"connectdr drill interrupted during {action} {target}")
        timing.say(
            f"plan execution {execution.execution_id} canceled (interrupted); `deploy status` shows where the calls are"
            if failed is None
            else f"plan execution {execution.execution_id} could not be canceled ({failed}): cancel it in the ARC "
            f"console of {region}"
        )
        raise


def run_drill_via_plan(
    away_from: str,
    to: RegionPorts,
    switch: dict[str, Any],
    targets: PlanDrillTargets,
    *,
    timeout_seconds: float = 600,
    poll_seconds: float = 10,
    say: Callable[[str], None] = lambda _line: None,
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
) -> DrillReport:
    """The drill through the managed runbook: the plan's deactivation of `away_from` (run in the receiving
    region), checked on GetTrafficDistribution, then its activation (run in `away_from`), checked against the
    desired split as the item then says. Approval steps wait for their approvers within `timeout_seconds` per
    execution. Refuses, as the direct drill does, when the receiving region is not healthy or an override is
    already set. Whatever happens once the deactivation may have started, the activation still runs, or the error
    (or Ctrl-C) says how to bring the calls back."""
    report = DrillReport(away_from=away_from, to=to.region)

    def step(line: str) -> None:
        report.steps.append(line)
        say(line)

    health = region_health(to.cloudwatch, targets.health_alarm)
    if health != "healthy":
        raise OperationError(f"refusing to drill: {to.region} is {health}; calls would move to an unhealthy region")
    original = read_desired(to.table)
    if original.get("override", {}).get("mode", "none") != "none":
        raise OperationError(f"refusing to drill: an override is already set ({original['override']})")
    timing = _Timing(timeout_seconds, poll_seconds, step, clock, sleep)
    way_back = _way_back(away_from, to.region)
    try:
        return _deactivate_and_back(away_from, to, switch, targets, report, timing, way_back)
    except KeyboardInterrupt:
        raise KeyboardInterrupt(_way_back_command(away_from, to.region, targets.plan_arn)) from None


def _deactivate_and_back(
    away_from: str,
    to: RegionPorts,
    switch: dict[str, Any],
    targets: PlanDrillTargets,
    report: DrillReport,
    timing: _Timing,
    way_back: str,
) -> DrillReport:
    started = timing.clock()
    away = _run_plan(switch[to.region], targets, "deactivate", away_from, to.region, way_back, timing)
    problem = None
    if not away.succeeded:
        problem = f"the plan's deactivation of {away_from} ended {away.outcome}"
    else:
        try:
            left = effective_telephony(to.connect, targets.default_tdg_arn).get(away_from, 0)
        except (ClientError, BotoCoreError) as error:
            problem = f"the split could not be read after the plan's deactivation of {away_from} ({described(error)})"
        else:
            if left != 0:
                problem = f"the plan's deactivation completed but {away_from} still carries {left}% of calls"
            else:
                report.shifted_after_seconds = timing.clock() - started
                timing.say(f"{away_from} at 0% after {report.shifted_after_seconds:.1f} s")
    restarted = timing.clock()
    try:
        back = _run_plan(switch[away_from], targets, "activate", away_from, away_from, way_back, timing)
    except OperationError as error:
        raise OperationError(f"{problem + '; ' if problem else ''}{error}: {way_back}") from None
    if not back.succeeded:
        raise OperationError(
            f"{problem + '; ' if problem else ''}the plan's activation of {away_from} ended {back.outcome}: {way_back}"
        )
    expected = telephony_in_force(read_desired(to.table), datetime.now(UTC))
    shown = effective_telephony(to.connect, targets.default_tdg_arn)
    if shown != expected:
        raise OperationError(f"the plan's activation completed but the split is {shown}, not the desired {expected}")
    report.restored_after_seconds = timing.clock() - restarted
    timing.say(f"desired split {expected} back after {report.restored_after_seconds:.1f} s")
    if problem:
        raise OperationError(f"{problem} (the desired split is back)")
    return report
