"""Network config: one leg per AWS region, each reaching the shared Google Cloud VPC network."""

import ipaddress
import re
from typing import Annotated, Literal

from pydantic import Field, field_validator

from config.base import ConfigModel

PARTNER_INTERCONNECT_ASN = 16550
LAYER_3 = "LAYER_3"
ALLOWED_MTUS = (1440, 1460, 1500, 8896)
AWS_RESERVED_INSIDE_CIDRS = tuple(
    ipaddress.ip_network(cidr)
    for cidr in (
        "169.254.0.0/30",
        "169.254.1.0/30",
        "169.254.2.0/30",
        "169.254.3.0/30",
        "169.254.4.0/30",
        "169.254.5.0/30",
        "169.254.169.252/30",
    )
)
LINK_LOCAL = ipaddress.ip_network("169.254.0.0/16")
GCP_FORBIDDEN_SUBNET_RANGES = {
    ipaddress.ip_network("0.0.0.0/8"): "the 'this network' range 0.0.0.0/8",
    ipaddress.ip_network("127.0.0.0/8"): "the loopback range 127.0.0.0/8",
    LINK_LOCAL: "the link-local range 169.254.0.0/16",
    ipaddress.ip_network("224.0.0.0/4"): "the multicast range 224.0.0.0/4",
    ipaddress.ip_network("255.255.255.255/32"): "the broadcast address",
}
"""Ranges Google Cloud refuses for a subnet."""

VPC_PREFIX_LENGTHS = (16, 28)
"""The largest and smallest VPC (and subnet) AWS accepts: /16 to /28."""

SECRET_KEY_NAME_PATTERN = r"^[A-Za-z][A-Za-z0-9_]{0,63}$"
GCP_NAME_PATTERN = r"^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$"
GCP_REGION = re.compile(r"^[a-z]+-[a-z]+\d{1,2}$")
AWS_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")


def is_private_asn(asn: int) -> bool:
    """Private 2-byte (64512-65534) or 4-byte (4200000000-4294967294) ASN."""
    return 64512 <= asn <= 65534 or 4_200_000_000 <= asn <= 4_294_967_294


def private_subnet_prefix(vpc_cidr: str, count: int) -> int:
    """Prefix length of each of `count` equal private subnets split from the VPC (next power of two up)."""
    return ipaddress.ip_network(vpc_cidr).prefixlen + max(1, (count - 1).bit_length())


def _ipv4_network(value: str) -> str:
    try:
        network = ipaddress.IPv4Network(value)
    except ValueError as error:
        raise ValueError(f"must be an IPv4 CIDR with no host bits set ({error})") from None
    return str(network)


def _gcp_region(value: str) -> str:
    if not GCP_REGION.match(value):
        raise ValueError("must be a Google Cloud region name such as us-east4 or europe-west10")
    return value


class VpnTunnel(ConfigModel):
    """One of the four AWS VPN tunnels: its /30 inside CIDR and the name of its PSK secret key."""

    inside_cidr: str
    preshared_key_secret: Annotated[str, Field(pattern=SECRET_KEY_NAME_PATTERN)]

    @field_validator("inside_cidr")
    @classmethod
    def _link_local_slash_30(cls, value: str) -> str:
        network = ipaddress.IPv4Network(_ipv4_network(value))
        if network.prefixlen != 30 or not network.subnet_of(LINK_LOCAL):
            raise ValueError("must be a /30 inside 169.254.0.0/16")
        if any(network.overlaps(reserved) for reserved in AWS_RESERVED_INSIDE_CIDRS):
            raise ValueError("is reserved by AWS (169.254.0.0/30 ... 169.254.5.0/30, 169.254.169.252/30)")
        return str(network)


class NetworkLeg(ConfigModel):
    """One AWS region's VPC and its paths to Google Cloud (Interconnect first, HA VPN as backup).

    `interconnectSecondRegion` picks the layout: unset, one pair of attachments in `gcpRegion` (Google's
    99.9% topology); set, a second pair on its own Cloud Router in that region's metro (the 99.99% one).
    """

    vpc_cidr: str
    availability_zones: Annotated[int, Field(ge=2, le=4)] = 2
    vgw_asn: int
    dx_gateway_asn: int
    gcp_region: str
    gcp_subnet_cidr: str
    vpn_router_asn: int
    interconnect_router_asn: int = PARTNER_INTERCONNECT_ASN
    interconnect_second_region: str | None = None
    vpn_tunnels: Annotated[list[VpnTunnel], Field(min_length=4, max_length=4)]
    hosted_vif_ids: Annotated[list[Annotated[str, Field(pattern=r"^dxvif-[a-z0-9]+$")]], Field(max_length=4)] = []
    vif_home_region: str | None = None
    """The AWS region the partner's hosted VIFs live in, when it is not this leg's region."""

    @field_validator("vpc_cidr")
    @classmethod
    def _vpc_size(cls, value: str) -> str:
        network = ipaddress.IPv4Network(_ipv4_network(value))
        largest, smallest = VPC_PREFIX_LENGTHS
        if not largest <= network.prefixlen <= smallest:
            raise ValueError(f"AWS VPCs are /{largest} (65,536 addresses) to /{smallest} (16 addresses)")
        return str(network)

    @field_validator("gcp_subnet_cidr")
    @classmethod
    def _usable_in_gcp(cls, value: str) -> str:
        network = ipaddress.IPv4Network(_ipv4_network(value))
        for forbidden, what in GCP_FORBIDDEN_SUBNET_RANGES.items():
            if network.overlaps(forbidden):
                raise ValueError(f"overlaps {what}, which Google Cloud subnets cannot use")
        return str(network)

    @field_validator("gcp_region", "interconnect_second_region")
    @classmethod
    def _region_name(cls, value: str | None) -> str | None:
        return None if value is None else _gcp_region(value)

    @field_validator("vif_home_region")
    @classmethod
    def _aws_region_name(cls, value: str | None) -> str | None:
        if value is not None and not AWS_REGION.match(value):
            raise ValueError("must be an AWS region name such as us-east-1")
        return value

    @field_validator("interconnect_router_asn")
    @classmethod
    def _partner_asn(cls, asn: int) -> int:
        if asn != PARTNER_INTERCONNECT_ASN:
            raise ValueError(f"a Partner Interconnect Cloud Router must use ASN {PARTNER_INTERCONNECT_ASN}")
        return asn

    @property
    def interconnect_regions(self) -> tuple[str, ...]:
        """The Google Cloud regions holding this leg's attachment pairs: one, or two for 99.99%."""
        return (self.gcp_region,) + ((self.interconnect_second_region,) if self.interconnect_second_region else ())


class Network(ConfigModel):
    """The Google Cloud VPC network (global) and one leg per AWS region, keyed by region.

    `interconnectPartnerService` records which Partner Interconnect service the partner sells: only
    Layer 3 (the partner runs BGP with Cloud Router) carries routes with what this program declares.
    """

    gcp_project: Annotated[str, Field(pattern=r"^[a-z][-a-z0-9]{4,28}[a-z0-9]$")]
    gcp_network_name: Annotated[str, Field(pattern=GCP_NAME_PATTERN)] = "connectdr-backbone"
    mtu: Literal[1440, 1460, 1500, 8896] = 1500
    allowed_tcp_ports: list[Annotated[int, Field(ge=1, le=65535)]] = [443, 5060, 5061]
    interconnect_partner_service: str = LAYER_3
    legs: dict[str, NetworkLeg]

    @field_validator("interconnect_partner_service")
    @classmethod
    def _layer_3(cls, value: str) -> str:
        if value == "LAYER_2":
            raise ValueError(
                "Layer 2 partner service is not supported: it leaves the BGP sessions between Cloud Router and "
                "AWS to you, and this program declares none; buy the partner's Layer 3 service (LAYER_3)"
            )
        if value != LAYER_3:
            raise ValueError("must be LAYER_3 (the partner runs BGP with Cloud Router)")
        return value
