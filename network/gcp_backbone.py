"""The Google Cloud VPC network both regions' legs attach to (primary stack)."""

from dataclasses import dataclass

import pulumi
import pulumi_gcp as gcp

from network.routing import ALWAYS_COMPARE_MED, BEST_PATH_SELECTION_MODE, INTER_REGION_COST


@dataclass
class GcpBackboneArgs:
    network_name: str
    mtu: int


class GcpBackbone(pulumi.ComponentResource):
    """A custom-mode VPC network with GLOBAL dynamic routing, so Cloud Routers in every region
    learn the AWS routes of both legs; its MTU matches the Interconnect attachments, and its BGP
    best-path selection is pinned to the mode the Interconnect-over-VPN preference relies on
    (STANDARD: AS path length first; see network.routing)."""

    network_id: pulumi.Output[str]
    network_name: pulumi.Output[str]

    def __init__(self, name: str, args: GcpBackboneArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("connectdr:network:GcpBackbone", name, None, opts)
        network = gcp.compute.Network(
            f"{name}-network",
            name=args.network_name,
            auto_create_subnetworks=False,
            routing_mode="GLOBAL",
            bgp_best_path_selection_mode=BEST_PATH_SELECTION_MODE,
            bgp_always_compare_med=ALWAYS_COMPARE_MED,
            bgp_inter_region_cost=INTER_REGION_COST,
            mtu=args.mtu,
            description="connectdr backbone to the AWS contact center regions",
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.network_id = network.id
        self.network_name = network.name
        self.register_outputs({"network_id": self.network_id, "network_name": self.network_name})
