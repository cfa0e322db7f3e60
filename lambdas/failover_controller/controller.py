"""One evaluation: observe, decide, record the intent, apply to every traffic group, audit, alert (thin).

The order is what makes a failure safe: the controller's item (memory, the shift about to be made and what
is to be announced) is written before any UpdateTrafficDistribution call, so a change that takes effect is
always on record; each group's write is attempted and its outcome kept, so one failing group never hides
the groups that moved; the audit item and the alert always go out, and only once they did is the
announcement cleared from the item (an evaluation stopped by Lambda's timeout, or whose alert failed,
leaves it for the next one to send); only then does a failure fail the invocation (Lambda's Errors metric
is alarmed, and asynchronous invocations are retried). A desired item that is missing or breaks the rules
is alerted once and audited, and the controller keeps reporting; it moves nothing but a failover toward its
own healthy region, decided from the last desired document it accepted (none: nothing at all).
"""

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from decisions import FAILOVER, HEALTHY, NONE, Decision, Memory, Observation, Settings, Traffic, decide
from desired import Desired, DesiredInvalid, parse_desired
from health import read_health
from staffing import read_staffing
from store import ConfigTable, LastGood
from traffic_api import error_code, read_traffic, write_split

WRITTEN = "written"
KEPT_UNANNOUNCED = 5
"""Announcements kept for a later evaluation to send (the newest), if several in a row could not."""


class EvaluationFailed(Exception):
    """Something the evaluation had to do failed; everything else was still done and recorded."""


@dataclass(frozen=True)
class ControllerEnv:
    own_region: str
    other_region: str
    health_alarm: str
    topic_arn: str
    settings: Settings
    instance_id: str = ""
    """The Connect instance (the replica keeps its id): follow-the-agents counts its agents in both regions."""


@dataclass
class Clients:
    connect: Any
    cloudwatch: dict[str, Any]
    table: Any
    sns: Any
    sleep: Callable[[float], None] = field(default=time.sleep)
    connect_by_region: dict[str, Any] = field(default_factory=dict)
    """A Connect client per region, for the agents each has staffed (follow-the-agents mode)."""


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


def _default_telephony(traffic: Traffic) -> dict[str, int] | None:
    """The default group's telephony split; None if it could not be read."""
    split = dict(traffic.splits).get(traffic.default_arn)
    return split.telephony if split else None


def _after(current: Traffic, decision: Decision, outcomes: dict[str, str]) -> Traffic:
    if decision.target is None:
        return current
    splits = dict(current.splits)
    splits.update({arn: decision.target.split(arn) for arn, outcome in outcomes.items() if outcome == WRITTEN})
    return Traffic.of(current.default_arn, splits)


def _emit_metrics(env: ControllerEnv, action: str, moved: bool, own_share: int | None, errors: int, now: float) -> None:
    """CloudWatch Embedded Metric Format: metrics from the log line, no PutMetricData permission needed. The
    share is left out when the default group could not be read."""
    values = {"TrafficShift": int(moved), "OwnRegionTelephonyShare": own_share, "ControllerErrors": errors}
    units = {"TrafficShift": "Count", "OwnRegionTelephonyShare": "Percent", "ControllerErrors": "Count"}
    known = {name: value for name, value in values.items() if value is not None}
    print(
        json.dumps(
            {
                "_aws": {
                    "Timestamp": int(now * 1000),
                    "CloudWatchMetrics": [
                        {
                            "Namespace": "connectdr",
                            "Dimensions": [["InstanceId", "ControllerRegion"]],
                            "Metrics": [{"Name": name, "Unit": units[name]} for name in known],
                        }
                    ],
                },
                "InstanceId": env.instance_id,
                "ControllerRegion": env.own_region,
                **known,
                "action": action,
            }
        )
    )


def _publish(clients: Clients, env: ControllerEnv, subject: str, message: dict[str, Any]) -> None:
    clients.sns.publish(
        TopicArn=env.topic_arn, Subject=f"connectdr {env.own_region}: {subject}"[:100], Message=json.dumps(message)
    )


class DesiredUnusable(Exception):
    """No desired item, or one that breaks the rules: nothing moves, the operator is told once."""

    def __init__(self, condition: str, reason: str) -> None:
        super().__init__(reason)
        self.condition = condition


def _parse(document: Any, env: ControllerEnv, now: float) -> Desired:
    desired = parse_desired(document, now)
    if set(desired.regions) != {env.own_region, env.other_region}:
        raise DesiredInvalid(
            f"regions = {list(desired.regions)!r}: must be this controller's regions "
            f"{env.own_region} and {env.other_region}"
        )
    return desired


def read_desired(store: ConfigTable, env: ControllerEnv, now: float) -> tuple[Desired, LastGood | None]:
    """The desired split, and its document as the controller keeps it for when the item is unusable."""
    where = "the desired item (pk=traffic, sk=desired) in this region's config table"
    try:
        document = store.desired()
        if document is None:
            raise DesiredUnusable("desired-missing", f"waiting: no desired split in {where}")
        desired = _parse(document, env, now)
    except DesiredInvalid as invalid:
        raise DesiredUnusable("desired-invalid", f"{where} cannot be used: {invalid}") from None
    return desired, LastGood.of(document, desired.version)


def _last_good_desired(last_good: LastGood | None, env: ControllerEnv, now: float) -> Desired | None:
    """The remembered document as in force now (its schedule window may have changed); None without one, or
    if this controller's rules refuse it (it was kept by another version of the controller)."""
    if last_good is None:
        return None
    try:
        return _parse(json.loads(last_good.document), env, now)
    except (ValueError, RecursionError):  # bad JSON (or nested past the parser's depth), or DesiredInvalid
        return None


def _failover_only(decision: Decision, memory: Memory, unusable: DesiredUnusable, version: str) -> Decision:
    """A decision made from the last good document while the desired item is unusable: its failover, told as
    made from that document and carrying the item's condition (alerted once, as when nothing moves)."""
    return replace(
        decision,
        reason=f"{decision.reason}; made from the last valid desired item (version {version}): {unusable.condition}",
        condition=unusable.condition,
        alert=unusable.condition != memory.alerted,
        memory=replace(decision.memory, alerted=unusable.condition),
    )


def _headline(decision: Decision, unusable: DesiredUnusable | None) -> str:
    """How a shift is announced; one made from the last good document says so, and carries the desired
    item's condition the first time."""
    if unusable is None:
        return decision.action
    attention = f"; attention: {decision.condition}" if decision.alert else ""
    return f"{decision.action} by the last valid desired item{attention}"


def _announcement(decision: Decision, now: float, unusable: DesiredUnusable | None) -> dict[str, Any] | None:
    """What this evaluation is about to tell the operator, recorded before it acts."""
    if not decision.writes and not decision.alert:
        return None
    action = _headline(decision, unusable) if decision.writes else f"attention: {decision.condition}"
    return {"at": now, "action": action, "reason": decision.reason, "writes": list(decision.writes)}


def evaluate(clients: Clients, env: ControllerEnv, now: float) -> dict[str, Any]:
    """Run the decision once and carry it out; returns what was decided and done."""
    store = ConfigTable(clients.table, env.own_region, env.other_region)
    own_health, _ = read_health(clients.cloudwatch[env.own_region], env.health_alarm)
    other_health, other_since = read_health(clients.cloudwatch[env.other_region], env.health_alarm)
    own, peer = store.own(), store.peer()
    memory, earlier = own.memory, own.unannounced or []
    health = {env.own_region: own_health, env.other_region: other_health}
    unusable: DesiredUnusable | None = None
    try:
        desired, last_good = read_desired(store, env, now)
    except DesiredUnusable as error:
        unusable, last_good = error, own.last_good
        fallback = _last_good_desired(last_good, env, now)
        if fallback is None:
            return _without_desired(clients, env, store, memory, earlier, own_health, health, error, now, last_good)
        desired = fallback
    current, changed_at, unreadable = read_traffic(clients.connect, desired.traffic)
    readable = desired.traffic.only(tuple(dict(current.splits)))
    following = desired.following
    staffing = None
    both_ok = own_health == other_health == HEALTHY  # the only time the agents are followed: no wait on a dark region
    follows = following is not None and env.settings.tie_breaker and bool(env.instance_id) and unusable is None
    if follows and both_ok:  # the tie-breaker follows (never by the last good document: it moves no such step)
        staffing = read_staffing(clients.connect_by_region, env.instance_id, following.queues, following.metric)
    observation = Observation(own_health, other_health, other_since, peer, changed_at, desired.identity, staffing)
    decision = decide(
        desired=readable,
        current=current,
        own_region=env.own_region,
        other_region=env.other_region,
        observation=observation,
        memory=memory,
        override=desired.override,
        now=now,
        settings=env.settings,
        follow=following.settings if following is not None else None,
        failover_only=unusable is not None,
    )
    if unusable is not None:  # from the last good document only a failover is made; decide() holds the rest
        if decision.action != FAILOVER:
            reason = f"{decision.reason} (last valid desired item: version {desired.version})"
            seen = replace(decision.memory, alerted=memory.alerted)  # the alert is about the desired item
            held = Held(reason, decision.other_view, unreadable)
            return _without_desired(
                clients, env, store, seen, earlier, own_health, health, unusable, now, last_good, held
            )
        decision = _failover_only(decision, memory, unusable, desired.version)
    pending = [*earlier, *filter(None, [_announcement(decision, now, unusable)])][-KEPT_UNANNOUNCED:]

    def save(announcements: list[dict[str, Any]]) -> None:
        store.save(decision.memory, own_health, now, decision.other_view, announcements or None, last_good)

    save(pending)
    outcomes = apply(clients, decision, desired.traffic)
    moved = [arn for arn, outcome in outcomes.items() if outcome == WRITTEN]
    failed = {arn: outcome for arn, outcome in outcomes.items() if outcome != WRITTEN}
    after = _after(current, decision, outcomes)
    record = {
        "action": decision.action if moved else NONE,
        "decided": decision.action,
        "reason": decision.reason,
        "condition": decision.condition,
        "health": health,
        "peerReport": observation.peer.health if observation.peer else None,
        "window": desired.window,
        "desiredVersion": desired.version,
        "before": _default_telephony(current),
        "after": _default_telephony(after),
        **({"staffed": dict(staffing.counts)} if staffing is not None else {}),
        "written": moved,
        "failed": failed,
        **({"unreadable": unreadable} if unreadable else {}),
        **({"unannounced": earlier} if earlier else {}),
        **({"lastValidDesired": desired.version, "desiredProblem": str(unusable)} if unusable else {}),
    }
    subject = None
    if moved:
        subject = _headline(decision, unusable) + (f" ({len(failed)} group(s) failed)" if failed else "")
    elif decision.alert:
        subject = f"attention: {decision.condition}"
    problems = [f"{arn}: {code}" for arn, code in failed.items()]
    problems += [f"{arn}: unreadable ({code})" for arn, code in unreadable.items()]
    problems += _finish(clients, env, store, record, subject, earlier, pending, save, after, now)
    own_share = (_default_telephony(after) or {}).get(env.own_region)
    _emit_metrics(env, record["action"], bool(moved), own_share, len(problems), now)
    if problems:
        raise EvaluationFailed(f"{decision.action}: {decision.reason}; failed: {'; '.join(problems)}")
    return {**record, "alert": decision.alert}


@dataclass(frozen=True)
class Held:
    """What a decision from the last good document held, as reported and audited like any held decision: its
    reason, how it sees the peer (the peer's restores depend on it) and the groups it could not read (they
    fail the invocation, alarmed)."""

    reason: str
    view_of_peer: str | None
    unreadable: dict[str, str]


def _without_desired(
    clients: Clients,
    env: ControllerEnv,
    store: ConfigTable,
    memory: Memory,
    earlier: list[dict[str, Any]],
    own_health: str,
    health: dict[str, str],
    unusable: DesiredUnusable,
    now: float,
    last_good: LastGood | None,
    held: Held | None = None,
) -> dict[str, Any]:
    """No usable desired split (or only the last good one, and `held` what was decided from it): report (so
    the peer does not take this controller for silent), audit, alert when the condition is new, and keep the
    last good document."""
    kept = replace(memory, alerted=unusable.condition)
    subject = f"attention: {unusable.condition}" if unusable.condition != memory.alerted else None
    reason = f"{unusable}; {held.reason}" if held else f"{unusable}; nothing moves"
    view_of_peer, unreadable = (held.view_of_peer, held.unreadable) if held else (None, {})
    announcement = {"at": now, "action": subject, "reason": reason, "writes": []}
    pending = [*earlier, *([announcement] if subject else [])][-KEPT_UNANNOUNCED:]

    def save(announcements: list[dict[str, Any]]) -> None:
        store.save(kept, own_health, now, view_of_peer, announcements or None, last_good)

    save(pending)
    record = {
        "action": NONE,
        "decided": NONE,
        "reason": reason,
        "condition": unusable.condition,
        "health": health,
        "written": [],
        "failed": {},
        **({"unreadable": unreadable} if unreadable else {}),
        **({"unannounced": earlier} if earlier else {}),
    }
    problems = [f"{arn}: unreadable ({code})" for arn, code in unreadable.items()]
    problems += _finish(clients, env, store, record, subject, earlier, pending, save, None, now)
    if problems:
        raise EvaluationFailed(f"{unusable}; failed: {'; '.join(problems)}")
    return {**record, "alert": subject is not None}


def _finish(
    clients: Clients,
    env: ControllerEnv,
    store: ConfigTable,
    record: dict[str, Any],
    subject: str | None,
    earlier: list[dict[str, Any]],
    pending: list[dict[str, Any]],
    save: Callable[[list[dict[str, Any]]], None],
    after: Traffic | None,
    now: float,
) -> list[str]:
    """Audit, then the alerts (first what earlier evaluations could not announce, then this one's), then
    clear the recorded announcements; the problems met, in words."""
    problems = []
    try:
        store.audit(record, now)
    except Exception as error:  # the alerts still go out; the invocation fails at the end
        problems.append(f"audit: {error_code(error)}")
    try:
        for announcement in earlier:
            message = {"unannounced": announcement, "split": _default_telephony(after) if after else None}
            _publish(clients, env, f"not announced before: {announcement['action']}", message)
        if subject is not None:
            _publish(clients, env, subject, record)
    except Exception as error:  # kept in the controller's item: the next evaluation sends it
        return [*problems, f"alert: {error_code(error)}"]
    try:
        if pending:
            save([])
    except Exception as error:  # sent already: the next evaluation may send it again
        problems.append(f"announced, record not cleared: {error_code(error)}")
    return problems
