"""The whole stack config: one model per top-level `connectdr:` key."""

from typing import Annotated, Literal

from pydantic import Field

from config.base import ConfigModel
from config.contact_center import ContactCenter
from config.network import Network, NetworkLeg
from config.operations import Alerts, DataSync, Failover, Recordings
from config.traffic import Traffic

AWS_REGION_PATTERN = r"^[a-z]{2}(-[a-z]+)+-\d$"
STACK_NAME_PATTERN = r"^[A-Za-z0-9_.-]+(/[A-Za-z0-9_.-]+){0,2}$"
REQUIRED_TAG_KEYS = ("owner", "environment")


class Regions(ConfigModel):
    """The Global Resiliency pair: the source instance's region and the replica's."""

    source: Annotated[str, Field(pattern=AWS_REGION_PATTERN)]
    replica: Annotated[str, Field(pattern=AWS_REGION_PATTERN)]

    @property
    def pair(self) -> tuple[str, str]:
        return (self.source, self.replica)


class StackConfig(ConfigModel):
    """Validated config of one stack. `role` decides which parts this stack deploys."""

    role: Literal["primary", "secondary"]
    regions: Regions
    primary_stack: Annotated[str, Field(pattern=STACK_NAME_PATTERN)] | None = None
    contact_center: ContactCenter | None = None
    traffic: Traffic | None = None
    data_sync: DataSync = DataSync()
    failover: Failover = Failover()
    recordings: Recordings = Recordings()
    network: Network
    alerts: Alerts
    tags: dict[str, str]

    @property
    def is_primary(self) -> bool:
        return self.role == "primary"

    @property
    def region(self) -> str:
        """The AWS region this stack deploys into."""
        return self.regions.source if self.is_primary else self.regions.replica

    @property
    def other_region(self) -> str:
        return self.regions.replica if self.is_primary else self.regions.source

    @property
    def leg(self) -> NetworkLeg:
        """This stack's network leg."""
        return self.network.legs[self.region]
