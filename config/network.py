"""Network config: one leg per AWS region, each reaching the shared Google Cloud VPC network."""

import ipaddress
import re
from typing import Annotated

from pydantic import AfterValidator, field_validator

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
SPECIAL_USE_RANGES = {
    ipaddress.ip_network("0.0.0.0/8"): "the 'this network' range 0.0.0.0/8",
    ipaddress.ip_network("127.0.0.0/8"): "the loopback range 127.0.0.0/8",
    LINK_LOCAL: "the link-local range 169.254.0.0/16",
    ipaddress.ip_network("224.0.0.0/4"): "the multicast range 224.0.0.0/4",
    ipaddress.ip_network("255.255.255.255/32"): "the broadcast address",
}
"""Ranges neither a Google Cloud subnet nor an AWS VPC can use."""

VPC_PREFIX_LENGTHS = (16, 28)
"""The largest and smallest VPC (and subnet) AWS accepts: /16 to /28."""
SMALLEST_GCP_SUBNET = 29
MAX_TCP_PORTS = 59
"""An AWS security group holds 60 inbound and 60 outbound rules (default quota); ICMP takes one each way."""
MAX_HOSTED_VIFS = 4
TUNNELS_PER_LEG = 4

SECRET_KEY_NAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{0,63}$")
GCP_NAME = re.compile(r"^[a-z]([-a-z0-9]{0,61}[a-z0-9])?$")
GCP_PROJECT = re.compile(r"^[a-z][-a-z0-9]{4,28}[a-z0-9]$")
VIF_ID = re.compile(r"^dxvif-[a-z0-9]+$")
GCP_REGION = re.compile(r"^[a-z]+-[a-z]+\d{1,2}$")
AWS_REGION = re.compile(r"^[a-z]{2}(-[a-z]+)+-\d$")


def _matching(pattern: re.Pattern[str], rule: str) -> AfterValidator:
    """A string check that fails with `rule` in words (not the pattern)."""

    def check(value: str) -> str:
        if not pattern.match(value):
            raise ValueError(rule)
        return value

    return AfterValidator(check)


SecretKeyName = Annotated[
    str, _matching(SECRET_KEY_NAME, "must name a config key: a letter, then up to 63 letters, digits or '_'")
]
GcpName = Annotated[
    str,
    _matching(
        GCP_NAME,
        "must be a Google Cloud resource name: 1-63 lowercase letters, digits or '-', starting with a letter "
        "and not ending with '-'",
    ),
]
GcpProject = Annotated[
    str,
    _matching(
        GCP_PROJECT,
        "must be a Google Cloud project id: 6-30 lowercase letters, digits or '-', starting with a letter and "
        "not ending with '-'",
    ),
]
VifId = Annotated[
    str,
    _matching(
        VIF_ID, "must be a virtual interface id such as dxvif-ffabc123 (dxvif- then lowercase letters and digits)"
    ),
]


def _tcp_port(port: int) -> int:
    if not 1 <= port <= 65535:
        raise ValueError("TCP ports are 1 to 65535")
    return port


TcpPort = Annotated[int, AfterValidator(_tcp_port)]


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


def _special_use(network: ipaddress.IPv4Network) -> str | None:
    """What special-use range the network overlaps, if any."""
    return next((what for special, what in SPECIAL_USE_RANGES.items() if network.overlaps(special)), None)


def _gcp_region(value: str) -> str:
    if not GCP_REGION.match(value):
        raise ValueError("must be a Google Cloud region name such as us-east4 or europe-west10")
    return value


class VpnTunnel(ConfigModel):
    """One of the four AWS VPN tunnels: its /30 inside CIDR and the name of its PSK secret key."""

    inside_cidr: str
    preshared_key_secret: SecretKeyName

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
    availability_zones: int = 2
    vgw_asn: int
    dx_gateway_asn: int
    gcp_region: str
    gcp_subnet_cidr: str
    vpn_router_asn: int
    interconnect_router_asn: int = PARTNER_INTERCONNECT_ASN
    interconnect_second_region: str | None = None
    vpn_tunnels: list[VpnTunnel]
    hosted_vif_ids: list[VifId] = []
    vif_home_region: str | None = None
    """The AWS region the partner's hosted VIFs live in, when it is not this leg's region."""

    @field_validator("availability_zones")
    @classmethod
    def _zone_count(cls, zones: int) -> int:
        if not 2 <= zones <= 4:
            raise ValueError("must be 2 to 4: one private subnet per availability zone, at least two for redundancy")
        return zones

    @field_validator("vpn_tunnels")
    @classmethod
    def _four_tunnels(cls, tunnels: list[VpnTunnel]) -> list[VpnTunnel]:
        if len(tunnels) != TUNNELS_PER_LEG:
            raise ValueError(
                f"must list exactly {TUNNELS_PER_LEG} tunnels (two AWS VPN connections of two tunnels each), "
                f"not {len(tunnels)}"
            )
        return tunnels

    @field_validator("vpc_cidr")
    @classmethod
    def _vpc_size(cls, value: str) -> str:
        network = ipaddress.IPv4Network(_ipv4_network(value))
        largest, smallest = VPC_PREFIX_LENGTHS
        if not largest <= network.prefixlen <= smallest:
            raise ValueError(f"AWS VPCs are /{largest} (65,536 addresses) to /{smallest} (16 addresses)")
        if special := _special_use(network):
            raise ValueError(f"overlaps {special}, which is reserved for special use and cannot be a VPC's range")
        return str(network)

    @field_validator("gcp_subnet_cidr")
    @classmethod
    def _usable_in_gcp(cls, value: str) -> str:
        network = ipaddress.IPv4Network(_ipv4_network(value))
        if special := _special_use(network):
            raise ValueError(f"overlaps {special}, which Google Cloud subnets cannot use")
        if network.prefixlen > SMALLEST_GCP_SUBNET:
            raise ValueError(f"Google Cloud subnets are /{SMALLEST_GCP_SUBNET} (8 addresses) or larger")
        return str(network)

    @field_validator("hosted_vif_ids")
    @classmethod
    def _vif_count(cls, value: list[str]) -> list[str]:
        if len(value) > MAX_HOSTED_VIFS:
            raise ValueError(f"at most {MAX_HOSTED_VIFS} hosted VIFs per leg (one per attachment of the 99.99% layout)")
        return value

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

    gcp_project: GcpProject
    gcp_network_name: GcpName = "connectdr-backbone"
    mtu: int = 1500
    allowed_tcp_ports: list[TcpPort] = [443, 5060, 5061]
    interconnect_partner_service: str = LAYER_3
    legs: dict[str, NetworkLeg]

    @field_validator("mtu")
    @classmethod
    def _attachment_mtu(cls, mtu: int) -> int:
        if mtu not in ALLOWED_MTUS:
            allowed = ", ".join(map(str, ALLOWED_MTUS[:-1])) + f" or {ALLOWED_MTUS[-1]}"
            raise ValueError(f"must be {allowed}, the MTUs a VLAN attachment accepts")
        return mtu

    @field_validator("allowed_tcp_ports")
    @classmethod
    def _ports_fit_the_rules(cls, ports: list[int]) -> list[int]:
        if not ports:
            raise ValueError(
                "list at least one port: an empty list would open every TCP port in the Google Cloud firewall rule"
            )
        if repeated := sorted({port for port in ports if ports.count(port) > 1}):
            raise ValueError(f"each port once ({', '.join(map(str, repeated))} is listed more than once)")
        if len(ports) > MAX_TCP_PORTS:
            raise ValueError(
                f"at most {MAX_TCP_PORTS} ports: the AWS security group gets one inbound and one outbound rule per "
                f"port plus one for ICMP, and holds {MAX_TCP_PORTS + 1} rules each way"
            )
        return ports

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
