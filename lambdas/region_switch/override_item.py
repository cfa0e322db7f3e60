"""The desired-split item as the Region switch steps change and read it (pure).

The steps never call UpdateTrafficDistribution: they set or end an override in the item Pulumi writes
(pk=traffic, sk=desired) and leave the split to the failover controller, the only writer of traffic. An
override the plan sets is marked `setBy: region-switch`, so the plan ends only its own overrides and never an
operator's (stack config, a hand-written item).
"""

import hashlib
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Any

DESIRED_KEY = {"pk": "traffic", "sk": "desired"}
SET_BY = "region-switch"
WEEKDAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
NO_OVERRIDE = {"mode": "none", "region": None}

Document = dict[str, Any]
Splits = dict[str, dict[str, int]]
"""Telephony percentage per region, by traffic distribution group ARN."""


class Refused(Exception):
    """The step must not change the item; the message says why and what to do instead."""


def versioned(document: Mapping[str, Any]) -> Document:
    """The document with `version` set to a hash of everything else: the same rule as the program's
    (connect/desired_split.py), so the item reads as Pulumi would have written it."""
    body = {key: value for key, value in document.items() if key != "version"}
    return {**body, "version": hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()[:16]}


def _override(document: Mapping[str, Any]) -> dict[str, Any]:
    return dict(document.get("override") or NO_OVERRIDE)


def _set_elsewhere(override: Mapping[str, Any]) -> str:
    return (
        f"an override ({override.get('mode')} {override.get('region') or ''}".rstrip()
        + ") was set outside Region switch (stack config `failover.override`, or by hand): end it where it was set"
    )


def forced_toward(document: Mapping[str, Any], region: str, execution_id: str) -> Document | None:
    """The document with an override forcing every group's calls to `region`, or None when it already says so."""
    if region not in document.get("regions", []):
        raise Refused(f"{region} is not one of this deployment's regions {document.get('regions')}")
    override = _override(document)
    mode = override.get("mode", "none")
    if mode == "force" and override.get("region") == region:
        return None
    if mode != "none" and override.get("setBy") != SET_BY:
        raise Refused(_set_elsewhere(override))
    forced = {"mode": "force", "region": region, "setBy": SET_BY, "execution": execution_id}
    return versioned({**document, "override": forced})


def override_ended(document: Mapping[str, Any], region: str) -> Document | None:
    """The document without the plan's override, activating `region`, or None when there is no override to end.
    An override forcing `region` itself deactivated the other region: activating `region` leaves it in place."""
    override = _override(document)
    if override.get("mode", "none") == "none":
        return None
    if override.get("setBy") != SET_BY:
        raise Refused(_set_elsewhere(override))
    if forces(document, region):
        other = next((r for r in document.get("regions", []) if r != region), "the other region")
        raise Refused(
            f"the plan's override sends every call to {region} ({other} is deactivated, execution "
            f"{override.get('execution')}): activating {region} would return calls to {other}; activate {other} to "
            "return it to service"
        )
    return versioned({**document, "override": dict(NO_OVERRIDE)})


def forces(document: Mapping[str, Any], region: str) -> bool:
    override = _override(document)
    return override.get("mode") == "force" and override.get("region") == region


def group_arns(document: Mapping[str, Any]) -> list[str]:
    """Every traffic distribution group the controller moves: the default group, then the custom ones."""
    return [document["default"]["arn"], *(group["arn"] for group in document.get("groups", []))]


def all_to(document: Mapping[str, Any], region: str) -> Splits:
    """Every group with all its calls in `region`."""
    return {arn: {r: 100 if r == region else 0 for r in document["regions"]} for arn in group_arns(document)}


def desired_at(document: Mapping[str, Any], moment: datetime) -> Splits:
    """Each group's desired telephony split at `moment` (UTC): the default group follows the schedule window in
    force, custom groups their own split (the controller's reading of the same document)."""
    weekday, hour = WEEKDAYS[moment.weekday()], moment.hour
    window = next(
        (w for w in document.get("schedule", []) if weekday in w["days"] and w["startHour"] <= hour < w["endHour"]),
        None,
    )
    splits = {document["default"]["arn"]: dict((window or document["default"])["telephony"])}
    for group in document.get("groups", []):
        splits[group["arn"]] = dict(group["telephony"])
    return splits


def pending(expected: Splits, actual: Mapping[str, Mapping[str, int]], regions: list[str]) -> list[str]:
    """One line per group whose telephony split is not yet the expected one (empty: every group shows it)."""
    lines = []
    for arn, want in expected.items():
        have = {region: int(actual.get(arn, {}).get(region, 0)) for region in regions}
        want = {region: int(want.get(region, 0)) for region in regions}
        if have != want:
            shown = ", ".join(f"{region} {have[region]}% (want {want[region]}%)" for region in regions)
            lines.append(f"{arn.rsplit('/', 1)[-1]}: {shown}")
    return lines
