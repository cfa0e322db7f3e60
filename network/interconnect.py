"""Partner Interconnect on the Google Cloud side: per region, a Cloud Router and two VLAN attachments."""

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp

from network.routing import custom_advertisement

EDGE_DOMAINS = ("AVAILABILITY_DOMAIN_1", "AVAILABILITY_DOMAIN_2")


@dataclass(frozen=True)
class InterconnectArgs:
    physical_name: str
    regions: Sequence[str]
    """One region: Google's 99.9% layout; two regions (two metros): the 99.99% layout."""
    network_id: pulumi.Input[str]
    router_asn: int
    mtu: int
    advertised_ranges: Sequence[str]


def _router_suffix(metro: int) -> str:
    return "" if metro == 0 else f"-{metro + 1}"


def build_interconnect(
    name: str, args: InterconnectArgs, parent: pulumi.Resource
) -> list[gcp.compute.InterconnectAttachment]:
    """Per region, a Cloud Router (ASN 16550, advertising exactly the leg's ranges) and two PARTNER
    attachments in separate edge availability domains. The partner's Layer 3 service runs BGP with the
    router, so it carries no peers of ours; the pairing keys go to the partner. The provider does not mark a
    pairing key secret, so the attachments do: whoever holds the key of a pre-activated attachment can use it."""
    child = pulumi.ResourceOptions(parent=parent)
    keys_secret = pulumi.ResourceOptions(parent=parent, additional_secret_outputs=["pairing_key"])
    attachments = []
    for metro, region in enumerate(args.regions):
        suffix = _router_suffix(metro)
        router = gcp.compute.Router(
            f"{name}-interconnect-router{suffix}",
            name=f"{args.physical_name}-interconnect{suffix}",
            region=region,
            network=args.network_id,
            bgp=custom_advertisement(args.router_asn, args.advertised_ranges),
            opts=child,
        )
        for domain_index, domain in enumerate(EDGE_DOMAINS):
            number = metro * len(EDGE_DOMAINS) + domain_index + 1
            attachments.append(
                gcp.compute.InterconnectAttachment(
                    f"{name}-attachment-{number}",
                    name=f"{args.physical_name}-attachment-{number}",
                    region=region,
                    type="PARTNER",
                    router=router.id,
                    edge_availability_domain=domain,
                    admin_enabled=True,
                    mtu=str(args.mtu),
                    opts=keys_secret,
                )
            )
    return attachments
