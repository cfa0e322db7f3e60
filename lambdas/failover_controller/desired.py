"""Reading the desired-split document Pulumi writes, and the follow-the-sun window in force (pure).

The document is checked before anything acts on it: a document that does not follow the rules (an older
or newer writer, a hand edit) is refused with the key, the value and the rule, never half used."""

import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from decisions import FollowAgents, Override, Split, Traffic

WEEKDAYS = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
TDG_ARN = re.compile(
    r"arn:(aws|aws-us-gov):connect:[a-z]{2}-[a-z-]+-[0-9]:[0-9]{1,20}:traffic-distribution-group/"
    r"[a-f0-9]{8}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{4}-[a-f0-9]{12}"
)
"""UpdateTrafficDistribution's Id pattern (botocore's connect model), in its ARN form."""
OVERRIDE_MODES = ("none", "force", "freeze")
FOLLOW_METRICS = ("AGENTS_STAFFED", "AGENTS_ONLINE", "AGENTS_AVAILABLE")
"""GetCurrentMetricData's agent counts the split can follow."""
QUEUE_ID = re.compile(r"[A-Za-z0-9_:/.-]{1,256}")
MAX_QUEUES = 100


class DesiredInvalid(ValueError):
    """The desired item breaks a rule; the message names the key, the value and the rule."""


@dataclass(frozen=True)
class Following:
    """Follow-the-agents mode: how the split follows (`settings`), and which agents are counted: `metric` of
    GetCurrentMetricData over the instance's `queues` in each region."""

    settings: FollowAgents
    metric: str
    queues: tuple[str, ...]


@dataclass(frozen=True)
class Desired:
    """The desired state of every traffic distribution group of the instance, as of one instant."""

    regions: tuple[str, str]
    traffic: Traffic
    override: Override
    version: str
    window: str | None
    following: Following | None = None

    @property
    def identity(self) -> str:
        """Which desired split this is: the document's version and the schedule window in force."""
        return f"{self.version}/{self.window or 'default'}"


def _broken(key: str, value: Any, rule: str) -> DesiredInvalid:
    return DesiredInvalid(f"{key} = {value!r}: {rule}")


def _mapping(document: Any, key: str) -> dict[str, Any]:
    if not isinstance(document, dict):
        raise _broken(key, document, "must be a mapping")
    return document


def _field(document: dict[str, Any], name: str, key: str) -> Any:
    if name not in document:
        raise _broken(f"{key}.{name}" if key else name, None, "is required")
    return document[name]


def _shares(value: Any, key: str, regions: tuple[str, str]) -> dict[str, int]:
    shares = _mapping(value, key)
    if set(shares) != set(regions):
        raise _broken(key, value, f"must give a percentage for each of {', '.join(regions)}")
    if any(type(p) is not int or not 0 <= p <= 100 or p % 10 for p in shares.values()):
        raise _broken(key, value, "percentages must be whole multiples of 10 from 0 to 100")
    if sum(shares.values()) != 100:
        raise _broken(key, value, "percentages must add up to 100")
    return dict(shares)


def _sign_in(value: Any, key: str, regions: tuple[str, str]) -> dict[str, bool]:
    sign_in = _mapping(value, key)
    if set(sign_in) != set(regions) or any(type(v) is not bool for v in sign_in.values()):
        raise _broken(key, value, f"must say true or false for each of {', '.join(regions)}")
    return dict(sign_in)


def _regions(document: dict[str, Any]) -> tuple[str, str]:
    regions = _field(document, "regions", "")
    if not isinstance(regions, list) or len(regions) != 2 or len(set(regions)) != 2:
        raise _broken("regions", regions, "must list the two regions of the instance")
    if not all(isinstance(region, str) for region in regions):
        raise _broken("regions", regions, "region names must be strings")
    return regions[0], regions[1]


def _arn(value: Any, key: str) -> str:
    if not isinstance(value, str) or not TDG_ARN.fullmatch(value):
        raise _broken(key, value, "must be a traffic distribution group ARN (the replica region needs the ARN)")
    return value


def _schedule(value: Any, regions: tuple[str, str]) -> list[dict[str, Any]]:
    if not isinstance(value, list):
        raise _broken("schedule", value, "must be a list of windows")
    for index, window in enumerate(value):
        key = f"schedule[{index}]"
        if not isinstance(_field(_mapping(window, key), "name", key), str):
            raise _broken(f"{key}.name", window["name"], "must be a string")
        days = _field(window, "days", key)
        if not isinstance(days, list) or not days or not set(days) <= set(WEEKDAYS):
            raise _broken(f"{key}.days", days, f"must list days among {', '.join(WEEKDAYS)}")
        start, end = _field(window, "startHour", key), _field(window, "endHour", key)
        if type(start) is not int or type(end) is not int or not 0 <= start < end <= 24:
            raise _broken(f"{key}.startHour/endHour", (start, end), "hours of the day with startHour before endHour")
        _shares(_field(window, "telephony", key), f"{key}.telephony", regions)
        if window.get("agents") is not None:
            _shares(window["agents"], f"{key}.agents", regions)
    return value


def _override(value: Any, regions: tuple[str, str]) -> Override:
    override = _mapping(value or {}, "override")
    mode, region = override.get("mode", "none"), override.get("region")
    if mode not in OVERRIDE_MODES:
        raise _broken("override.mode", mode, f"must be one of {', '.join(OVERRIDE_MODES)}")
    if mode == "force" and region not in regions:
        raise _broken("override.region", region, f"a force names one of {', '.join(regions)}")
    return Override(mode=mode, region=region if mode == "force" else None)


def _percent(document: dict[str, Any], name: str, low: int, high: int) -> int:
    value = _field(document, name, "followAgents")
    if type(value) is not int or not low <= value <= high or value % 10:
        raise _broken(f"followAgents.{name}", value, f"a multiple of 10 from {low} to {high}")
    return value


def _minutes(document: dict[str, Any], name: str) -> float:
    value = _field(document, name, "followAgents")
    if type(value) is not int or not 1 <= value <= 60:
        raise _broken(f"followAgents.{name}", value, "whole minutes from 1 to 60")
    return value * 60.0


def _following(value: Any) -> Following | None:
    """The follow-the-agents section; absent or null: the mode is off."""
    if value is None:
        return None
    document = _mapping(value, "followAgents")
    metric = _field(document, "metric", "followAgents")
    if metric not in FOLLOW_METRICS:
        raise _broken("followAgents.metric", metric, f"must be one of {', '.join(FOLLOW_METRICS)}")
    queues = _field(document, "queues", "followAgents")
    if not isinstance(queues, list) or not 1 <= len(queues) <= MAX_QUEUES:
        raise _broken("followAgents.queues", queues, f"must list 1 to {MAX_QUEUES} queue ids")
    if not all(isinstance(queue, str) and QUEUE_ID.fullmatch(queue) for queue in queues):
        raise _broken("followAgents.queues", queues, "queue ids (or ARNs) are non-empty strings")
    settings = FollowAgents(
        min_percent=_percent(document, "minPercent", 0, 50),
        max_percent=_percent(document, "maxPercent", 50, 100),
        smoothing_seconds=_minutes(document, "smoothingMinutes"),
        interval_seconds=_minutes(document, "intervalMinutes"),
    )
    return Following(settings, metric, tuple(queues))


def window_in_force(schedule: list[dict[str, Any]], moment: datetime) -> dict[str, Any] | None:
    weekday, hour = WEEKDAYS[moment.weekday()], moment.hour
    return next((w for w in schedule if weekday in w["days"] and w["startHour"] <= hour < w["endHour"]), None)


def parse_desired(document: Any, now: float) -> Desired:
    """The document's default split, replaced by the schedule window in force at `now` (UTC) if any, and
    each custom group's telephony split (its agents follow its telephony). Raises `DesiredInvalid`."""
    document = _mapping(document, "the desired item")
    regions = _regions(document)
    default = _mapping(_field(document, "default", ""), "default")
    default_arn = _arn(_field(default, "arn", "default"), "default.arn")
    schedule = _schedule(document.get("schedule", []), regions)
    telephony = _shares(_field(default, "telephony", "default"), "default.telephony", regions)
    agents = _shares(default.get("agents", telephony), "default.agents", regions)
    window = window_in_force(schedule, datetime.fromtimestamp(now, UTC))
    if window:
        telephony = dict(window["telephony"])
        agents = dict(window.get("agents") or telephony)
    sign_in = _sign_in(_field(default, "signIn", "default"), "default.signIn", regions)
    splits = {default_arn: Split(telephony=telephony, agents=agents, sign_in=sign_in)}
    groups = document.get("groups", [])
    if not isinstance(groups, list):
        raise _broken("groups", groups, "must be a list of traffic groups")
    for index, group in enumerate(groups):
        key = f"groups[{index}]"
        arn = _arn(_field(_mapping(group, key), "arn", key), f"{key}.arn")
        if arn in splits:
            raise _broken(f"{key}.arn", arn, "each traffic distribution group appears once")
        shares = _shares(_field(group, "telephony", key), f"{key}.telephony", regions)
        splits[arn] = Split(telephony=shares, agents=dict(shares))
    version = document.get("version", "")
    if not isinstance(version, str):
        raise _broken("version", version, "must be a string")
    return Desired(
        regions=regions,
        traffic=Traffic.of(default_arn, splits),
        override=_override(document.get("override"), regions),
        version=version,
        window=window["name"] if window else None,
        following=_following(document.get("followAgents")),
    )
