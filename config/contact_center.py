"""The Amazon Connect side of the config: instance, hours, queues, routing profiles, flows, numbers."""

import re
from importlib import resources
from typing import Annotated, Literal

from pydantic import Field, field_validator, model_validator

from config.base import ConfigModel
from config.flows import CONNECT_NAME, ENTRY_FLOW_NAME, Flow
from config.traffic import GROUP_NAME_PATTERN

Day = Literal["MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY"]
DAYS: tuple[Day, ...] = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY", "SATURDAY", "SUNDAY")
INSTANCE_ALIAS = re.compile(r"^(?!d-)[a-zA-Z0-9]+(-+[a-zA-Z0-9]+)*$")
CLOCK = re.compile(r"^([01]\d|2[0-3]):([0-5]\d)$")
IANA_ZONES = frozenset(resources.files("tzdata").joinpath("zones").read_text().split()) - {"Factory"}
"""The zones of the pinned tzdata package: the same on every machine, unlike what ZoneInfo finds in the
system's zoneinfo directory (which also holds files such as 'localtime' and 'posixrules')."""


class Instance(ConfigModel):
    """The source Amazon Connect instance; the replica is made from it by ReplicateInstance."""

    alias: str
    identity_management: str = "SAML"
    inbound_calls: bool = True
    outbound_calls: bool = True
    contact_flow_logs: bool = True
    contact_lens: bool = True
    cross_region_routing: bool = False
    replication_timeout_minutes: Annotated[int, Field(ge=5, le=240)] = 90

    @field_validator("alias")
    @classmethod
    def _connect_alias(cls, value: str) -> str:
        if len(value) > 45 or not INSTANCE_ALIAS.match(value):
            raise ValueError("must be 1-45 letters, digits and hyphens, not starting with 'd-' nor ending with '-'")
        return value

    @field_validator("identity_management")
    @classmethod
    def _saml_only(cls, value: str) -> str:
        if value != "SAML":
            raise ValueError("must be SAML: ReplicateInstance only replicates SAML instances")
        return value


class OpenHours(ConfigModel):
    """Opening hours of one day, local time; start == end means the whole day."""

    start: str = "00:00"
    end: str = "00:00"

    @field_validator("start", "end")
    @classmethod
    def _clock(cls, value: str) -> str:
        if not CLOCK.match(value):
            raise ValueError("must be HH:MM on a 24-hour clock")
        return value


class Hours(ConfigModel):
    """Hours of operation; every one of the seven days must be listed (24x7 by default)."""

    name: Annotated[str, Field(pattern=CONNECT_NAME)] = "always-open"
    time_zone: str = "UTC"
    days: dict[Day, OpenHours] = {day: OpenHours() for day in DAYS}

    @field_validator("time_zone")
    @classmethod
    def _iana_zone(cls, value: str) -> str:
        if value not in IANA_ZONES:
            raise ValueError("must be an IANA time zone such as America/New_York or UTC")
        return value

    @field_validator("days")
    @classmethod
    def _all_seven_days(cls, days: dict[Day, OpenHours]) -> dict[Day, OpenHours]:
        if missing := [day for day in DAYS if day not in days]:
            raise ValueError(f"all seven days must be listed; missing {', '.join(missing)}")
        return days


class Queue(ConfigModel):
    """A queue; the service mirrors it to the replica."""

    name: Annotated[str, Field(pattern=CONNECT_NAME)]
    max_contacts: Annotated[int, Field(ge=1, le=1000)] | None = None
    description: str = ""


class RoutingProfile(ConfigModel):
    """A routing profile: which queues its agents answer, voice concurrency and outbound queue."""

    name: Annotated[str, Field(pattern=CONNECT_NAME)]
    queues: Annotated[list[str], Field(min_length=1)]
    default_outbound_queue: str
    voice_concurrency: Annotated[int, Field(ge=1, le=1)] = 1

    @model_validator(mode="after")
    def _outbound_among_queues(self) -> "RoutingProfile":
        if self.default_outbound_queue not in self.queues:
            raise ValueError(f"defaultOutboundQueue {self.default_outbound_queue!r} must be one of queues")
        return self


class PhoneNumber(ConfigModel):
    """A number to claim: to a custom traffic group, or to the default one when none is named. Calls to it
    start in `flow`, a CONTACT_FLOW from contactCenter.flows (null: no flow yet)."""

    country_code: Annotated[str, Field(pattern=r"^[A-Z]{2}$")]
    type: Literal["DID", "TOLL_FREE"]
    prefix: Annotated[str, Field(pattern=r"^\+[0-9]{1,15}$")] | None = None
    description: str = ""
    traffic_group: Annotated[str, Field(pattern=GROUP_NAME_PATTERN)] | None = None
    flow: str | None = ENTRY_FLOW_NAME


DEFAULT_QUEUES = [
    Queue(name="Sales", max_contacts=50, description="New business"),
    Queue(name="VIP-Sales", max_contacts=10, description="Priority customers"),
    Queue(name="Support", max_contacts=100, description="Existing customers"),
]
DEFAULT_ROUTING_PROFILES = [
    RoutingProfile(name="Sales-Agents", queues=["Sales", "VIP-Sales"], default_outbound_queue="Sales"),
    RoutingProfile(name="Support-Agents", queues=["Support"], default_outbound_queue="Support"),
]


class ContactCenter(ConfigModel):
    """Everything the primary stack declares on the source instance."""

    instance: Instance
    hours: Hours = Hours()
    queues: Annotated[list[Queue], Field(min_length=1)] = DEFAULT_QUEUES
    routing_profiles: Annotated[list[RoutingProfile], Field(min_length=1)] = DEFAULT_ROUTING_PROFILES
    flows: list[Flow] = []
    phone_numbers: list[PhoneNumber] = []
