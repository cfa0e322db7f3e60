"""How a leg's routes are preferred: Interconnect first, HA VPN as backup, in both directions.

Toward AWS: every Cloud Router of a leg advertises the same prefixes (custom advertisements), so the
virtual private gateway learns identical prefixes over Direct Connect and over VPN. AWS takes the longest
prefix first and, for identical prefixes, prefers Direct Connect over VPN whatever MED or AS path say;
identical advertisements keep a summary or an extra range on one path from flipping that choice.

Toward Google Cloud: the VPC network pins the LEGACY BGP best-path selection, where Cloud Router ranks
dynamic routes for one prefix by their priority (the MED it learned), also across neighbour ASNs. The
VPN Cloud Router's import policy adds VPN_MED_OFFSET to the MED of every route learned over the tunnels,
so they rank behind the Interconnect's while keeping AWS's per-tunnel MED order (AWS raises one tunnel's
MED to move traffic off it during endpoint maintenance). STANDARD would compare AS path length before MED,
and the VPN path (VGW ASN only) is shorter than the Interconnect's (partner and DX gateway ASNs): the
backup would win.
"""

from collections.abc import Sequence

import pulumi_gcp as gcp

BEST_PATH_SELECTION_MODE = "LEGACY"
VPN_MED_OFFSET = 10_000
"""Added to the MED of routes learned over VPN. Above Google's largest inter-region cost (9999), so an
Interconnect route learned in another region (the 99.99% layout's second metro) still beats a local VPN
route; partners are expected to send MEDs near 0."""
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


def vpn_import_terms() -> list[gcp.compute.RouterRoutePolicyTermArgs]:
    """One term for every IPv4 route learned over the tunnels: raise its MED by a constant, then accept."""
    return [
        gcp.compute.RouterRoutePolicyTermArgs(
            priority=1,
            match=gcp.compute.RouterRoutePolicyTermMatchArgs(expression=ALL_IPV4_ROUTES),
            actions=[
                gcp.compute.RouterRoutePolicyTermActionArgs(expression=f"med.add({VPN_MED_OFFSET})"),
                gcp.compute.RouterRoutePolicyTermActionArgs(expression="accept()"),
            ],
        )
    ]
