"""Partner Interconnect on the Google Cloud side: a Cloud Router with ASN 16550 and two VLAN attachments."""

import pulumi
import pulumi_gcp as gcp

from config.network import PARTNER_INTERCONNECT_ASN

EDGE_DOMAINS = ("AVAILABILITY_DOMAIN_1", "AVAILABILITY_DOMAIN_2")


def build_interconnect(
    name: str, physical_name: str, gcp_region: str, network_id: pulumi.Input[str], mtu: int, parent: pulumi.Resource
) -> list[gcp.compute.InterconnectAttachment]:
    """Two PARTNER attachments in separate edge availability domains (the 99.99% topology); the partner
    configures BGP, so the router carries no peers of ours. Their pairing keys go to the partner."""
    child = pulumi.ResourceOptions(parent=parent)
    router = gcp.compute.Router(
        f"{name}-interconnect-router",
        name=f"{physical_name}-interconnect",
        region=gcp_region,
        network=network_id,
        bgp=gcp.compute.RouterBgpArgs(asn=PARTNER_INTERCONNECT_ASN),
        opts=child,
    )
    return [
        gcp.compute.InterconnectAttachment(
            f"{name}-attachment-{index}",
            name=f"{physical_name}-attachment-{index}",
            region=gcp_region,
            type="PARTNER",
            router=router.id,
            edge_availability_domain=domain,
            admin_enabled=True,
            mtu=str(mtu),
            opts=child,
        )
        for index, domain in enumerate(EDGE_DOMAINS, start=1)
    ]
