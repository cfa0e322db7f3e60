"""Reading the desired-split document Pulumi writes, and the follow-the-sun window in force (pure)."""

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from decisions import Override, Split

WEEKDAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")


@dataclass(frozen=True)
class Group:
    name: str
    arn: str
    split: Split


@dataclass(frozen=True)
class Desired:
    """The desired state of every traffic distribution group of the instance, as of one instant."""

    regions: tuple[str, str]
    default_arn: str
    default: Split
    groups: tuple[Group, ...]
    override: Override
    version: str
    window: str | None


def window_in_force(schedule: list[dict[str, Any]], moment: datetime) -> dict[str, Any] | None:
    weekday, hour = WEEKDAYS[moment.weekday()], moment.hour
    return next((w for w in schedule if weekday in w["days"] and w["startHour"] <= hour < w["endHour"]), None)


def parse_desired(document: dict[str, Any], now: float) -> Desired:
    """The document's default split, replaced by the schedule window in force at `now` (UTC) if any."""
    default = document["default"]
    window = window_in_force(document.get("schedule", []), datetime.fromtimestamp(now, UTC))
    telephony = window["telephony"] if window else default["telephony"]
    agents = (window.get("agents") or window["telephony"]) if window else default.get("agents", telephony)
    override = document.get("override") or {}
    return Desired(
        regions=tuple(document["regions"]),
        default_arn=default["arn"],
        default=Split(telephony=dict(telephony), agents=dict(agents), sign_in=dict(default["signIn"])),
        groups=tuple(
            Group(g["name"], g["arn"], Split(telephony=dict(g["telephony"]), agents=dict(g["telephony"])))
            for g in document.get("groups", [])
        ),
        override=Override(mode=override.get("mode", "none"), region=override.get("region")),
        version=document.get("version", ""),
        window=window["name"] if window else None,
    )
