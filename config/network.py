"""Network config: one leg per AWS region, each reaching the shared Google Cloud VPC network."""

import ipaddress
from typing import Annotated, Literal

from pydantic import Field, field_validator

from config.base import ConfigModel

PARTNER_INTERCONNECT_ASN = 16550
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
SECRET_KEY_NAME_PATTERN = r"^[A-Za-z][A-Za-z0-9_]{0,63}$"
GCP_NAME_PATTERN = r"^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$"


def is_private_asn(asn: int) -> bool:
    """Private 2-byte (64512-65534) or 4-byte (4200000000-4294967294) ASN."""
    return 64512 <= asn <= 65534 or 4_200_000_000 <= asn <= 4_294_967_294


def _ipv4_network(value: str) -> str:
    try:
        network = ipaddress.IPv4Network(value)
    except ValueError as error:
        raise ValueError(f"must be an IPv4 CIDR with no host bits set ({error})") from None
    return str(network)


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
    """One AWS region's VPC and its paths to Google Cloud (Interconnect first, HA VPN as backup)."""

    vpc_cidr: str
    availability_zones: Annotated[int, Field(ge=2, le=4)] = 2
    vgw_asn: int
    dx_gateway_asn: int
    gcp_region: Annotated[str, Field(pattern=r"^[a-z]+-[a-z]+\d$")]
    gcp_subnet_cidr: str
    vpn_router_asn: int
    interconnect_router_asn: int = PARTNER_INTERCONNECT_ASN
    vpn_tunnels: Annotated[list[VpnTunnel], Field(min_length=4, max_length=4)]
    hosted_vif_ids: Annotated[list[Annotated[str, Field(pattern=r"^dxvif-[a-z0-9]+$")]], Field(max_length=2)] = []

    @field_validator("vpc_cidr", "gcp_subnet_cidr")
    @classmethod
    def _cidr(cls, value: str) -> str:
        return _ipv4_network(value)

    @field_validator("interconnect_router_asn")
    @classmethod
    def _partner_asn(cls, asn: int) -> int:
        if asn != PARTNER_INTERCONNECT_ASN:
            raise ValueError(f"a Partner Interconnect Cloud Router must use ASN {PARTNER_INTERCONNECT_ASN}")
        return asn


class Network(ConfigModel):
    """The Google Cloud VPC network (global) and one leg per AWS region, keyed by region."""

    gcp_project: Annotated[str, Field(pattern=r"^[a-z][-a-z0-9]{4,28}[a-z0-9]$")]
    gcp_network_name: Annotated[str, Field(pattern=GCP_NAME_PATTERN)] = "connectdr-backbone"
    mtu: Literal[1440, 1460, 1500, 8896] = 1500
    allowed_tcp_ports: list[Annotated[int, Field(ge=1, le=65535)]] = [443, 5060, 5061]
    legs: dict[str, NetworkLeg]
