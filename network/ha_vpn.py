"""HA VPN backup between a Cloud Router and the AWS virtual private gateway: four tunnels, BGP on each.

Mapping (AWS's two VPN connections A and B, two tunnels each, onto the HA VPN gateway's two interfaces):
external interface 0..3 = A.tunnel1, A.tunnel2, B.tunnel1, B.tunnel2; HA interface 0 -> external 0 and 1,
HA interface 1 -> external 2 and 3. Customer gateway A uses HA interface 0's address, B interface 1's.
"""

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws
import pulumi_gcp as gcp

from network.routing import VPN_ADVERTISED_PRIORITY, custom_advertisement, vpn_import_terms

LARGEST_PLAIN_CUSTOMER_GATEWAY_ASN = 2_147_483_647
"""A customer gateway's `bgp_asn` takes 1-2147483647; larger (4-byte) ASNs go in `bgp_asn_extended`."""

IKE_VERSION = 2
AWS_PHASE_PROPOSAL = {"encryption": ["AES256"], "integrity": ["SHA2-256"], "dh_groups": [14]}
GCP_CIPHER_SUITE = gcp.compute.VPNTunnelCipherSuiteArgs(
    phase1=gcp.compute.VPNTunnelCipherSuitePhase1Args(
        encryptions=["AES-CBC-256"], integrities=["HMAC-SHA2-256-128"], prves=["PRF-HMAC-SHA2-256"], dhs=["Group-14"]
    ),
    phase2=gcp.compute.VPNTunnelCipherSuitePhase2Args(
        encryptions=["AES-CBC-256"], integrities=["HMAC-SHA2-256-128"], pfs=["Group-14"]
    ),
)


@dataclass(frozen=True)
class TunnelSpec:
    """Where one tunnel sits on each side."""

    index: int
    connection: str
    aws_tunnel: int
    ha_interface: int
    external_interface: int


def tunnel_specs() -> list[TunnelSpec]:
    """The four tunnels in external-interface order: A.tunnel1, A.tunnel2, B.tunnel1, B.tunnel2."""
    return [
        TunnelSpec(index=index, connection=connection, aws_tunnel=aws_tunnel, ha_interface=ha, external_interface=index)
        for index, (connection, aws_tunnel, ha) in enumerate((("a", 1, 0), ("a", 2, 0), ("b", 1, 1), ("b", 2, 1)))
    ]


@dataclass
class HaVpnArgs:
    physical_name: str
    gcp_region: str
    network_id: pulumi.Input[str]
    router_asn: int
    vgw_asn: int
    vpn_gateway_id: pulumi.Input[str]
    advertised_ranges: Sequence[str]
    inside_cidrs: Sequence[str]
    preshared_keys: Sequence[pulumi.Output[str]]


def customer_gateway_asn(asn: int) -> dict[str, str]:
    """The customer gateway argument that holds this ASN."""
    if asn <= LARGEST_PLAIN_CUSTOMER_GATEWAY_ASN:
        return {"bgp_asn": str(asn)}
    return {"bgp_asn_extended": str(asn)}


def _aws_tunnel_options(tunnel: int, inside_cidr: str, preshared_key: pulumi.Output[str]) -> dict[str, object]:
    """IKEv2 with one pinned proposal per phase: AWS's default list fragments IKE and breaks rekeying."""
    prefix = f"tunnel{tunnel}_"
    return {
        f"{prefix}inside_cidr": inside_cidr,
        f"{prefix}preshared_key": preshared_key,
        f"{prefix}ike_versions": [f"ikev{IKE_VERSION}"],
        f"{prefix}phase1_encryption_algorithms": AWS_PHASE_PROPOSAL["encryption"],
        f"{prefix}phase1_integrity_algorithms": AWS_PHASE_PROPOSAL["integrity"],
        f"{prefix}phase1_dh_group_numbers": AWS_PHASE_PROPOSAL["dh_groups"],
        f"{prefix}phase2_encryption_algorithms": AWS_PHASE_PROPOSAL["encryption"],
        f"{prefix}phase2_integrity_algorithms": AWS_PHASE_PROPOSAL["integrity"],
        f"{prefix}phase2_dh_group_numbers": AWS_PHASE_PROPOSAL["dh_groups"],
    }


def build_ha_vpn(name: str, args: HaVpnArgs, parent: pulumi.Resource) -> list[gcp.compute.VPNTunnel]:
    """Router, HA VPN gateway, two customer gateways and VPN connections, the external gateway, four tunnels
    and four BGP sessions whose routes rank behind the Interconnect's (see network.routing)."""
    child = pulumi.ResourceOptions(parent=parent)
    router = gcp.compute.Router(
        f"{name}-vpn-router",
        name=f"{args.physical_name}-vpn",
        region=args.gcp_region,
        network=args.network_id,
        bgp=custom_advertisement(args.router_asn, args.advertised_ranges),
        opts=child,
    )
    backup_import = gcp.compute.RouterRoutePolicy(
        f"{name}-vpn-backup-import",
        name=f"{args.physical_name}-vpn-backup",
        router=router.name,
        region=args.gcp_region,
        type="ROUTE_POLICY_TYPE_IMPORT",
        terms=vpn_import_terms(args.vgw_asn),
        opts=child,
    )
    ha_gateway = gcp.compute.HaVpnGateway(
        f"{name}-ha-vpn",
        name=f"{args.physical_name}-ha-vpn",
        region=args.gcp_region,
        network=args.network_id,
        opts=child,
    )
    specs = tunnel_specs()
    connections = {}
    for connection, ha_interface in (("a", 0), ("b", 1)):
        customer_gateway = aws.ec2.CustomerGateway(
            f"{name}-cgw-{connection}",
            type="ipsec.1",
            ip_address=ha_gateway.vpn_interfaces[ha_interface].ip_address,
            tags={"Name": f"{args.physical_name}-ha-vpn-if{ha_interface}"},
            opts=child,
            **customer_gateway_asn(args.router_asn),
        )
        options: dict[str, object] = {}
        for spec in (spec for spec in specs if spec.connection == connection):
            options |= _aws_tunnel_options(
                spec.aws_tunnel, args.inside_cidrs[spec.index], args.preshared_keys[spec.index]
            )
        connections[connection] = aws.ec2.VpnConnection(
            f"{name}-vpn-{connection}",
            type="ipsec.1",
            customer_gateway_id=customer_gateway.id,
            vpn_gateway_id=args.vpn_gateway_id,
            static_routes_only=False,
            tags={"Name": f"{args.physical_name}-vpn-{connection}"},
            opts=child,
            **options,
        )

    def outside_address(spec: TunnelSpec) -> pulumi.Output[str]:
        return getattr(connections[spec.connection], f"tunnel{spec.aws_tunnel}_address")

    external_gateway = gcp.compute.ExternalVpnGateway(
        f"{name}-aws-peer",
        name=f"{args.physical_name}-aws",
        redundancy_type="FOUR_IPS_REDUNDANCY",
        interfaces=[
            gcp.compute.ExternalVpnGatewayInterfaceArgs(id=spec.external_interface, ip_address=outside_address(spec))
            for spec in specs
        ],
        opts=child,
    )
    tunnels = []
    for spec in specs:
        connection = connections[spec.connection]
        tunnel_name = f"{args.physical_name}-tunnel-{spec.index}"
        tunnel = gcp.compute.VPNTunnel(
            f"{name}-tunnel-{spec.index}",
            name=tunnel_name,
            region=args.gcp_region,
            vpn_gateway=ha_gateway.id,
            vpn_gateway_interface=spec.ha_interface,
            peer_external_gateway=external_gateway.id,
            peer_external_gateway_interface=spec.external_interface,
            shared_secret=args.preshared_keys[spec.index],
            router=router.id,
            ike_version=IKE_VERSION,
            cipher_suite=GCP_CIPHER_SUITE,
            opts=child,
        )
        customer_inside = getattr(connection, f"tunnel{spec.aws_tunnel}_cgw_inside_address")
        interface = gcp.compute.RouterInterface(
            f"{name}-bgp-if-{spec.index}",
            name=f"{tunnel_name}-if",
            router=router.name,
            region=args.gcp_region,
            ip_range=customer_inside.apply(lambda address: f"{address}/30"),
            vpn_tunnel=tunnel.name,
            opts=child,
        )
        gcp.compute.RouterPeer(
            f"{name}-bgp-peer-{spec.index}",
            name=f"{tunnel_name}-peer",
            router=router.name,
            region=args.gcp_region,
            interface=interface.name,
            ip_address=customer_inside,
            peer_ip_address=getattr(connection, f"tunnel{spec.aws_tunnel}_vgw_inside_address"),
            peer_asn=args.vgw_asn,
            advertised_route_priority=VPN_ADVERTISED_PRIORITY,
            import_policies=[backup_import.name],
            opts=child,
        )
        tunnels.append(tunnel)
    return tunnels
