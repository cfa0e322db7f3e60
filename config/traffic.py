"""The desired traffic split: telephony, agents and sign-in per region, custom groups, a schedule."""

import re
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from config.base import ConfigModel

Percentages = dict[str, int]
Weekday = Literal["MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN"]
WEEKDAYS: tuple[Weekday, ...] = ("MON", "TUE", "WED", "THU", "FRI", "SAT", "SUN")
GROUP_NAME_PATTERN = r"^[a-z0-9][a-z0-9-]{0,62}$"
UUID = r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"
USER = re.compile(rf"^(arn:aws[a-z-]*:connect:[a-z0-9-]+:[0-9]{{12}}:instance/{UUID}/agent/)?{UUID}$")


def user_ids_rule_broken(user_ids: list[str]) -> str | None:
    """Connect user ids are UUIDs; a user ARN ends in one."""
    if bad := [user for user in user_ids if not USER.match(user)]:
        return (
            f"not user ids: {', '.join(map(repr, bad))}; each must be a user id (a UUID) or a user ARN "
            "(arn:aws:connect:<region>:<account>:instance/<instance id>/agent/<user id>)"
        )
    return None


def percentage_rule_broken(split: Percentages) -> str | None:
    """The rule UpdateTrafficDistribution enforces, or None when the split follows it."""
    bad = {region: value for region, value in split.items() if not 0 <= value <= 100 or value % 10}
    if bad:
        return "each percentage must be 0..100 in steps of 10"
    if sum(split.values()) != 100:
        return f"percentages must sum to 100 (they sum to {sum(split.values())})"
    return None


class Split(ConfigModel):
    """One split of new contacts and agents between the two regions."""

    telephony: Percentages
    agents: Percentages | None = None

    @field_validator("telephony", "agents")
    @classmethod
    def _steps_of_ten(cls, split: Percentages | None) -> Percentages | None:
        if split is not None and (broken := percentage_rule_broken(split)):
            raise ValueError(broken)
        return split

    @property
    def agent_split(self) -> Percentages:
        """Agents follow telephony unless set on their own."""
        return self.agents if self.agents is not None else self.telephony


class TrafficGroup(ConfigModel):
    """A custom traffic distribution group: a set of numbers with its own telephony split."""

    name: Annotated[str, Field(pattern=GROUP_NAME_PATTERN)]
    telephony: Percentages
    user_ids: list[str] = []

    @field_validator("telephony")
    @classmethod
    def _steps_of_ten(cls, split: Percentages) -> Percentages:
        if broken := percentage_rule_broken(split):
            raise ValueError(broken)
        return split

    @field_validator("user_ids")
    @classmethod
    def _connect_users(cls, user_ids: list[str]) -> list[str]:
        if broken := user_ids_rule_broken(user_ids):
            raise ValueError(broken)
        return user_ids


class ScheduleWindow(Split):
    """Follow-the-sun: a split that applies on some UTC weekdays between two UTC hours."""

    name: Annotated[str, Field(pattern=GROUP_NAME_PATTERN)]
    days: Annotated[list[Weekday], Field(min_length=1)]
    start_hour: Annotated[int, Field(ge=0, le=23)]
    end_hour: Annotated[int, Field(ge=1, le=24)]

    @model_validator(mode="after")
    def _start_before_end(self) -> "ScheduleWindow":
        if self.end_hour <= self.start_hour:
            raise ValueError(f"endHour ({self.end_hour}) must be after startHour ({self.start_hour})")
        return self

    def covers(self, weekday: Weekday, hour: int) -> bool:
        """Whether this window is in force at that UTC weekday and hour."""
        return weekday in self.days and self.start_hour <= hour < self.end_hour


class FollowAgents(ConfigModel):
    """Follow the agents (off unless `enabled`): the default group's telephony split follows where agents are
    staffed (GetCurrentMetricData in each region, smoothed), in steps of 10 within each region's
    `minPercent`..`maxPercent` of the calls, only while both regions are healthy; failover and overrides win."""

    enabled: bool = False
    metric: Literal["AGENTS_STAFFED", "AGENTS_ONLINE", "AGENTS_AVAILABLE"] = "AGENTS_STAFFED"
    min_percent: Annotated[int, Field(ge=0, le=50)] = 20
    max_percent: Annotated[int, Field(ge=50, le=100)] = 80
    smoothing_minutes: Annotated[int, Field(ge=1, le=60)] = 5
    interval_minutes: Annotated[int, Field(ge=1, le=60)] = 2

    @field_validator("min_percent", "max_percent")
    @classmethod
    def _tens(cls, percent: int) -> int:
        if percent % 10:
            raise ValueError("must be a multiple of 10 (traffic distribution moves in steps of 10%)")
        return percent

    @model_validator(mode="after")
    def _room_to_move(self) -> "FollowAgents":
        if self.min_percent == 50 or self.max_percent == 50:
            raise ValueError(
                f"minPercent {self.min_percent} and maxPercent {self.max_percent} hold the split at 50/50: "
                "minPercent must be below 50 and maxPercent above 50 for the split to follow the agents"
            )
        return self


class Traffic(Split):
    """The desired split Pulumi owns; the failover controller turns it into the effective split."""

    sign_in: dict[str, bool] | None = None
    user_ids: list[str] = []
    """Agents of the default group: after replication, agents move between regions only through the
    traffic distribution group they are associated with (custom groups list their own)."""
    groups: list[TrafficGroup] = []
    schedule: list[ScheduleWindow] = []
    follow_agents: FollowAgents = FollowAgents()

    @field_validator("user_ids")
    @classmethod
    def _connect_users(cls, user_ids: list[str]) -> list[str]:
        if broken := user_ids_rule_broken(user_ids):
            raise ValueError(broken)
        return user_ids

    def sign_in_regions(self, regions: tuple[str, str]) -> dict[str, bool]:
        """Sign-in is allowed in both regions unless set otherwise."""
        return self.sign_in if self.sign_in is not None else dict.fromkeys(regions, True)
