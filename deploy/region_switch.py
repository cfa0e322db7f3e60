"""The deployment's ARC Region switch plan from the operator's side: run an execution and follow it, and what
`status` shows (the plan's evaluation, its last executions).

Executions are data-plane calls, made in a region of the plan: a deactivation in the region that keeps the
calls, an activation in the region that gets them back, so neither waits on the region being taken out. The
driver never approves a step: approvals stay with the people the plan names.
"""

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from deploy.cloud import UNREACHABLE
from deploy.traffic_ops import OperationError

SERVICE = "arc-region-switch"
PLAN_OUTPUT = "regionSwitchPlanArn"
SUCCEEDED = frozenset({"completed", "completedWithExceptions", "completedMonitoringApplicationHealth"})
ENDED = SUCCEEDED | {"failed", "canceled", "planExecutionTimedOut"}
STOPPED = frozenset({"pausedByFailedStep", "pausedByOperator"})
"""Not ended, but going nowhere without someone: the drill reports it and cancels."""
AWAITING_APPROVAL = "pendingManualApproval"
EXECUTIONS_SHOWN = 5


def activating_region(action: str, target: str, regions: tuple[str, str]) -> str:
    """Where an execution runs: deactivating a region activates the other one; activating it, itself."""
    return target if action == "activate" else next(region for region in regions if region != target)


@dataclass
class Execution:
    """One execution as followed: where it runs and its final (or last seen) state."""

    plan_arn: str
    execution_id: str
    region: str
    state: str = "pending"
    canceled_when: str | None = None
    """The state it was in when the driver canceled it."""

    @property
    def succeeded(self) -> bool:
        return self.state in SUCCEEDED

    @property
    def outcome(self) -> str:
        return self.state if self.canceled_when is None else f"{self.canceled_when}, then {self.state}"


def new_client_token() -> str:
    """StartPlanExecution's idempotency token: asking again with it names the execution it started."""
    return f"connectdr-{uuid.uuid4()}"


def start_execution(client: Any, plan_arn: str, target: str, action: str, comment: str, client_token: str) -> str:
    """StartPlanExecution in the client's region (graceful: every step runs); the execution id."""
    try:
        response = client.start_plan_execution(
            planArn=plan_arn,
            targetRegion=target,
            action=action,
            mode="graceful",
            comment=comment[:1024],
            latestVersion="true",
            clientToken=client_token,
        )
    except ClientError as error:
        details = error.response.get("Error", {})
        raise OperationError(
            f"the Region switch plan did not start ({action} {target}): {details.get('Code')}: "
            f"{details.get('Message')} "
            "(`deploy status` lists its executions; one may still be running)"
        ) from None
    except BotoCoreError as error:
        raise OperationError(
            f"the Region switch plan did not answer when asked to start ({action} {target}): {error} (it may have "
            "started: `deploy status` lists its executions; cancel a running one in the ARC console)"
        ) from None
    return str(response["executionId"])


def described(error: ClientError | BotoCoreError) -> str:
    """An AWS error in one line: the operation, the code and the message."""
    if isinstance(error, ClientError):
        details = error.response.get("Error", {})
        return f"{error.operation_name}: {details.get('Code')}: {details.get('Message')}"
    return str(error)


def _event_line(event: dict[str, Any]) -> str:
    words = event.get("description") or event.get("error") or ""
    step = f" {event['stepName']}" if event.get("stepName") else ""
    return f"{event.get('type', 'event')}{step}{': ' + words if words else ''}"


def new_events(client: Any, execution: Execution, seen: set[str]) -> list[str]:
    """Events not shown yet, oldest first (ListPlanExecutionEvents, every page); marked seen only once every page
    is read, so a failed page loses no event."""
    lines, keys, token = [], set(), None
    while True:
        page = client.list_plan_execution_events(
            planArn=execution.plan_arn, executionId=execution.execution_id, **({"nextToken": token} if token else {})
        )
        for event in page.get("items", []):
            key = event.get("eventId") or f"{event.get('timestamp')}|{event.get('type')}|{event.get('stepName')}"
            if key not in seen and key not in keys:
                keys.add(key)
                lines.append(_event_line(event))
        token = page.get("nextToken")
        if not token:
            seen.update(keys)
            return lines


def approval_hint(execution: Execution, step: str) -> str:
    return (
        f"step {step} awaits approval: approve in the ARC console ({execution.region}) or, as the plan's approval "
        f"role, aws arc-region-switch approve-plan-execution-step --region {execution.region} --plan-arn "
        f"{execution.plan_arn} --execution-id {execution.execution_id} --step-name {step} --approval approve"
    )


@dataclass
class _Followed:
    """What following an execution has already said."""

    events: set[str] = field(default_factory=set)
    hinted: set[str] = field(default_factory=set)
    failures: set[str] = field(default_factory=set)

    def once(self, line: str, say: Callable[[str], None]) -> None:
        if line not in self.failures:
            self.failures.add(line)
            say(line)


def _poll(client: Any, execution: Execution, followed: _Followed, say: Callable[[str], None]) -> None:
    """One look at the execution: its state, new events, approval waits. A call that fails (throttled, timed out)
    is said once and leaves the state as last seen: the next poll tries again."""
    try:
        response = client.get_plan_execution(planArn=execution.plan_arn, executionId=execution.execution_id)
    except (ClientError, BotoCoreError) as error:
        followed.once(f"could not read plan execution {execution.execution_id} ({described(error)}); trying again", say)
        return
    execution.state = response.get("executionState", "unknown")
    try:
        lines = new_events(client, execution, followed.events)
    except (ClientError, BotoCoreError) as error:
        lines = []
        followed.once(f"could not read the events of plan execution {execution.execution_id} ({described(error)})", say)
    for line in lines:
        say(line)
    for step in response.get("stepStates", []):
        if step.get("status") == "pendingApproval" and step.get("name") not in followed.hinted:
            followed.hinted.add(step["name"])
            say(approval_hint(execution, step["name"]))


def follow(
    client: Any,
    execution: Execution,
    *,
    timeout_seconds: float,
    poll_seconds: float,
    say: Callable[[str], None],
    clock: Callable[[], float] = time.monotonic,
    sleep: Callable[[float], None] = time.sleep,
    until: frozenset[str] = ENDED | STOPPED,
) -> Execution:
    """Poll GetPlanExecution and its events until the execution reaches a state in `until` (by default: ended or
    stopped) or the timeout passes (then it is left as last seen; the caller decides whether to cancel). Every
    event, each approval wait and each failed read is said once."""
    followed = _Followed()
    started = clock()
    while True:
        _poll(client, execution, followed, say)
        if execution.state in until:
            return execution
        if clock() - started > timeout_seconds:
            say(f"still {execution.state} after {timeout_seconds:.0f} s")
            return execution
        sleep(poll_seconds)


def cancel(client: Any, execution: Execution, why: str) -> None:
    client.cancel_plan_execution(planArn=execution.plan_arn, executionId=execution.execution_id, comment=why[:1024])


def _unavailable(error: ClientError | BotoCoreError) -> str:
    kind = "unreachable" if isinstance(error, UNREACHABLE) else "unavailable"
    return f"{kind} ({described(error)})"


def last_executions(clients: dict[str, Any], plan_arn: str) -> list[dict[str, Any]] | str:
    """The plan's newest executions as either region's data plane lists them (an execution is listed where it
    ran, or everywhere: both are merged by id), or why none could be read."""
    merged: dict[str, dict[str, Any]] = {}
    problems = []
    for region, client in clients.items():
        try:
            items = client.list_plan_executions(planArn=plan_arn, maxResults=EXECUTIONS_SHOWN).get("items", [])
        except (ClientError, BotoCoreError) as error:
            problems.append(f"{region}: {_unavailable(error)}")
            continue
        for item in items:
            merged.setdefault(item["executionId"], {**item, "listedIn": region})
    if problems and not merged:
        return "; ".join(problems)
    newest = sorted(merged.values(), key=lambda item: str(item.get("startTime", "")), reverse=True)
    return [
        {
            "id": item["executionId"],
            "action": item.get("executionAction"),
            "region": item.get("executionRegion"),
            "mode": item.get("mode"),
            "state": item.get("executionState"),
            "started": item.get("startTime"),
            "ended": item.get("endTime"),
            "comment": item.get("comment"),
        }
        for item in newest[:EXECUTIONS_SHOWN]
    ]


def evaluation(clients: dict[str, Any], plan_arn: str) -> dict[str, Any] | str:
    """Region switch's own check of the plan (IAM, configuration): its state and the warnings still active."""
    problems = []
    for region, client in clients.items():
        try:
            response = client.get_plan_evaluation_status(planArn=plan_arn)
        except (ClientError, BotoCoreError) as error:
            problems.append(f"{region}: {_unavailable(error)}")
            continue
        warnings = [
            f"{w.get('stepName') or w.get('resourceArn') or 'plan'}: {w.get('warningMessage')}"
            for w in response.get("warnings", [])
            if w.get("warningStatus", "active") == "active"
        ]
        return {
            "state": response.get("evaluationState"),
            "evaluated": response.get("lastEvaluationTime"),
            "warnings": warnings,
        }
    return "; ".join(problems)


def presence(clients: dict[str, Any], plan_arn: str) -> tuple[dict[str, str], dict[str, Any]]:
    """Whether each region's data plane has the plan (GetPlanInRegion), and which version: an execution can only be
    started where it is; and the clients of the regions whose endpoint answered."""
    found, answering = {}, {}
    for region, client in clients.items():
        try:
            plan = client.get_plan_in_region(arn=plan_arn).get("plan", {})
        except UNREACHABLE as error:
            found[region] = _unavailable(error)
            continue
        except (ClientError, BotoCoreError) as error:
            found[region] = _unavailable(error)
        else:
            found[region] = f"version {plan.get('version', '?')}"
        answering[region] = client
    return found, answering


def plan_status(clients: dict[str, Any], plan_arn: str) -> dict[str, Any]:
    """The plan in each region, its evaluation and last executions. A region whose endpoint did not answer is asked
    once: every further call would wait for botocore's connect timeouts and retries again."""
    in_regions, answering = presence(clients, plan_arn)
    if not answering:
        dark = "; ".join(f"{region}: not asked (its endpoint did not answer)" for region in clients)
        return {"plan": plan_arn, "inRegions": in_regions, "evaluation": dark, "executions": dark}
    return {
        "plan": plan_arn,
        "inRegions": in_regions,
        "evaluation": evaluation(answering, plan_arn),
        "executions": last_executions(answering, plan_arn),
    }
