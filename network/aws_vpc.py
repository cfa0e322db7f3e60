"""The AWS side of a leg: a VPC with private subnets and a virtual private gateway that propagates routes."""

import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from config import ConfigError, Problem
from config.network import private_subnet_prefix
from config.problems import key_path


@dataclass(frozen=True)
class AwsVpc:
    vpc: aws.ec2.Vpc
    vpn_gateway: aws.ec2.VpnGateway
    subnets: list[aws.ec2.Subnet]
    route_table: aws.ec2.RouteTable


def private_subnet_cidrs(vpc_cidr: str, count: int) -> list[str]:
    """Split the VPC CIDR into `count` equal private subnets (next power of two up)."""
    subnets = ipaddress.ip_network(vpc_cidr).subnets(new_prefix=private_subnet_prefix(vpc_cidr, count))
    return [str(subnet) for _, subnet in zip(range(count), subnets, strict=False)]


def available_zones(region: str, wanted: int) -> list[str]:
    """The first `wanted` zones the region offers this account; a config error when it offers fewer, which only
    the deploy can know. Called right after the config is loaded, so such an error declares nothing."""
    names = list(aws.get_availability_zones(state="available", region=region).names)
    if len(names) < wanted:
        rule = f"{region} offers this account {len(names)} available zones ({', '.join(names)})"
        raise ConfigError([Problem(key_path("network", "legs", region, "availabilityZones"), wanted, rule)])
    return names[:wanted]


def build_aws_vpc(name: str, vpc_cidr: str, zone_names: Sequence[str], vgw_asn: int, parent: pulumi.Resource) -> AwsVpc:
    """VPC, one private subnet per availability zone, a VGW with its ASN, and VGW route propagation."""
    child = pulumi.ResourceOptions(parent=parent)
    vpc = aws.ec2.Vpc(
        f"{name}-vpc",
        cidr_block=vpc_cidr,
        enable_dns_hostnames=True,
        enable_dns_support=True,
        tags={"Name": f"{name}-vpc"},
        opts=child,
    )
    route_table = aws.ec2.RouteTable(
        f"{name}-private-routes", vpc_id=vpc.id, tags={"Name": f"{name}-private"}, opts=child
    )
    subnets = []
    for index, cidr in enumerate(private_subnet_cidrs(vpc_cidr, len(zone_names))):
        subnet = aws.ec2.Subnet(
            f"{name}-private-{index}",
            vpc_id=vpc.id,
            cidr_block=cidr,
            availability_zone=zone_names[index],
            map_public_ip_on_launch=False,
            tags={"Name": f"{name}-private-{index}"},
            opts=child,
        )
        aws.ec2.RouteTableAssociation(
            f"{name}-private-{index}-routes", subnet_id=subnet.id, route_table_id=route_table.id, opts=child
        )
        subnets.append(subnet)
    vpn_gateway = aws.ec2.VpnGateway(
        f"{name}-vgw", vpc_id=vpc.id, amazon_side_asn=str(vgw_asn), tags={"Name": f"{name}-vgw"}, opts=child
    )
    aws.ec2.VpnGatewayRoutePropagation(
        f"{name}-vgw-propagation", vpn_gateway_id=vpn_gateway.id, route_table_id=route_table.id, opts=child
    )
    return AwsVpc(vpc=vpc, vpn_gateway=vpn_gateway, subnets=subnets, route_table=route_table)
