"""The Google Cloud subnet paired with an AWS region, and a firewall that admits that region's VPC to it only."""

from collections.abc import Sequence

import pulumi
import pulumi_gcp as gcp


def build_gcp_subnet(
    name: str,
    physical_name: str,
    gcp_region: str,
    network_id: pulumi.Input[str],
    subnet_cidr: str,
    aws_vpc_cidr: str,
    tcp_ports: Sequence[int],
    parent: pulumi.Resource,
) -> gcp.compute.Subnetwork:
    """A private subnet (flow logs on) and an ingress rule from the AWS VPC CIDR to this subnet's addresses
    only (destination ranges), on the needed ports: other subnets of the shared network stay closed."""
    child = pulumi.ResourceOptions(parent=parent)
    subnet = gcp.compute.Subnetwork(
        f"{name}-subnet",
        name=f"{physical_name}-subnet",
        region=gcp_region,
        network=network_id,
        ip_cidr_range=subnet_cidr,
        private_ip_google_access=True,
        log_config=gcp.compute.SubnetworkLogConfigArgs(aggregation_interval="INTERVAL_5_SEC", flow_sampling=0.5),
        opts=child,
    )
    gcp.compute.Firewall(
        f"{name}-allow-aws",
        name=f"{physical_name}-allow-aws",
        network=network_id,
        direction="INGRESS",
        priority=1000,
        source_ranges=[aws_vpc_cidr],
        destination_ranges=[subnet_cidr],
        allows=[
            gcp.compute.FirewallAllowArgs(protocol="tcp", ports=[str(port) for port in tcp_ports]),
            gcp.compute.FirewallAllowArgs(protocol="icmp"),
        ],
        log_config=gcp.compute.FirewallLogConfigArgs(metadata="INCLUDE_ALL_METADATA"),
        opts=child,
    )
    return subnet
