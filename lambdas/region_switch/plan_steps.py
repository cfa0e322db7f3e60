"""The Region switch plan's custom-action steps, run by Lambda in the region the plan activates (thin adapters
around override_item.py and region_checks.py).

Deactivating a region runs, in the other region (the one that keeps taking calls): force the calls here (an
override in the desired item, then this region's controller), await the split, check this region. Activating a
region runs, in that region: end the plan's override (the controller restores the desired split), await it,
check. Every step is idempotent: Region switch invokes it again after a failure until its timeout, and a step
that waits returns an error naming what is still pending, which is the progress the execution's events show.
"""

import json
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from botocore.exceptions import ClientError
from override_item import (
    DESIRED_KEY,
    Document,
    Refused,
    Splits,
    all_to,
    desired_at,
    forced_toward,
    forces,
    group_arns,
    override_ended,
    pending,
)
from region_checks import CheckTargets, run_checks

FORCE_HERE = "force-calls-here"
AWAIT_HERE = "await-calls-here"
CHECK_AFTER_DEACTIVATION = "check-after-deactivation"
END_OVERRIDE = "end-override"
AWAIT_DESIRED = "await-desired-split"
CHECK_AFTER_ACTIVATION = "check-after-activation"
STEP_NAMES = (FORCE_HERE, AWAIT_HERE, CHECK_AFTER_DEACTIVATION, END_OVERRIDE, AWAIT_DESIRED, CHECK_AFTER_ACTIVATION)

WAIT_BUDGET_SECONDS = 90.0
"""How long one invocation polls GetTrafficDistribution (the function's timeout is 120 s; the plan invokes the
step again after its retry interval, 3 minutes, until the step's timeout)."""
POLL_SECONDS = 5.0
WRITE_ATTEMPTS = 3
THROTTLED = "TooManyRequestsException"
HEALTHY_STATE = "OK"


class NotYet(Exception):
    """The split is not there yet; the message is the progress (what each group shows)."""


@dataclass
class Ports:
    """This region's clients (the Lambda's own region: the one the plan activates)."""

    region: str
    table: Any
    lambda_client: Any
    connect: Any
    cloudwatch: Any
    dynamodb: Any
    clock: Callable[[], float] = field(default=time.monotonic)
    sleep: Callable[[float], None] = field(default=time.sleep)
    now: Callable[[], datetime] = field(default=lambda: datetime.now(UTC))


@dataclass(frozen=True)
class Settings:
    controller: str
    health_alarm: str
    checks: CheckTargets
    wait_budget_seconds: float = WAIT_BUDGET_SECONDS
    poll_seconds: float = POLL_SECONDS


def log(step: str, **details: Any) -> None:
    print(json.dumps({"step": step, **details}, default=str))


def read_item(table: Any) -> tuple[Document, str]:
    """The desired document and the item's text as stored (what a conditional write compares against)."""
    item = table.get_item(Key=dict(DESIRED_KEY), ConsistentRead=True).get("Item")
    if not item:
        raise Refused("no desired split item (pk=traffic, sk=desired) in this region's config table")
    return json.loads(item["document"]), item["document"]


def read_desired(table: Any) -> Document:
    return read_item(table)[0]


def change_desired(ports: Ports, change: Callable[[Document], Document | None]) -> Document:
    """Read, change and write the desired item in Pulumi's layout, only if nobody changed it since it was read
    (checked in this region's replica; across regions the global table's last writer wins), again when someone
    did; the item as it now is."""
    for _ in range(WRITE_ATTEMPTS):
        current, stored = read_item(ports.table)
        changed = change(current)
        if changed is None:
            return current
        try:
            ports.table.put_item(
                Item={**DESIRED_KEY, "document": json.dumps(changed, sort_keys=True), "version": changed["version"]},
                ConditionExpression="#document = :seen",
                ExpressionAttributeNames={"#document": "document"},
                ExpressionAttributeValues={":seen": stored},
            )
            return changed
        except ClientError as error:
            if error.response.get("Error", {}).get("Code") != "ConditionalCheckFailedException":
                raise
    raise NotYet(f"the desired item changed {WRITE_ATTEMPTS} times while this step wrote it; trying again")


def region_health(ports: Ports, alarm: str) -> str:
    response = ports.cloudwatch.describe_alarms(AlarmNames=[alarm], AlarmTypes=["CompositeAlarm"])
    alarms = response.get("CompositeAlarms", [])
    return alarms[0].get("StateValue", "INSUFFICIENT_DATA") if alarms else "missing"


def invoke_controller(ports: Ports, settings: Settings, reason: str) -> str:
    """Ask this region's controller to evaluate now; its answer in words. A controller busy with its own sweep
    (reserved concurrency 1, after botocore's retries) applies the item within a minute anyway."""
    try:
        response = ports.lambda_client.invoke(
            FunctionName=settings.controller,
            InvocationType="RequestResponse",
            Payload=json.dumps({"trigger": reason}).encode(),
        )
    except ClientError as error:
        if error.response.get("Error", {}).get("Code") == THROTTLED:
            return "controller busy with a sweep: it applies the item on its next evaluation"
        raise
    payload = json.loads(response["Payload"].read() or b"{}")
    if response.get("FunctionError"):
        raise NotYet(f"{settings.controller} failed: {payload.get('errorMessage', payload)}")
    return str(payload.get("reason", payload.get("action", "evaluated")))


def force_here(ports: Ports, settings: Settings, execution_id: str) -> dict[str, Any]:
    """Force every group's calls to this region, unless this region's health alarm is not OK (the controller
    would hold anyway: it only moves calls toward its own healthy region)."""
    health = region_health(ports, settings.health_alarm)
    if health != HEALTHY_STATE:
        raise Refused(f"{ports.region}'s health alarm is {health}: calls would move to a region that is not healthy")
    document = change_desired(ports, lambda current: forced_toward(current, ports.region, execution_id))
    answer = invoke_controller(ports, settings, "region-switch")
    log(FORCE_HERE, region=ports.region, override=document.get("override"), controller=answer)
    return {"override": document.get("override"), "controller": answer}


def end_override(ports: Ports, settings: Settings) -> dict[str, Any]:
    """End the override the plan set; the controller then restores the desired split."""
    document = change_desired(ports, lambda current: override_ended(current, ports.region))
    answer = invoke_controller(ports, settings, "region-switch")
    log(END_OVERRIDE, region=ports.region, override=document.get("override"), controller=answer)
    return {"override": document.get("override"), "controller": answer}


def effective(ports: Ports, arns: list[str]) -> dict[str, dict[str, int]]:
    splits = {}
    for arn in arns:
        response = ports.connect.get_traffic_distribution(Id=arn)
        distributions = response.get("TelephonyConfig", {}).get("Distributions", [])
        splits[arn] = {d["Region"]: int(d["Percentage"]) for d in distributions}
    return splits


def await_split(ports: Ports, settings: Settings, step: str, expected: Callable[[Document], Splits]) -> dict:
    """Poll GetTrafficDistribution for every group until it shows the expected split, within this invocation's
    budget; NotYet (the progress) when it does not yet. A poll starts only if it would end within the budget were it
    as slow as the slowest so far, so a slow Connect ends the invocation with the progress, not a Lambda timeout."""
    document = read_desired(ports.table)
    want = expected(document)
    started, slowest = ports.clock(), 0.0
    while True:
        polled = ports.clock()
        lines = pending(want, effective(ports, group_arns(document)), document["regions"])
        slowest = max(slowest, ports.clock() - polled)
        log(step, region=ports.region, pending=lines)
        if not lines:
            return {"shown": want}
        if ports.clock() - started + settings.poll_seconds + slowest > settings.wait_budget_seconds:
            raise NotYet("not yet: " + "; ".join(lines))
        ports.sleep(settings.poll_seconds)


def await_here(ports: Ports, settings: Settings) -> dict[str, Any]:
    def expected(document: Document) -> Splits:
        if not forces(document, ports.region):
            raise Refused(f"the desired item no longer forces {ports.region} (override {document.get('override')})")
        return all_to(document, ports.region)

    return await_split(ports, settings, AWAIT_HERE, expected)


def await_desired(ports: Ports, settings: Settings) -> dict[str, Any]:
    def expected(document: Document) -> Splits:
        if (document.get("override") or {}).get("mode", "none") != "none":
            raise Refused(f"an override is set again ({document['override']}): the desired split does not apply")
        return desired_at(document, ports.now())

    return await_split(ports, settings, AWAIT_DESIRED, expected)


def check_here(ports: Ports, settings: Settings, step: str) -> dict[str, Any]:
    results = run_checks(ports, settings.checks, ports.now())
    log(step, region=ports.region, checks=results)
    failed = [f"{name}: {detail}" for name, ok, detail in results if not ok]
    if failed:
        raise NotYet("checks failed: " + "; ".join(failed))
    return {"checks": [f"{name}: {detail}" for name, _, detail in results]}


def run_step(ports: Ports, settings: Settings, event: Mapping[str, Any]) -> dict[str, Any]:
    """Dispatch on the step name Region switch sends with its execution metadata."""
    step, execution = event.get("StepName", ""), str(event.get("ExecutionId", ""))
    steps: dict[str, Callable[[], dict[str, Any]]] = {
        FORCE_HERE: lambda: force_here(ports, settings, execution),
        AWAIT_HERE: lambda: await_here(ports, settings),
        CHECK_AFTER_DEACTIVATION: lambda: check_here(ports, settings, step),
        END_OVERRIDE: lambda: end_override(ports, settings),
        AWAIT_DESIRED: lambda: await_desired(ports, settings),
        CHECK_AFTER_ACTIVATION: lambda: check_here(ports, settings, step),
    }
    if step not in steps:
        raise Refused(f"unknown step {step!r}: this function runs {', '.join(STEP_NAMES)}")
    return {"step": step, "region": ports.region, **steps[step]()}
