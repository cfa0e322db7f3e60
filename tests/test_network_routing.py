"""The Interconnect-over-VPN preference on Google Cloud, worked through with the import policy the plan declares.

A small model of Cloud Router's best-path choice stands in for the service. STANDARD (what the network pins):
shortest AS path first, then MED among routes from the same neighbour ASN (across neighbour ASNs only with
always-compare-MED), then the inter-region cost as a tie-break. LEGACY ranks routes for one prefix by priority
(MED plus inter-region cost) and ignores the AS path. The model reads the network's pinned mode and the policy
terms from the offline plan, so a change to either is judged here; the policy may only use action operations
Google documents (BGP route policy attribute reference, gcloud `routers` examples, Cloud Router quotas).
"""

import ipaddress
import re
from dataclasses import dataclass, replace

import pytest
from conftest import only

from deploy.offline import Plan

PARTNER_ASN = 65000
DX_GATEWAY_ASN = 64611
INTERCONNECT_PATH = (PARTNER_ASN, DX_GATEWAY_ASN)
"""What the Interconnect route carries: the partner's ASN, then the Direct Connect gateway's."""
AWS_TUNNEL_MEDS = (100, 100, 200, 200)
"""What AWS might send per tunnel; it raises one tunnel's MED to drain it during endpoint maintenance."""
MATCH = re.compile(r"^destination\.inAnyRange\(prefix\('([0-9./]+)'\)\.orLonger\(\)\)$")
PREPEND = re.compile(r"^asPath\.prependSequence\(\[(\d+(?:, \d+)*)\]\)$")
DOCUMENTED_ACTIONS = re.compile(
    r"^(med\.set\(\d+\)|asPath\.prependSequence\(\[\d+(, \d+)*\]\)|accept\(\)|drop\(\)"
    r"|communities\.(add|remove|replaceAll)\(\[.*\]\))$"
)
"""Action operations Google documents for Cloud Router route policies (`med.add` is not among them)."""


@dataclass(frozen=True)
class Route:
    prefix: str
    via: str
    neighbour_asn: int
    as_path: tuple[int, ...]
    med: int
    inter_region_cost: int = 0


def apply_import_policy(terms: list[dict], route: Route) -> Route | None:
    """Evaluate the terms in priority order with the CEL forms this program writes; anything else fails."""
    for term in sorted(terms, key=lambda term: term["priority"]):
        matched = MATCH.match(term["match"]["expression"])
        assert matched, f"the model does not know {term['match']['expression']!r}"
        if not ipaddress.ip_network(route.prefix).subnet_of(ipaddress.ip_network(matched.group(1))):
            continue
        for action in term["actions"]:
            expression = action["expression"]
            if prepended := PREPEND.match(expression):
                route = replace(
                    route, as_path=tuple(int(asn) for asn in prepended.group(1).split(", ")) + route.as_path
                )
            elif expression == "drop()":
                return None
            elif expression == "accept()":
                return route
            else:
                raise AssertionError(f"the model does not know {expression!r}")
    return route


def best_legacy(routes: list[Route]) -> set[str]:
    lowest = min(route.med + route.inter_region_cost for route in routes)
    return {route.via for route in routes if route.med + route.inter_region_cost == lowest}


def best_standard(routes: list[Route], always_compare_med: bool = False) -> set[str]:
    shortest = min(len(route.as_path) for route in routes)
    candidates = [route for route in routes if len(route.as_path) == shortest]
    survivors = []
    for route in candidates:
        rivals = [r for r in candidates if always_compare_med or r.neighbour_asn == route.neighbour_asn]
        if route.med == min(r.med for r in rivals):
            survivors.append(route)
    cheapest = min(route.inter_region_cost for route in survivors)
    return {route.via for route in survivors if route.inter_region_cost == cheapest}


def best(plan: Plan, routes: list[Route]) -> set[str]:
    """The choice under the best-path mode the plan pins on the network (the primary's plan holds it)."""
    network = only(plan.of_type("gcp:compute/network:Network")).inputs
    if network["bgpBestPathSelectionMode"] == "LEGACY":
        return best_legacy(routes)
    return best_standard(routes, always_compare_med=network["bgpAlwaysCompareMed"])


def learned_routes(
    plan: Plan,
    prefix: str,
    tunnel_meds: tuple[int, ...] = AWS_TUNNEL_MEDS,
    interconnect_med: int = 0,
    interconnect_path: tuple[int, ...] = INTERCONNECT_PATH,
    interconnect_cost: int = 0,
) -> list[Route]:
    """One prefix from AWS over the Interconnect (partner ASN, the MED the partner sends) and over every
    tunnel (the VGW's ASN), after the policies attached to each VPN peer."""
    policies = {
        p.inputs["name"]: p.inputs["terms"] for p in plan.of_type("gcp:compute/routerRoutePolicy:RouterRoutePolicy")
    }
    peers = sorted(plan.of_type("gcp:compute/routerPeer:RouterPeer"), key=lambda peer: peer.name)
    routes = [Route(prefix, "interconnect", PARTNER_ASN, interconnect_path, interconnect_med, interconnect_cost)]
    for peer, med in zip(peers, tunnel_meds, strict=True):
        vgw_asn = int(peer.inputs["peerAsn"])
        route: Route | None = Route(prefix, peer.name, vgw_asn, (vgw_asn,), med)
        for name in peer.inputs.get("importPolicies", []):
            route = apply_import_policy(policies[name], route) if route else None
        if route:
            routes.append(route)
    return routes


@pytest.fixture(params=["primary", "secondary"])
def leg_plan(request) -> Plan:
    return request.getfixturevalue(request.param)


def test_the_network_pins_standard_best_path_selection(primary):
    network = only(primary.of_type("gcp:compute/network:Network")).inputs
    assert network["bgpBestPathSelectionMode"] == "STANDARD"
    assert network["bgpAlwaysCompareMed"] is False
    assert network["bgpInterRegionCost"] == "DEFAULT"


def test_the_vpn_import_policy_uses_only_documented_action_operations(leg_plan):
    for policy in leg_plan.of_type("gcp:compute/routerRoutePolicy:RouterRoutePolicy"):
        for term in policy.inputs["terms"]:
            for action in term["actions"]:
                assert DOCUMENTED_ACTIONS.match(action["expression"]), action["expression"]


def prefix_of(plan: Plan, kind: str) -> str:
    """The leg's VPC CIDR, or another range AWS could advertise over the tunnels."""
    return only(plan.of_type("aws:ec2/vpc:Vpc")).inputs["cidrBlock"] if kind == "vpc" else "172.16.0.0/12"


@pytest.mark.parametrize("kind", ["vpc", "other"])
@pytest.mark.parametrize(
    "interconnect_med", [0, 1000, 10_100, 4_294_967_295], ids=["med-0", "med-1000", "med-10100", "med-max"]
)
def test_interconnect_wins_for_every_prefix_whatever_med_the_partner_sends(primary, leg_plan, kind, interconnect_med):
    routes = learned_routes(leg_plan, prefix_of(leg_plan, kind), interconnect_med=interconnect_med)
    assert best(primary, routes) == {"interconnect"}


@pytest.mark.parametrize("cost", [1, 9999])
def test_an_interconnect_route_from_the_other_metro_beats_the_local_vpn(primary, leg_plan, cost):
    """The 99.99% layout's second metro: the route comes with an inter-region cost (at most 9999)."""
    routes = learned_routes(leg_plan, prefix_of(leg_plan, "vpc"), interconnect_med=500, interconnect_cost=cost)
    assert best(primary, routes) == {"interconnect"}


@pytest.mark.parametrize("extra_partner_asns", range(7))
def test_interconnect_wins_while_its_path_is_shorter_than_the_demoted_vpn_path(primary, leg_plan, extra_partner_asns):
    """Partners may prepend their own ASN; up to eight ASNs on the Interconnect path still win."""
    path = (PARTNER_ASN,) * (1 + extra_partner_asns) + (DX_GATEWAY_ASN,)
    routes = learned_routes(leg_plan, prefix_of(leg_plan, "vpc"), interconnect_path=path, interconnect_med=50_000)
    assert best(primary, routes) == {"interconnect"}


def vpn_only(routes: list[Route]) -> list[Route]:
    return sorted((route for route in routes if route.via != "interconnect"), key=lambda route: route.via)


@pytest.mark.parametrize("kind", ["vpc", "other"])
def test_without_the_interconnect_the_tunnels_keep_aws_order(primary, leg_plan, kind):
    tunnels = vpn_only(learned_routes(leg_plan, prefix_of(leg_plan, kind)))
    assert [route.med for route in tunnels] == list(AWS_TUNNEL_MEDS)
    assert len({route.as_path for route in tunnels}) == 1
    assert best(primary, tunnels) == {tunnels[0].via, tunnels[1].via}


@pytest.mark.parametrize("kind", ["vpc", "other"])
def test_a_tunnel_aws_drains_for_maintenance_stays_drained(primary, leg_plan, kind):
    tunnels = vpn_only(learned_routes(leg_plan, prefix_of(leg_plan, kind), tunnel_meds=(300, 100, 100, 100)))
    assert best(primary, tunnels) == {tunnel.via for tunnel in tunnels[1:]}


def test_legacy_mode_would_ignore_the_demotion(leg_plan):
    """Why STANDARD is pinned: LEGACY ranks by MED alone, so a partner MED above the tunnels' lets VPN win."""
    routes = learned_routes(leg_plan, prefix_of(leg_plan, "vpc"), interconnect_med=1000)
    assert "interconnect" not in best_legacy(routes)
