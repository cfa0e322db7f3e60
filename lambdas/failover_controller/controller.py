"""One evaluation: observe, decide, apply to every traffic distribution group, record (thin adapters)."""

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from decisions import FAILOVER, FORCE, NONE, Decision, Observation, Settings, Split, decide
from desired import Desired, parse_desired
from health import read_health
from store import ConfigTable
from traffic_api import read_split, write_split


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


def group_targets(desired: Desired, effective_default: Split, own_region: str, both_healthy: bool) -> dict[str, Split]:
    """Custom groups follow the default group: all to this region when it holds all traffic, their own
    desired split once the default group is back on its desired split with both regions healthy."""
    all_here = Split.all_to(own_region, desired.regions)
    if effective_default.telephony == all_here.telephony and desired.default.telephony != all_here.telephony:
        return {g.arn: Split(telephony=all_here.telephony, agents=all_here.agents) for g in desired.groups}
    if effective_default == desired.default and both_healthy:
        return {g.arn: g.split for g in desired.groups}
    return {}


def _emit_metrics(env: ControllerEnv, decision: Decision, own_share: int, now: float) -> None:
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
                            ],
                        }
                    ],
                },
                "ControllerRegion": env.own_region,
                "TrafficShift": 0 if decision.action == NONE else 1,
                "OwnRegionTelephonyShare": own_share,
                "action": decision.action,
                "reason": decision.reason,
            }
        )
    )


def evaluate(clients: Clients, env: ControllerEnv, now: float) -> dict[str, Any]:
    """Run the decision once and carry it out; returns what was decided and done."""
    store = ConfigTable(clients.table, env.own_region)
    desired = parse_desired(store.desired(), now)
    own_health, _ = read_health(clients.cloudwatch[env.own_region], env.health_alarm)
    other_health, other_since = read_health(clients.cloudwatch[env.other_region], env.health_alarm)
    peer_report, peer_at = store.peer_report(env.other_region)
    current = read_split(clients.connect, desired.default_arn, clients.sleep)
    decision = decide(
        desired=desired.default,
        current=current,
        own_region=env.own_region,
        other_region=env.other_region,
        observation=Observation(own_health, other_health, other_since, peer_report, peer_at),
        memory=store.memory(),
        override=desired.override,
        now=now,
        settings=env.settings,
    )
    store.remember(decision.memory, own_health, now)
    written: list[str] = []
    if decision.target is not None:
        write_split(clients.connect, desired.default_arn, decision.target, is_default=True, sleep=clients.sleep)
        written.append(desired.default_arn)
        store.record_shared(decision.memory, decision, now)
    effective = decision.target or current
    both_healthy = own_health == other_health == "healthy"
    for arn, target in group_targets(desired, effective, env.own_region, both_healthy).items():
        if read_split(clients.connect, arn, clients.sleep) != target:
            write_split(clients.connect, arn, target, is_default=False, sleep=clients.sleep)
            written.append(arn)
    details = {
        "health": {env.own_region: own_health, env.other_region: other_health},
        "peerReport": peer_report,
        "window": desired.window,
        "desiredVersion": desired.version,
        "before": current.telephony,
        "after": effective.telephony,
        "written": written,
    }
    store.audit(decision, now, details)
    if written or decision.action in (FAILOVER, FORCE):
        subject = f"connectdr {env.own_region}: {decision.action}"[:100]
        clients.sns.publish(
            TopicArn=env.topic_arn, Subject=subject, Message=json.dumps({"reason": decision.reason, **details})
        )
    elif decision.alert:
        clients.sns.publish(
            TopicArn=env.topic_arn, Subject=f"connectdr {env.own_region}: attention"[:100], Message=decision.reason
        )
    _emit_metrics(env, decision, effective.share_of(env.own_region), now)
    return {"action": decision.action, "reason": decision.reason, "alert": decision.alert, **details}
