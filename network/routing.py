"""How a leg's routes are preferred: Interconnect first, HA VPN as backup, in both directions.

Toward AWS: every Cloud Router of a leg advertises the same prefixes (custom advertisements), so the
virtual private gateway learns identical prefixes over Direct Connect and over VPN. AWS takes the longest
prefix first and, for identical prefixes, prefers Direct Connect over VPN whatever MED or AS path say;
identical advertisements keep a summary or an extra range on one path from flipping that choice.

Toward Google Cloud: the VPC network pins STANDARD BGP best-path selection (always-compare-MED off, default
inter-region cost), where Cloud Router compares AS path length first, then MED among routes from the same
neighbour ASN, then the inter-region cost. The VPN Cloud Router's import policy prepends the VGW's ASN
VPN_AS_PATH_PREPEND times to every route learned over the tunnels: the VPN path becomes longer than the
Interconnect's (partner ASN, DX gateway ASN) whatever MED the partner sends and from whichever region the
Interconnect route comes, while the four tunnels (one neighbour ASN, equal paths) are still ranked by the
MEDs AWS sends, which AWS raises on a tunnel to drain it for endpoint maintenance.

LEGACY was not kept: it ranks by MED alone, and the only MED action Google documents, `med.set`, overwrites
AWS's per-tunnel MEDs (`med.add` could not be found in Google's reference).
"""

from collections.abc import Sequence

import pulumi_gcp as gcp

BEST_PATH_SELECTION_MODE = "STANDARD"
ALWAYS_COMPARE_MED = False
INTER_REGION_COST = "DEFAULT"
VPN_AS_PATH_PREPEND = 8
"""Copies of the VGW's ASN prepended to VPN-learned routes (a policy list holds at most 10): the VPN path
is then nine ASNs long, so an Interconnect path of up to eight ASNs (partner prepends included) wins."""
VPN_ADVERTISED_PRIORITY = 200
"""MED the VPN Cloud Router sends to AWS: orders the VPN connections only; Direct Connect wins regardless."""
ALL_IPV4_ROUTES = "destination.inAnyRange(prefix('0.0.0.0/0').orLonger())"


def custom_advertisement(asn: int, ranges: Sequence[str]) -> gcp.compute.RouterBgpArgs:
    """A Cloud Router BGP block that advertises exactly `ranges` (no subnet groups)."""
    return gcp.compute.RouterBgpArgs(
        asn=asn,
        advertise_mode="CUSTOM",
        advertised_groups=[],
        advertised_ip_ranges=[gcp.compute.RouterBgpAdvertisedIpRangeArgs(range=cidr) for cidr in ranges],
    )


def vpn_demotion(vgw_asn: int) -> str:
    """The action that lengthens a VPN-learned route's AS path by VPN_AS_PATH_PREPEND copies of the VGW's ASN."""
    return f"asPath.prependSequence([{', '.join([str(vgw_asn)] * VPN_AS_PATH_PREPEND)}])"


def vpn_import_terms(vgw_asn: int) -> list[gcp.compute.RouterRoutePolicyTermArgs]:
    """One term for every IPv4 route learned over the tunnels: lengthen its AS path, then accept."""
    return [
        gcp.compute.RouterRoutePolicyTermArgs(
            priority=1,
            match=gcp.compute.RouterRoutePolicyTermMatchArgs(expression=ALL_IPV4_ROUTES),
            actions=[
                gcp.compute.RouterRoutePolicyTermActionArgs(expression=vpn_demotion(vgw_asn)),
                gcp.compute.RouterRoutePolicyTermActionArgs(expression="accept()"),
            ],
        )
    ]
