"""The Interconnect-over-VPN preference on Google Cloud, worked through with the import policy the plan declares.

A small model of Cloud Router's best-path choice stands in for the service: LEGACY ranks routes for one prefix
by MED, across neighbour ASNs; STANDARD compares AS path length first and MED only within one neighbour ASN
(unless always-compare-MED). The model reads the policy terms from the offline plan, so a change to the
policy or to the network's pinned mode is judged here.
"""

import ipaddress
import re
from dataclasses import dataclass, replace

import pytest
from conftest import only

from deploy.offline import Plan

PARTNER_ASN = 65000
AWS_TUNNEL_MEDS = (100, 100, 200, 200)
"""What AWS might send per tunnel; it raises one tunnel's MED to drain it during endpoint maintenance."""
MATCH = re.compile(r"^destination\.inAnyRange\(prefix\('([0-9./]+)'\)\.orLonger\(\)\)$")
ACTION = re.compile(r"^(med\.add|med\.set)\((\d+)\)$|^(accept|drop)\(\)$")


@dataclass(frozen=True)
class Route:
    prefix: str
    via: str
    neighbour_asn: int
    as_path_length: int
    med: int


def apply_import_policy(terms: list[dict], route: Route) -> Route | None:
    """Evaluate the terms in priority order with the CEL forms this program writes; anything else fails."""
    for term in sorted(terms, key=lambda term: term["priority"]):
        matched = MATCH.match(term["match"]["expression"])
        assert matched, f"the model does not know {term['match']['expression']!r}"
        if not ipaddress.ip_network(route.prefix).subnet_of(ipaddress.ip_network(matched.group(1))):
            continue
        for action in term["actions"]:
            parsed = ACTION.match(action["expression"])
            assert parsed, f"the model does not know {action['expression']!r}"
            operation, value, verdict = parsed.groups()
            if operation == "med.add":
                route = replace(route, med=route.med + int(value))
            elif operation == "med.set":
                route = replace(route, med=int(value))
            elif verdict == "drop":
                return None
            else:
                return route
    return route


def best_legacy(routes: list[Route]) -> set[str]:
    lowest = min(route.med for route in routes)
    return {route.via for route in routes if route.med == lowest}


def best_standard(routes: list[Route], always_compare_med: bool) -> set[str]:
    shortest = min(route.as_path_length for route in routes)
    candidates = [route for route in routes if route.as_path_length == shortest]
    if always_compare_med or len({route.neighbour_asn for route in candidates}) == 1:
        lowest = min(route.med for route in candidates)
        candidates = [route for route in candidates if route.med == lowest]
    return {route.via for route in candidates}


def learned_routes(
    plan: Plan, prefix: str, tunnel_meds: tuple[int, ...] = AWS_TUNNEL_MEDS, interconnect_med: int = 0
) -> list[Route]:
    """One prefix from AWS over the Interconnect (partner ASN, the MED the partner sends) and over every
    tunnel, after the policy attached to each VPN peer."""
    policies = {
        p.inputs["name"]: p.inputs["terms"] for p in plan.of_type("gcp:compute/routerRoutePolicy:RouterRoutePolicy")
    }
    peers = sorted(plan.of_type("gcp:compute/routerPeer:RouterPeer"), key=lambda peer: peer.name)
    routes = [Route(prefix, "interconnect", PARTNER_ASN, as_path_length=2, med=interconnect_med)]
    for peer, med in zip(peers, tunnel_meds, strict=True):
        route: Route | None = Route(prefix, peer.name, int(peer.inputs["peerAsn"]), as_path_length=1, med=med)
        for name in peer.inputs.get("importPolicies", []):
            route = apply_import_policy(policies[name], route) if route else None
        if route:
            routes.append(route)
    return routes


@pytest.fixture(params=["primary", "secondary"])
def plan(request) -> Plan:
    return request.getfixturevalue(request.param)


def test_the_network_pins_the_mode_the_model_assumes(primary):
    assert only(primary.of_type("gcp:compute/network:Network")).inputs["bgpBestPathSelectionMode"] == "LEGACY"


def prefix_of(plan: Plan, kind: str) -> str:
    """The leg's VPC CIDR, or another range AWS could advertise over the tunnels."""
    return only(plan.of_type("aws:ec2/vpc:Vpc")).inputs["cidrBlock"] if kind == "vpc" else "172.16.0.0/12"


@pytest.mark.parametrize("kind", ["vpc", "other"])
@pytest.mark.parametrize("interconnect_med", [0, 1000, 9999], ids=["partner-0", "partner-1000", "other-region"])
def test_interconnect_wins_for_every_prefix_aws_sends(plan, kind, interconnect_med):
    """9999 stands for an Interconnect route from the other metro: MED 0 plus the largest inter-region cost."""
    routes = learned_routes(plan, prefix_of(plan, kind), interconnect_med=interconnect_med)
    assert best_legacy(routes) == {"interconnect"}


def vpn_only(routes: list[Route]) -> list[Route]:
    return sorted((route for route in routes if route.via != "interconnect"), key=lambda route: route.via)


@pytest.mark.parametrize("kind", ["vpc", "other"])
def test_without_the_interconnect_the_tunnels_keep_aws_order(plan, kind):
    tunnels = vpn_only(learned_routes(plan, prefix_of(plan, kind)))
    assert [route.med - tunnels[0].med for route in tunnels] == [med - AWS_TUNNEL_MEDS[0] for med in AWS_TUNNEL_MEDS]
    assert best_legacy(tunnels) == {tunnels[0].via, tunnels[1].via}


@pytest.mark.parametrize("kind", ["vpc", "other"])
def test_a_tunnel_aws_drains_for_maintenance_stays_drained(plan, kind):
    tunnels = vpn_only(learned_routes(plan, prefix_of(plan, kind), tunnel_meds=(300, 100, 100, 100)))
    assert tunnels[0].via not in best_legacy(tunnels)


def test_standard_mode_would_let_the_shorter_vpn_path_win(plan):
    """Why LEGACY is pinned: the import policy cannot lengthen the VPN's AS path."""
    routes = learned_routes(plan, "10.110.0.0/16")
    assert "interconnect" not in best_standard(routes, always_compare_med=True)
