"""A security group for AWS workloads that talk to Google Cloud over the leg."""

from collections.abc import Sequence

import pulumi
import pulumi_aws as aws

DIRECTIONS = (("in", aws.vpc.SecurityGroupIngressRule), ("out", aws.vpc.SecurityGroupEgressRule))


def build_gcp_access_group(
    name: str,
    physical_name: str,
    vpc_id: pulumi.Input[str],
    gcp_ranges: Sequence[str],
    tcp_ports: Sequence[int],
    parent: pulumi.Resource,
) -> aws.ec2.SecurityGroup:
    """A group that admits the Google Cloud ranges on the leg's ports (and ICMP) and lets its members reach
    them on the same ports; attach it to a workload placed in the private subnets. Nothing else is opened."""
    child = pulumi.ResourceOptions(parent=parent)
    group = aws.ec2.SecurityGroup(
        f"{name}-gcp-access",
        name=f"{physical_name}-gcp-access",
        description="Traffic to and from the paired Google Cloud subnet over Interconnect or HA VPN",
        vpc_id=vpc_id,
        tags={"Name": f"{physical_name}-gcp-access"},
        opts=child,
    )
    permissions = [("tcp", port, port) for port in tcp_ports] + [("icmp", -1, -1)]
    for direction, rule_type in DIRECTIONS:
        for index, cidr in enumerate(gcp_ranges):
            for protocol, from_port, to_port in permissions:
                port_name = protocol if protocol == "icmp" else f"tcp-{from_port}"
                rule_type(
                    f"{name}-gcp-{direction}-{index}-{port_name}",
                    security_group_id=group.id,
                    cidr_ipv4=cidr,
                    ip_protocol=protocol,
                    from_port=from_port,
                    to_port=to_port,
                    opts=child,
                )
    return group
