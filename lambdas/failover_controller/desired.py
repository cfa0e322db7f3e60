"""Reading the desired-split document Pulumi writes, and the follow-the-sun window in force (pure)."""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from decisions import Override, Split, Traffic

WEEKDAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")


@dataclass(frozen=True)
class Desired:
    """The desired state of every traffic distribution group of the instance, as of one instant."""

    regions: tuple[str, str]
    traffic: Traffic
    override: Override
    version: str
    window: str | None


def window_in_force(schedule: list[dict[str, Any]], moment: datetime) -> dict[str, Any] | None:
    weekday, hour = WEEKDAYS[moment.weekday()], moment.hour
    return next((w for w in schedule if weekday in w["days"] and w["startHour"] <= hour < w["endHour"]), None)


def parse_desired(document: dict[str, Any], now: float) -> Desired:
    """The document's default split, replaced by the schedule window in force at `now` (UTC) if any, and
    each custom group's telephony split (its agents follow its telephony)."""
    default = document["default"]
    window = window_in_force(document.get("schedule", []), datetime.fromtimestamp(now, UTC))
    telephony = window["telephony"] if window else default["telephony"]
    agents = (window.get("agents") or window["telephony"]) if window else default.get("agents", telephony)
    override = document.get("override") or {}
    splits = {default["arn"]: Split(telephony=dict(telephony), agents=dict(agents), sign_in=dict(default["signIn"]))}
    for group in document.get("groups", []):
        splits[group["arn"]] = Split(telephony=dict(group["telephony"]), agents=dict(group["telephony"]))
    return Desired(
        regions=tuple(document["regions"]),
        traffic=Traffic.of(default["arn"], splits),
        override=Override(mode=override.get("mode", "none"), region=override.get("region")),
        version=document.get("version", ""),
        window=window["name"] if window else None,
    )
