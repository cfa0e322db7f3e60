"""The network leg on both stacks: tunnel mapping, BGP addressing, backup priorities, secrets, firewall,
advertisements, exports."""

import ipaddress
import json

import pytest
from conftest import only

from deploy.offline import Plan
from deploy.render import plain
from network.ha_vpn import tunnel_specs
from network.routing import ALL_IPV4_ROUTES, VPN_ADVERTISED_PRIORITY, VPN_AS_PATH_PREPEND, vpn_demotion

STACKS = ["primary", "secondary"]
LEGS = {"primary": ("us-east-1", 64601, 65101, "169.254.10"), "secondary": ("us-west-2", 64602, 65102, "169.254.20")}


def plan_for(request, stack: str) -> Plan:
    return request.getfixturevalue(stack)


def test_tunnel_specs_map_connections_to_interfaces():
    mapping = [(s.connection, s.aws_tunnel, s.ha_interface, s.external_interface) for s in tunnel_specs()]
    assert mapping == [("a", 1, 0, 0), ("a", 2, 0, 1), ("b", 1, 1, 2), ("b", 2, 1, 3)]


@pytest.mark.parametrize("stack", STACKS)
def test_four_tunnels_follow_the_ha_mapping(request, stack):
    plan = plan_for(request, stack)
    external = only(plan.of_type("gcp:compute/externalVpnGateway:ExternalVpnGateway"))
    assert external.inputs["redundancyType"] == "FOUR_IPS_REDUNDANCY"
    connections = {r.name[-1]: r for r in plan.of_type("aws:ec2/vpnConnection:VpnConnection")}
    expected_ips = [
        connections["a"].outputs["tunnel1Address"],
        connections["a"].outputs["tunnel2Address"],
        connections["b"].outputs["tunnel1Address"],
        connections["b"].outputs["tunnel2Address"],
    ]
    interfaces = sorted(external.inputs["interfaces"], key=lambda interface: interface["id"])
    assert [interface["ipAddress"] for interface in interfaces] == expected_ips
    tunnels = sorted(plan.of_type("gcp:compute/vPNTunnel:VPNTunnel"), key=lambda r: r.name)
    assert [(t.inputs["vpnGatewayInterface"], t.inputs["peerExternalGatewayInterface"]) for t in tunnels] == [
        (0, 0),
        (0, 1),
        (1, 2),
        (1, 3),
    ]
    assert {t.inputs["ikeVersion"] for t in tunnels} == {2}


@pytest.mark.parametrize("stack", STACKS)
def test_customer_gateways_use_the_ha_interfaces_and_router_asn(request, stack):
    plan = plan_for(request, stack)
    _, _, router_asn, _ = LEGS[stack]
    ha = only(plan.of_type("gcp:compute/haVpnGateway:HaVpnGateway"))
    addresses = [interface["ipAddress"] for interface in ha.outputs["vpnInterfaces"]]
    gateways = {r.name[-1]: r for r in plan.of_type("aws:ec2/customerGateway:CustomerGateway")}
    assert [gateways["a"].inputs["ipAddress"], gateways["b"].inputs["ipAddress"]] == addresses
    assert {g.inputs["bgpAsn"] for g in gateways.values()} == {str(router_asn)}
    connections = {r.name[-1]: r for r in plan.of_type("aws:ec2/vpnConnection:VpnConnection")}
    assert connections["a"].inputs["customerGatewayId"] == gateways["a"].urn.split("::")[-1] + "-id"


@pytest.mark.parametrize("stack", STACKS)
def test_bgp_peers_use_the_tunnel_inside_addresses_and_the_vgw_asn(request, stack):
    plan = plan_for(request, stack)
    _, vgw_asn, router_asn, inside_prefix = LEGS[stack]
    connections = {r.name[-1]: r for r in plan.of_type("aws:ec2/vpnConnection:VpnConnection")}
    interfaces = {r.name.rsplit("-", 1)[-1]: r for r in plan.of_type("gcp:compute/routerInterface:RouterInterface")}
    peers = {r.name.rsplit("-", 1)[-1]: r for r in plan.of_type("gcp:compute/routerPeer:RouterPeer")}
    assert len(peers) == 4
    for spec in tunnel_specs():
        connection = connections[spec.connection].outputs
        peer = peers[str(spec.index)].inputs
        interface = interfaces[str(spec.index)].inputs
        customer_side = connection[f"tunnel{spec.aws_tunnel}CgwInsideAddress"]
        assert peer["ipAddress"] == customer_side
        assert peer["peerIpAddress"] == connection[f"tunnel{spec.aws_tunnel}VgwInsideAddress"]
        assert peer["peerAsn"] == vgw_asn == int(connection[f"tunnel{spec.aws_tunnel}BgpAsn"])
        assert interface["ipRange"] == f"{customer_side}/30"
        assert ipaddress.ip_address(customer_side) in ipaddress.ip_network(
            connections[spec.connection].inputs[f"tunnel{spec.aws_tunnel}InsideCidr"]
        )
        assert customer_side.startswith(inside_prefix)
        assert interface["vpnTunnel"].endswith(f"tunnel-{spec.index}")
    routers = {r.name: r for r in plan.of_type("gcp:compute/router:Router")}
    assert routers["network-vpn-router"].inputs["bgp"]["asn"] == router_asn
    assert routers["network-interconnect-router"].inputs["bgp"]["asn"] == 16550


@pytest.mark.parametrize("stack", STACKS)
def test_every_route_learned_over_vpn_is_demoted_keeping_the_tunnels_order(request, stack):
    plan = plan_for(request, stack)
    region, vgw_asn, _, _ = LEGS[stack]
    policy = only(plan.of_type("gcp:compute/routerRoutePolicy:RouterRoutePolicy"))
    assert policy.inputs["type"] == "ROUTE_POLICY_TYPE_IMPORT"
    assert policy.inputs["router"] == f"connectdr-{region}-vpn"
    term = only(policy.inputs["terms"])
    assert term["match"]["expression"] == ALL_IPV4_ROUTES == "destination.inAnyRange(prefix('0.0.0.0/0').orLonger())"
    prepended = ", ".join([str(vgw_asn)] * VPN_AS_PATH_PREPEND)
    assert [action["expression"] for action in term["actions"]] == [
        f"asPath.prependSequence([{prepended}])",
        "accept()",
    ]
    for peer in plan.of_type("gcp:compute/routerPeer:RouterPeer"):
        assert peer.inputs["advertisedRoutePriority"] == VPN_ADVERTISED_PRIORITY
        assert peer.inputs["importPolicies"] == [policy.inputs["name"]]
        assert peer.inputs["router"] == f"connectdr-{region}-vpn"


@pytest.mark.parametrize("stack", STACKS)
def test_every_cloud_router_of_the_leg_advertises_exactly_the_paired_subnet(request, stack, stack_files):
    plan = plan_for(request, stack)
    region = LEGS[stack][0]
    subnet = stack_files[stack].structured("network")["legs"][region]["gcpSubnetCidr"]
    routers = plan.of_type("gcp:compute/router:Router")
    assert sorted(router.name for router in routers) == ["network-interconnect-router", "network-vpn-router"]
    for router in routers:
        bgp = router.inputs["bgp"]
        assert bgp["advertiseMode"] == "CUSTOM"
        assert bgp.get("advertisedGroups", []) == []
        assert bgp["advertisedIpRanges"] == [{"range": subnet}]


def test_the_gcp_network_is_global_and_owned_by_the_primary(primary, secondary):
    network = only(primary.of_type("gcp:compute/network:Network"))
    assert network.inputs["routingMode"] == "GLOBAL"
    assert network.inputs["bgpBestPathSelectionMode"] == "STANDARD"
    assert network.inputs["bgpAlwaysCompareMed"] is False and network.inputs["bgpInterRegionCost"] == "DEFAULT"
    assert network.inputs["autoCreateSubnetworks"] is False
    assert network.inputs["mtu"] == 1500
    assert secondary.of_type("gcp:compute/network:Network") == []
    assert only(secondary.of_type("gcp:compute/haVpnGateway:HaVpnGateway")).inputs["network"] == network.outputs.get(
        "id", "backbone-network-id"
    )


@pytest.mark.parametrize("stack", STACKS)
def test_no_preshared_key_appears_in_plain_inputs_or_outputs(request, stack, stack_files):
    plan = plan_for(request, stack)
    secret = "offline.plan.placeholder.key"
    tunnel_keys = [f"tunnel{t}PresharedKey" for t in (1, 2)]
    for connection in plan.of_type("aws:ec2/vpnConnection:VpnConnection"):
        assert all(plain(connection.inputs[key]) == "[secret]" for key in tunnel_keys)
    for tunnel in plan.of_type("gcp:compute/vPNTunnel:VPNTunnel"):
        assert plain(tunnel.inputs["sharedSecret"]) == "[secret]"
    visible = json.dumps([plain(r.inputs) for r in plan.resources]) + json.dumps(plain(plan.outputs))
    assert secret not in visible


@pytest.mark.parametrize("stack", STACKS)
def test_firewall_admits_only_this_regions_vpc_to_its_paired_subnet_on_the_configured_ports(request, stack):
    plan = plan_for(request, stack)
    firewall = only(plan.of_type("gcp:compute/firewall:Firewall"))
    vpc_cidr = only(plan.of_type("aws:ec2/vpc:Vpc")).inputs["cidrBlock"]
    assert firewall.inputs["direction"] == "INGRESS"
    assert firewall.inputs["sourceRanges"] == [vpc_cidr]
    paired_subnet = only(plan.of_type("gcp:compute/subnetwork:Subnetwork")).inputs["ipCidrRange"]
    assert firewall.inputs["destinationRanges"] == [paired_subnet]
    tcp = next(rule for rule in firewall.inputs["allows"] if rule["protocol"] == "tcp")
    assert tcp["ports"] == ["443", "5060", "5061"]


@pytest.mark.parametrize("stack", STACKS)
def test_direct_connect_waits_for_vif_ids(request, stack, stack_files):
    plan = plan_for(request, stack)
    association = only(plan.of_type("aws:directconnect/gatewayAssociation:GatewayAssociation"))
    assert association.inputs["allowedPrefixes"] == [only(plan.of_type("aws:ec2/vpc:Vpc")).inputs["cidrBlock"]]
    assert (
        plan.of_type("aws:directconnect/hostedPrivateVirtualInterfaceAccepter:HostedPrivateVirtualInterfaceAccepter")
        == []
    )


def test_hosted_vifs_are_accepted_once_configured(stack_files):
    from conftest import run_checked, structured

    network = structured(stack_files["primary"], "network")
    network["legs"]["us-east-1"]["hostedVifIds"] = ["dxvif-ffabc123", "dxvif-ffabc456"]
    plan = run_checked(stack_files["primary"].with_values(network=network))
    accepters = plan.of_type(
        "aws:directconnect/hostedPrivateVirtualInterfaceAccepter:HostedPrivateVirtualInterfaceAccepter"
    )
    assert sorted(a.inputs["virtualInterfaceId"] for a in accepters) == ["dxvif-ffabc123", "dxvif-ffabc456"]
    assert {a.inputs["dxGatewayId"] for a in accepters} == {"network-dxgw-id"}
    assert {a.inputs["region"] for a in accepters} == {"us-east-1"}


def test_hosted_vifs_are_accepted_in_their_home_region(stack_files):
    from conftest import run_checked, structured

    network = structured(stack_files["primary"], "network")
    network["legs"]["us-east-1"].update(hostedVifIds=["dxvif-ffabc789"], vifHomeRegion="us-east-2")
    plan = run_checked(stack_files["primary"].with_values(network=network))
    accepter = only(
        plan.of_type("aws:directconnect/hostedPrivateVirtualInterfaceAccepter:HostedPrivateVirtualInterfaceAccepter")
    )
    assert accepter.inputs["region"] == "us-east-2"


@pytest.mark.parametrize("stack", STACKS)
def test_aws_side_pins_ikev2_and_one_proposal(request, stack):
    plan = plan_for(request, stack)
    for connection in plan.of_type("aws:ec2/vpnConnection:VpnConnection"):
        for tunnel in (1, 2):
            inputs = connection.inputs
            assert inputs[f"tunnel{tunnel}IkeVersions"] == ["ikev2"]
            for phase in (1, 2):
                assert inputs[f"tunnel{tunnel}Phase{phase}EncryptionAlgorithms"] == ["AES256"]
                assert inputs[f"tunnel{tunnel}Phase{phase}IntegrityAlgorithms"] == ["SHA2-256"]
                assert inputs[f"tunnel{tunnel}Phase{phase}DhGroupNumbers"] == [14]


def test_readme_states_the_pinned_mode_and_the_vpn_demotion():
    from conftest import ROOT

    from network.routing import BEST_PATH_SELECTION_MODE

    readme = (ROOT / "README.md").read_text()
    assert f"bgpBestPathSelectionMode: {BEST_PATH_SELECTION_MODE}" in readme
    assert vpn_demotion(64601).startswith("asPath.prependSequence(") and "`asPath.prependSequence`" in readme
    assert f"{VPN_AS_PATH_PREPEND} copies" in readme
    assert "med.add" not in readme.split("## Risks only a real account can retire")[0]
    assert f"(MED {VPN_ADVERTISED_PRIORITY})" in readme


def test_pairing_keys_are_secret_in_the_attachments_state_too(stack_files, monkeypatch):
    """The provider does not mark `pairingKey` secret; without additional_secret_outputs it would sit in
    plain text in the state and in `pulumi stack export`, whatever the stack output says."""
    from conftest import run_checked

    from deploy.offline import RecordingMonitor

    secret_outputs: dict[str, list[str]] = {}
    register = RecordingMonitor.RegisterResource

    def recording(self, request):
        secret_outputs[request.name] = list(request.additionalSecretOutputs)
        return register(self, request)

    monkeypatch.setattr(RecordingMonitor, "RegisterResource", recording)
    plan = run_checked(stack_files["primary"])
    attachments = plan.of_type("gcp:compute/interconnectAttachment:InterconnectAttachment")
    assert len(attachments) == 2
    for attachment in attachments:
        assert "pairingKey" in secret_outputs[attachment.name]
    tunnel = plan.of_type("gcp:compute/vPNTunnel:VPNTunnel")[0]
    assert "sharedSecret" in secret_outputs[tunnel.name]


@pytest.mark.parametrize("stack", STACKS)
def test_exports_are_what_a_workload_needs_and_the_group_opens_only_the_paired_subnet(request, stack):
    plan = plan_for(request, stack)
    outputs = plan.outputs
    vpc = only(plan.of_type("aws:ec2/vpc:Vpc"))
    subnets = sorted(plan.of_type("aws:ec2/subnet:Subnet"), key=lambda subnet: subnet.name)
    assert outputs["vpcId"] == vpc.urn.split("::")[-1] + "-id"
    assert outputs["privateSubnetIds"] == [subnet.urn.split("::")[-1] + "-id" for subnet in subnets]
    assert {subnet.inputs["vpcId"] for subnet in subnets} == {outputs["vpcId"]}
    table = only(plan.of_type("aws:ec2/routeTable:RouteTable"))
    assert outputs["privateRouteTableId"] == table.urn.split("::")[-1] + "-id"
    associations = plan.of_type("aws:ec2/routeTableAssociation:RouteTableAssociation")
    assert {a.inputs["routeTableId"] for a in associations} == {outputs["privateRouteTableId"]}
    assert sorted(a.inputs["subnetId"] for a in associations) == outputs["privateSubnetIds"]
    group = only(plan.of_type("aws:ec2/securityGroup:SecurityGroup"))
    assert outputs["gcpAccessSecurityGroupId"] == group.urn.split("::")[-1] + "-id"
    assert "ingress" not in group.inputs and "egress" not in group.inputs
    paired = only(plan.of_type("gcp:compute/subnetwork:Subnetwork")).inputs["ipCidrRange"]
    for rule_type in (
        "securityGroupIngressRule:SecurityGroupIngressRule",
        "securityGroupEgressRule:SecurityGroupEgressRule",
    ):
        rules = plan.of_type(f"aws:vpc/{rule_type}")
        assert {rule.inputs["cidrIpv4"] for rule in rules} == {paired}
        assert {rule.inputs["securityGroupId"] for rule in rules} == {outputs["gcpAccessSecurityGroupId"]}
        opened = sorted((rule.inputs["ipProtocol"], rule.inputs["fromPort"], rule.inputs["toPort"]) for rule in rules)
        assert opened == [("icmp", -1, -1), ("tcp", 443, 443), ("tcp", 5060, 5060), ("tcp", 5061, 5061)]
    assert outputs["interconnectPairingKeys"] == "[secret]"
