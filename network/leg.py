"""NetworkLeg: one AWS region's private path to Google Cloud."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import pulumi

from config.network import NetworkLeg as LegConfig
from config.stack import StackConfig
from network.aws_vpc import build_aws_vpc
from network.direct_connect import build_direct_connect
from network.gcp_access_group import build_gcp_access_group
from network.gcp_subnet import build_gcp_subnet
from network.ha_vpn import HaVpnArgs, build_ha_vpn
from network.interconnect import InterconnectArgs, build_interconnect


@dataclass
class NetworkLegArgs:
    aws_region: str
    leg: LegConfig
    mtu: int
    allowed_tcp_ports: Sequence[int]
    gcp_network_id: pulumi.Input[str]
    preshared_keys: Mapping[str, str]
    """Plain values from the stack secrets, keyed by config key name; wrapped as secrets here."""
    zone_names: Sequence[str]
    """The availability zones of the private subnets (`available_zones`, looked up before anything is declared)."""

    @classmethod
    def from_config(
        cls,
        cfg: StackConfig,
        gcp_network_id: pulumi.Input[str],
        preshared_keys: Mapping[str, str],
        zone_names: Sequence[str],
    ) -> "NetworkLegArgs":
        return cls(
            aws_region=cfg.region,
            leg=cfg.leg,
            zone_names=zone_names,
            mtu=cfg.network.mtu,
            allowed_tcp_ports=cfg.network.allowed_tcp_ports,
            gcp_network_id=gcp_network_id,
            preshared_keys=preshared_keys,
        )


class NetworkLeg(pulumi.ComponentResource):
    """The AWS VPC and VGW of one region, its Direct Connect gateway and hosted VIFs, the paired GCP subnet
    and its firewall, Partner Interconnect attachments (primary path: one pair, or two pairs in two metros)
    and a four-tunnel HA VPN (backup path), plus a security group that lets AWS workloads use the leg.

    Every Cloud Router of the leg advertises exactly the paired GCP subnet, so AWS sees identical prefixes
    on both paths and prefers Direct Connect; on Google Cloud the VPN's learned routes rank behind."""

    vpc_id: pulumi.Output[str]
    vpn_gateway_id: pulumi.Output[str]
    subnet_ids: pulumi.Output[list[str]]
    route_table_id: pulumi.Output[str]
    gcp_access_security_group_id: pulumi.Output[str]
    pairing_keys: pulumi.Output[list[str]]
    """Secret: whoever holds a key of a pre-activated attachment can connect to it."""

    def __init__(self, name: str, args: NetworkLegArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("connectdr:network:NetworkLeg", name, None, opts)
        leg = args.leg
        physical_name = f"connectdr-{args.aws_region}"
        advertised_ranges = [leg.gcp_subnet_cidr]
        aws_vpc = build_aws_vpc(name, leg.vpc_cidr, args.zone_names, leg.vgw_asn, self)
        build_direct_connect(
            name,
            physical_name,
            leg.dx_gateway_asn,
            aws_vpc.vpn_gateway.id,
            leg.vpc_cidr,
            leg.hosted_vif_ids,
            leg.vif_home_region or args.aws_region,
            self,
        )
        build_gcp_subnet(
            name,
            physical_name,
            leg.gcp_region,
            args.gcp_network_id,
            leg.gcp_subnet_cidr,
            leg.vpc_cidr,
            args.allowed_tcp_ports,
            self,
        )
        access_group = build_gcp_access_group(
            name, physical_name, aws_vpc.vpc.id, advertised_ranges, args.allowed_tcp_ports, self
        )
        attachments = build_interconnect(
            name,
            InterconnectArgs(
                physical_name=physical_name,
                regions=leg.interconnect_regions,
                network_id=args.gcp_network_id,
                router_asn=leg.interconnect_router_asn,
                mtu=args.mtu,
                advertised_ranges=advertised_ranges,
            ),
            self,
        )
        build_ha_vpn(
            name,
            HaVpnArgs(
                physical_name=physical_name,
                gcp_region=leg.gcp_region,
                network_id=args.gcp_network_id,
                router_asn=leg.vpn_router_asn,
                vgw_asn=leg.vgw_asn,
                vpn_gateway_id=aws_vpc.vpn_gateway.id,
                advertised_ranges=advertised_ranges,
                inside_cidrs=[tunnel.inside_cidr for tunnel in leg.vpn_tunnels],
                preshared_keys=[
                    pulumi.Output.secret(args.preshared_keys[tunnel.preshared_key_secret]) for tunnel in leg.vpn_tunnels
                ],
            ),
            self,
        )
        if not leg.hosted_vif_ids:
            pulumi.log.info(
                f"{args.aws_region}: no hosted VIF ids in connectdr:network.legs.{args.aws_region}.hostedVifIds yet; "
                "give the partner the pairing keys (`pulumi stack output interconnectPairingKeys --show-secrets`), "
                "then add the VIF ids and run `pulumi up` again",
                resource=self,
            )
        self.vpc_id = aws_vpc.vpc.id
        self.vpn_gateway_id = aws_vpc.vpn_gateway.id
        self.subnet_ids = pulumi.Output.all(*[subnet.id for subnet in aws_vpc.subnets])
        self.route_table_id = aws_vpc.route_table.id
        self.gcp_access_security_group_id = access_group.id
        self.pairing_keys = pulumi.Output.secret(
            pulumi.Output.all(*[attachment.pairing_key for attachment in attachments])
        )
        self.register_outputs(
            {
                "vpc_id": self.vpc_id,
                "vpn_gateway_id": self.vpn_gateway_id,
                "subnet_ids": self.subnet_ids,
                "route_table_id": self.route_table_id,
                "gcp_access_security_group_id": self.gcp_access_security_group_id,
                "pairing_keys": self.pairing_keys,
            }
        )
