"""One evaluation: observe, decide, record the intent, apply to every traffic group, audit, alert (thin).

The order is what makes a failure safe: the controller's item (memory and the shift about to be made) is
written before any UpdateTrafficDistribution call, so a change that takes effect is always on record; each
group's write is attempted and its outcome kept, so one failing group never hides the groups that moved;
the audit item and the alert always go out; and only then does a failure fail the invocation (Lambda's
Errors metric is alarmed, and asynchronous invocations are retried).
"""

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from decisions import NONE, Decision, Observation, Settings, Traffic, decide
from desired import Desired, parse_desired
from health import read_health
from store import ConfigTable
from traffic_api import error_code, read_traffic, write_split

WRITTEN = "written"


class EvaluationFailed(Exception):
    """Something the evaluation had to do failed; everything else was still done and recorded."""


@dataclass(frozen=True)
class ControllerEnv:
    own_region: str
    other_region: str
    health_alarm: str
    topic_arn: str
    settings: Settings


@dataclass
class Clients:
    connect: Any
    cloudwatch: dict[str, Any]
    table: Any
    sns: Any
    sleep: Callable[[float], None] = field(default=time.sleep)


def apply(clients: Clients, decision: Decision, traffic: Traffic) -> dict[str, str]:
    """Write every group the decision changes; the outcome per group ARN: written, or the error code."""
    outcomes = {}
    for arn in decision.writes:
        assert decision.target is not None, "writes come with a target"
        try:
            split = decision.target.split(arn)
            write_split(clients.connect, arn, split, is_default=arn == traffic.default_arn, sleep=clients.sleep)
            outcomes[arn] = WRITTEN
        except Exception as error:  # each group's outcome is recorded; the evaluation fails at the end
            outcomes[arn] = error_code(error)
    return outcomes


def _after(current: Traffic, decision: Decision, outcomes: dict[str, str]) -> Traffic:
    if decision.target is None:
        return current
    splits = dict(current.splits)
    splits.update({arn: decision.target.split(arn) for arn, outcome in outcomes.items() if outcome == WRITTEN})
    return Traffic.of(current.default_arn, splits)


def _emit_metrics(env: ControllerEnv, action: str, moved: bool, own_share: int, errors: int, now: float) -> None:
    """CloudWatch Embedded Metric Format: metrics from the log line, no PutMetricData permission needed."""
    print(
        json.dumps(
            {
                "_aws": {
                    "Timestamp": int(now * 1000),
                    "CloudWatchMetrics": [
                        {
                            "Namespace": "connectdr",
                            "Dimensions": [["ControllerRegion"]],
                            "Metrics": [
                                {"Name": "TrafficShift", "Unit": "Count"},
                                {"Name": "OwnRegionTelephonyShare", "Unit": "Percent"},
                                {"Name": "ControllerErrors", "Unit": "Count"},
                            ],
                        }
                    ],
                },
                "ControllerRegion": env.own_region,
                "TrafficShift": int(moved),
                "OwnRegionTelephonyShare": own_share,
                "ControllerErrors": errors,
                "action": action,
            }
        )
    )


def _publish(clients: Clients, env: ControllerEnv, subject: str, message: dict[str, Any]) -> None:
    clients.sns.publish(
        TopicArn=env.topic_arn, Subject=f"connectdr {env.own_region}: {subject}"[:100], Message=json.dumps(message)
    )


def evaluate(clients: Clients, env: ControllerEnv, now: float) -> dict[str, Any]:
    """Run the decision once and carry it out; returns what was decided and done."""
    store = ConfigTable(clients.table, env.own_region, env.other_region)
    own_health, _ = read_health(clients.cloudwatch[env.own_region], env.health_alarm)
    other_health, other_since = read_health(clients.cloudwatch[env.other_region], env.health_alarm)
    memory, peer = store.memory(), store.peer()
    try:
        desired: Desired = parse_desired(store.desired(), now)
    except LookupError as missing:
        store.save(memory, own_health, now)
        return {"action": NONE, "reason": f"waiting: {missing}"}
    current, changed_at = read_traffic(clients.connect, desired.traffic)
    observation = Observation(own_health, other_health, other_since, peer, changed_at)
    decision = decide(
        desired=desired.traffic,
        current=current,
        own_region=env.own_region,
        other_region=env.other_region,
        observation=observation,
        memory=memory,
        override=desired.override,
        now=now,
        settings=env.settings,
    )
    store.save(decision.memory, own_health, now, decision.other_view)
    outcomes = apply(clients, decision, desired.traffic)
    moved = [arn for arn, outcome in outcomes.items() if outcome == WRITTEN]
    failed = {arn: outcome for arn, outcome in outcomes.items() if outcome != WRITTEN}
    after = _after(current, decision, outcomes)
    record = {
        "action": decision.action if moved else NONE,
        "decided": decision.action,
        "reason": decision.reason,
        "condition": decision.condition,
        "health": {env.own_region: observation.own, env.other_region: observation.other},
        "peerReport": observation.peer.health if observation.peer else None,
        "window": desired.window,
        "desiredVersion": desired.version,
        "before": current.default.telephony,
        "after": after.default.telephony,
        "written": moved,
        "failed": failed,
    }
    problems = [f"{arn}: {code}" for arn, code in failed.items()]
    for step, run in (
        ("audit", lambda: store.audit(record, now)),
        ("alert", lambda: _alert(clients, env, decision, record, bool(moved))),
    ):
        try:
            run()
        except Exception as error:  # the other steps still run; the invocation fails at the end
            problems.append(f"{step}: {error_code(error)}")
    _emit_metrics(env, record["action"], bool(moved), after.default.share_of(env.own_region), len(problems), now)
    if problems:
        raise EvaluationFailed(f"{decision.action}: {decision.reason}; failed: {'; '.join(problems)}")
    return {**record, "alert": decision.alert}


def _alert(clients: Clients, env: ControllerEnv, decision: Decision, record: dict[str, Any], moved: bool) -> None:
    """A message when traffic moved, or when the condition needing attention changed; never every minute."""
    if moved:
        failed = f" ({len(record['failed'])} group(s) failed)" if record["failed"] else ""
        _publish(clients, env, f"{decision.action}{failed}", record)
    elif decision.alert:
        _publish(clients, env, f"attention: {decision.condition}", record)
