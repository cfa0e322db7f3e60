"""Network config rules on edited stack files: each bad value is one line naming key, value and rule; edge
values that AWS and Google Cloud accept are accepted and deploy."""

import copy
from collections.abc import Callable
from typing import Any

import pytest
from conftest import only, run_checked, structured

from config import ConfigError
from deploy.offline import Plan, run_program
from deploy.stack_files import StackFile, validate_stack_file
from network.ha_vpn import customer_gateway_asn

L1 = "connectdr:network.legs.us-east-1"
Edit = Callable[[dict[str, Any]], None]


def with_network(stack: StackFile, change: Edit) -> StackFile:
    network = copy.deepcopy(structured(stack, "network"))
    change(network)
    return stack.with_values(network=network)


def leg(field: str, value: Any) -> Edit:
    return lambda network: network["legs"]["us-east-1"].__setitem__(field, value)


def with_secret(stack: StackFile, name: str, value: str) -> StackFile:
    key = f"connectdr:{name}"
    return StackFile(stack.name, {**stack.values, key: value}, stack.secret_keys | {key})


BAD: list[tuple[str, Edit, str]] = [
    (
        "VPC larger than /16",
        leg("vpcCidr", "10.110.0.0/15"),
        f"{L1}.vpcCidr = '10.110.0.0/15': AWS VPCs are /16 (65,536 addresses) to /28 (16 addresses)",
    ),
    (
        "VPC smaller than /28",
        leg("vpcCidr", "10.110.0.0/29"),
        f"{L1}.vpcCidr = '10.110.0.0/29': AWS VPCs are /16 (65,536 addresses) to /28 (16 addresses)",
    ),
    (
        "VPC too small to split across its zones",
        leg("vpcCidr", "10.110.0.0/28"),
        f"{L1}.vpcCidr = '10.110.0.0/28': too small for 2 availability zones: each would get a /29 subnet and "
        "AWS subnets are /16 to /28; use a larger VPC CIDR or fewer availabilityZones",
    ),
    (
        "GCP region not a region name",
        leg("gcpRegion", "us_east4"),
        f"{L1}.gcpRegion = 'us_east4': must be a Google Cloud region name such as us-east4 or europe-west10",
    ),
    (
        "link-local GCP subnet",
        leg("gcpSubnetCidr", "169.254.100.0/24"),
        f"{L1}.gcpSubnetCidr = '169.254.100.0/24': overlaps the link-local range 169.254.0.0/16, "
        "which Google Cloud subnets cannot use",
    ),
    (
        "GCP subnet covering link-local",
        leg("gcpSubnetCidr", "168.0.0.0/6"),
        f"{L1}.gcpSubnetCidr = '168.0.0.0/6': overlaps the link-local range 169.254.0.0/16, "
        "which Google Cloud subnets cannot use",
    ),
    (
        "loopback GCP subnet",
        leg("gcpSubnetCidr", "127.10.0.0/20"),
        f"{L1}.gcpSubnetCidr = '127.10.0.0/20': overlaps the loopback range 127.0.0.0/8, "
        "which Google Cloud subnets cannot use",
    ),
    (
        "Layer 2 partner service",
        lambda network: network.__setitem__("interconnectPartnerService", "LAYER_2"),
        "connectdr:network.interconnectPartnerService = 'LAYER_2': Layer 2 partner service is not supported: "
        "it leaves the BGP sessions between Cloud Router and AWS to you, and this program declares none; "
        "buy the partner's Layer 3 service (LAYER_3)",
    ),
    (
        "unknown partner service",
        lambda network: network.__setitem__("interconnectPartnerService", "DEDICATED"),
        "connectdr:network.interconnectPartnerService = 'DEDICATED': must be LAYER_3 "
        "(the partner runs BGP with Cloud Router)",
    ),
    (
        "second Interconnect metro in the same region",
        leg("interconnectSecondRegion", "us-east4"),
        f"{L1}.interconnectSecondRegion = 'us-east4': must differ from gcpRegion (us-east4): "
        "the 99.99% layout needs attachments in two metros",
    ),
    (
        "GCP subnet smaller than /29",
        leg("gcpSubnetCidr", "10.210.0.0/30"),
        f"{L1}.gcpSubnetCidr = '10.210.0.0/30': Google Cloud subnets are /29 (8 addresses) or larger",
    ),
    (
        "link-local VPC",
        leg("vpcCidr", "169.254.0.0/16"),
        f"{L1}.vpcCidr = '169.254.0.0/16': overlaps the link-local range 169.254.0.0/16, "
        "which is reserved for special use and cannot be a VPC's range",
    ),
    (
        "multicast VPC",
        leg("vpcCidr", "224.1.0.0/16"),
        f"{L1}.vpcCidr = '224.1.0.0/16': overlaps the multicast range 224.0.0.0/4, "
        "which is reserved for special use and cannot be a VPC's range",
    ),
    (
        "loopback VPC",
        leg("vpcCidr", "127.0.0.0/16"),
        f"{L1}.vpcCidr = '127.0.0.0/16': overlaps the loopback range 127.0.0.0/8, "
        "which is reserved for special use and cannot be a VPC's range",
    ),
    (
        "no TCP port",
        lambda network: network.__setitem__("allowedTcpPorts", []),
        "connectdr:network.allowedTcpPorts = []: list at least one port: an empty list would open every TCP "
        "port in the Google Cloud firewall rule",
    ),
    (
        "TCP port listed twice",
        lambda network: network.__setitem__("allowedTcpPorts", [443, 5060, 443]),
        "connectdr:network.allowedTcpPorts = [443, 5060, 443]: each port once (443 is listed more than once)",
    ),
    (
        "more TCP ports than a security group holds rules",
        lambda network: network.__setitem__("allowedTcpPorts", list(range(1000, 1060))),
        f"connectdr:network.allowedTcpPorts = {list(range(1000, 1060))}: at most 59 ports: the AWS security group "
        "gets one inbound and one outbound rule per port plus one for ICMP, and holds 60 rules each way",
    ),
    (
        "TCP port out of range",
        lambda network: network.__setitem__("allowedTcpPorts", [0]),
        "connectdr:network.allowedTcpPorts[0] = 0: TCP ports are 1 to 65535",
    ),
    (
        "hosted VIF listed twice",
        leg("hostedVifIds", ["dxvif-ffabc123", "dxvif-ffabc123"]),
        f"{L1}.hostedVifIds[1] = 'dxvif-ffabc123': already used by {L1}.hostedVifIds[0]; "
        "a hosted VIF is accepted once, by one leg",
    ),
    (
        "hosted VIF claimed by both legs",
        lambda network: [
            network["legs"][region].__setitem__("hostedVifIds", ["dxvif-ffabc123"]) for region in network["legs"]
        ],
        "connectdr:network.legs.us-west-2.hostedVifIds[0] = 'dxvif-ffabc123': already used by "
        f"{L1}.hostedVifIds[0]; a hosted VIF is accepted once, by one leg",
    ),
    (
        "hosted VIF id not a VIF id",
        leg("hostedVifIds", ["dxvif-ABC"]),
        f"{L1}.hostedVifIds[0] = 'dxvif-ABC': must be a virtual interface id such as dxvif-ffabc123 "
        "(dxvif- then lowercase letters and digits)",
    ),
    (
        "five hosted VIFs",
        leg("hostedVifIds", [f"dxvif-ffabc{i}" for i in range(5)]),
        f"{L1}.hostedVifIds = {[f'dxvif-ffabc{i}' for i in range(5)]!r}: at most 4 hosted VIFs per leg "
        "(one per attachment of the 99.99% layout)",
    ),
    (
        "PSK secret name not a config key name",
        lambda network: network["legs"]["us-east-1"]["vpnTunnels"][0].__setitem__("presharedKeySecret", "psk-1"),
        f"{L1}.vpnTunnels[0].presharedKeySecret = 'psk-1': must name a config key: a letter, then up to 63 "
        "letters, digits or '_'",
    ),
    (
        "GCP project id malformed",
        lambda network: network.__setitem__("gcpProject", "Acme_Net"),
        "connectdr:network.gcpProject = 'Acme_Net': must be a Google Cloud project id: 6-30 lowercase letters, "
        "digits or '-', starting with a letter and not ending with '-'",
    ),
    (
        "GCP network name malformed",
        lambda network: network.__setitem__("gcpNetworkName", "Backbone_1"),
        "connectdr:network.gcpNetworkName = 'Backbone_1': must be a Google Cloud resource name: 1-63 lowercase "
        "letters, digits or '-', starting with a letter and not ending with '-'",
    ),
    (
        "MTU no attachment accepts",
        lambda network: network.__setitem__("mtu", 9001),
        "connectdr:network.mtu = 9001: must be 1440, 1460, 1500 or 8896, the MTUs a VLAN attachment accepts",
    ),
    (
        "VIF home region not an AWS region",
        leg("vifHomeRegion", "useast1"),
        f"{L1}.vifHomeRegion = 'useast1': must be an AWS region name such as us-east-1",
    ),
]


@pytest.mark.parametrize(("case", "change", "expected"), BAD, ids=[case[0] for case in BAD])
def test_each_network_rule_names_key_value_and_rule(stack_files, case, change, expected):
    with pytest.raises(ConfigError) as raised:
        validate_stack_file(with_network(stack_files["primary"], change))
    lines = [str(problem) for problem in raised.value.problems]
    # Renaming a tunnel's secret also leaves the stack's stored key unused, which is rightly reported too.
    assert [line for line in lines if ": unknown key; " not in line] == [expected]


@pytest.mark.parametrize(
    "change",
    [
        leg("gcpRegion", "europe-west10"),
        leg("vpcCidr", "10.110.0.0/26"),
        lambda n: n["legs"]["us-east-1"].update(vpcCidr="10.110.0.0/26", availabilityZones=4),
        leg("vpnRouterAsn", 4_200_000_001),
        leg("interconnectSecondRegion", "us-east1"),
        lambda n: n["legs"]["us-east-1"].update(hostedVifIds=[f"dxvif-ffabc{i}" for i in range(4)]),
        leg("vpcCidr", "10.110.0.0/27"),
        leg("gcpSubnetCidr", "10.210.0.0/29"),
        leg("vgwAsn", 64512),
        leg("vgwAsn", 65534),
        leg("dxGatewayAsn", 4_200_000_000),
        leg("vgwAsn", 4_294_967_294),
        leg("vpnRouterAsn", 4_294_967_294),
        leg("interconnectSecondRegion", "europe-west10"),
        lambda n: n.update(allowedTcpPorts=list(range(1000, 1059))),
        lambda n: n.update(allowedTcpPorts=[1, 65535]),
        lambda n: n.update(mtu="1460"),
    ],
    ids=[
        "two-digit region",
        "/26 VPC",
        "/26 VPC over 4 zones",
        "4-byte VPN ASN",
        "99.99% layout",
        "four VIFs",
        "/27 VPC over 2 zones",
        "/29 GCP subnet",
        "lowest private VGW ASN",
        "highest 2-byte VGW ASN",
        "lowest 4-byte DX ASN",
        "highest 4-byte VGW ASN",
        "highest 4-byte VPN ASN",
        "two-digit second region",
        "59 ports",
        "port range ends",
        "MTU as `config set --path` stores it",
    ],
)
def test_edge_values_the_clouds_accept_are_accepted(stack_files, change):
    assert validate_stack_file(with_network(stack_files["primary"], change)).stack.leg is not None


def test_a_preshared_key_value_reused_across_tunnels_is_refused_without_printing_it(stack_files):
    reused = "Shared.Key_12345"
    stack = with_secret(stack_files["primary"], "vpnPskUse1ConnATunnel1", reused)
    stack = with_secret(stack, "vpnPskUse1ConnBTunnel2", reused)
    with pytest.raises(ConfigError) as raised:
        validate_stack_file(stack)
    assert [str(problem) for problem in raised.value.problems] == [
        "connectdr:vpnPskUse1ConnBTunnel2 = [secret]: same value as connectdr:vpnPskUse1ConnATunnel1; "
        "each VPN tunnel needs its own pre-shared key"
    ]
    assert reused not in str(raised.value) and reused not in repr(raised.value.problems)
    plan = Plan("primary")
    with pytest.raises(ConfigError):
        run_program(stack, plan=plan)
    assert plan.resources == []


def test_customer_gateway_asn_field_follows_aws_ranges():
    assert customer_gateway_asn(65101) == {"bgp_asn": "65101"}
    assert customer_gateway_asn(2_147_483_647) == {"bgp_asn": "2147483647"}
    assert customer_gateway_asn(2_147_483_648) == {"bgp_asn_extended": "2147483648"}
    assert customer_gateway_asn(4_200_000_001) == {"bgp_asn_extended": "4200000001"}


def test_a_4_byte_vpn_router_asn_goes_in_the_extended_field(stack_files):
    plan = run_checked(with_network(stack_files["primary"], leg("vpnRouterAsn", 4_200_000_001)))
    for gateway in plan.of_type("aws:ec2/customerGateway:CustomerGateway"):
        assert gateway.inputs["bgpAsnExtended"] == "4200000001"
        assert "bgpAsn" not in gateway.inputs
    assert plan.named("network-vpn-router").inputs["bgp"]["asn"] == 4_200_000_001


def test_a_two_digit_gcp_region_deploys(stack_files):
    plan = run_checked(with_network(stack_files["primary"], leg("gcpRegion", "europe-west10")))
    for resource_type in ("subnetwork:Subnetwork", "router:Router", "haVpnGateway:HaVpnGateway"):
        regions = {r.inputs["region"] for r in plan.of_type(f"gcp:compute/{resource_type}")}
        assert regions == {"europe-west10"}


def test_the_99_99_layout_puts_four_attachments_in_two_metros(stack_files):
    plan = run_checked(with_network(stack_files["primary"], leg("interconnectSecondRegion", "us-east1")))
    attachments = plan.of_type("gcp:compute/interconnectAttachment:InterconnectAttachment")
    by_region: dict[str, list[str]] = {}
    for attachment in attachments:
        by_region.setdefault(attachment.inputs["region"], []).append(attachment.inputs["edgeAvailabilityDomain"])
    assert {region: sorted(domains) for region, domains in by_region.items()} == {
        "us-east4": ["AVAILABILITY_DOMAIN_1", "AVAILABILITY_DOMAIN_2"],
        "us-east1": ["AVAILABILITY_DOMAIN_1", "AVAILABILITY_DOMAIN_2"],
    }
    routers = {r.name: r for r in plan.of_type("gcp:compute/router:Router")}
    assert sorted(routers) == ["network-interconnect-router", "network-interconnect-router-2", "network-vpn-router"]
    second = routers["network-interconnect-router-2"]
    assert second.inputs["region"] == "us-east1" and second.inputs["bgp"]["asn"] == 16550
    on_second = [a for a in attachments if a.inputs["region"] == "us-east1"]
    assert {a.inputs["router"] for a in on_second} == {"network-interconnect-router-2-id"}
    assert len({str(r.inputs["bgp"]["advertisedIpRanges"]) for r in routers.values()}) == 1
    assert plan.outputs["interconnectPairingKeys"] == "[secret]"


def test_the_default_layout_is_one_pair_in_one_metro(primary):
    attachments = primary.of_type("gcp:compute/interconnectAttachment:InterconnectAttachment")
    assert len(attachments) == 2
    assert only(primary.of_type("gcp:compute/network:Network")).inputs["routingMode"] == "GLOBAL"


def test_the_other_legs_preshared_key_in_plain_text_is_refused_without_printing_it(stack_files):
    """Each stack holds only its own leg's keys as secrets; a key of the other leg written in plain text
    into this stack's file would otherwise pass and be printed by `python -m deploy plan --format json`."""
    leaked = "Plain.Leak_Key123"
    values = {**stack_files["primary"].values, "connectdr:vpnPskUsw2ConnATunnel1": leaked}
    stack = StackFile("primary", values, stack_files["primary"].secret_keys - {"connectdr:vpnPskUsw2ConnATunnel1"})
    with pytest.raises(ConfigError) as raised:
        validate_stack_file(stack)
    assert [str(problem) for problem in raised.value.problems] == [
        "connectdr:vpnPskUsw2ConnATunnel1 = [secret]: the us-west-2 leg's pre-shared key belongs to the secondary "
        "stack: remove it here (`pulumi config rm connectdr:vpnPskUsw2ConnATunnel1`); it was stored in plain text, "
        "so choose a new key"
    ]
    assert leaked not in str(raised.value) and leaked not in repr(raised.value.problems)


def test_reuse_is_judged_by_value_not_by_key_name_case(stack_files):
    """Two key names differing only in case are two config keys; the same value behind them is still reuse.
    Values differing in case are different keys to IKE and are accepted."""
    upper = "VPNPSKUSE1CONNATUNNEL1"
    renamed = with_network(
        stack_files["primary"],
        lambda network: network["legs"]["us-east-1"]["vpnTunnels"][1].__setitem__("presharedKeySecret", upper),
    ).with_values(vpnPskUse1ConnATunnel2=None)
    stack = with_secret(with_secret(renamed, "vpnPskUse1ConnATunnel1", "Shared.Key_12345"), upper, "Shared.Key_12345")
    with pytest.raises(ConfigError) as raised:
        validate_stack_file(stack)
    assert [str(problem) for problem in raised.value.problems] == [
        f"connectdr:{upper} = [secret]: same value as connectdr:vpnPskUse1ConnATunnel1; "
        "each VPN tunnel needs its own pre-shared key"
    ]
    accepted = with_secret(
        with_secret(renamed, "vpnPskUse1ConnATunnel1", "Shared.Key_12345"), upper, "shared.key_12345"
    )
    assert validate_stack_file(accepted).preshared_keys[upper] == "shared.key_12345"


def test_more_zones_than_the_region_offers_is_a_config_error_before_anything_is_declared(stack_files, monkeypatch):
    """How many zones a region offers depends on the account, so only the deploy can tell; it must still be
    one clear line (no IndexError traceback) and stop before any resource is declared."""
    from deploy.mocks import CloudMocks

    answer = CloudMocks.call

    def two_zones(self, args):
        result = answer(self, args)
        if args.token == "aws:index/getAvailabilityZones:getAvailabilityZones":
            result["names"] = result["names"][:2]
        return result

    monkeypatch.setattr(CloudMocks, "call", two_zones)
    plan = Plan("primary")
    with pytest.raises(ConfigError) as raised:
        run_program(with_network(stack_files["primary"], leg("availabilityZones", 3)), plan=plan)
    assert [str(problem) for problem in raised.value.problems] == [
        f"{L1}.availabilityZones = 3: us-east-1 offers this account 2 available zones (us-east-1a, us-east-1b)"
    ]
    assert [resource for resource in plan.resources if not resource.type.startswith("pulumi:providers:")] == []


def test_a_4_byte_vgw_asn_reaches_the_gateway_the_peers_and_the_vpn_demotion(stack_files):
    from network.routing import vpn_demotion

    asn = 4_294_967_294
    plan = run_checked(with_network(stack_files["primary"], leg("vgwAsn", asn)))
    assert only(plan.of_type("aws:ec2/vpnGateway:VpnGateway")).inputs["amazonSideAsn"] == str(asn)
    assert {peer.inputs["peerAsn"] for peer in plan.of_type("gcp:compute/routerPeer:RouterPeer")} == {asn}
    policy = only(plan.of_type("gcp:compute/routerRoutePolicy:RouterRoutePolicy"))
    assert policy.inputs["terms"][0]["actions"][0]["expression"] == vpn_demotion(asn)
    assert str(asn) in vpn_demotion(asn)
