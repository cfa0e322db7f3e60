"""The desired-split item: what Pulumi (or `deploy split --direct`) writes for the failover controller.

Pulumi owns the desired split; the controller owns the effective split and is the only caller of
UpdateTrafficDistribution. The item lives in the config global table under pk=traffic, sk=desired.
"""

import hashlib
import json
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from config.operations import Override
from config.traffic import WEEKDAYS, FollowAgents, Traffic

DESIRED_KEY = {"pk": "traffic", "sk": "desired"}


def desired_split_document(
    traffic: Traffic,
    regions: tuple[str, str],
    default_tdg_arn: str,
    group_arns: Mapping[str, str],
    override: Override,
    queue_ids: Sequence[str] = (),
) -> dict[str, Any]:
    """The controller's input: the split per TDG, sign-in, the schedule, any manual override, and, when the
    split follows the agents, how (with the queues whose agents are counted)."""
    document = {
        "regions": list(regions),
        "default": {
            "arn": default_tdg_arn,
            "telephony": traffic.telephony,
            "agents": traffic.agent_split,
            "signIn": traffic.sign_in_regions(regions),
        },
        "groups": [
            {"name": group.name, "arn": group_arns[group.name], "telephony": group.telephony}
            for group in traffic.groups
        ],
        "schedule": [
            {
                "name": window.name,
                "days": list(window.days),
                "startHour": window.start_hour,
                "endHour": window.end_hour,
                "telephony": window.telephony,
                "agents": window.agent_split,
            }
            for window in traffic.schedule
        ],
        "override": {"mode": override.mode, "region": override.region},
    }
    if traffic.follow_agents.enabled:
        document["followAgents"] = _follow_agents_document(traffic.follow_agents, queue_ids)
    return versioned(document)


def _follow_agents_document(follow: FollowAgents, queue_ids: Sequence[str]) -> dict[str, Any]:
    return {
        "metric": follow.metric,
        "minPercent": follow.min_percent,
        "maxPercent": follow.max_percent,
        "smoothingMinutes": follow.smoothing_minutes,
        "intervalMinutes": follow.interval_minutes,
        "queues": sorted(queue_ids),
    }


def versioned(document: Mapping[str, Any]) -> dict[str, Any]:
    """The document with `version` set to a hash of everything else (what the reconcile keys on)."""
    body = {key: value for key, value in document.items() if key != "version"}
    return {**body, "version": hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:16]}


def telephony_in_force(document: Mapping[str, Any], moment: datetime) -> dict[str, int]:
    """The default group's desired telephony split at `moment` (UTC), schedule windows included."""
    weekday = WEEKDAYS[moment.weekday()]
    for window in document.get("schedule", []):
        if weekday in window["days"] and window["startHour"] <= moment.hour < window["endHour"]:
            return dict(window["telephony"])
    return dict(document["default"]["telephony"])


def desired_split_item(document: Mapping[str, Any]) -> dict[str, Any]:
    """The DynamoDB item (attribute-value JSON) holding the document."""
    return {
        "pk": {"S": DESIRED_KEY["pk"]},
        "sk": {"S": DESIRED_KEY["sk"]},
        "document": {"S": json.dumps(document, sort_keys=True)},
        "version": {"S": document["version"]},
    }
