"""The private backbone: AWS VPCs to a Google Cloud VPC over Interconnect, with HA VPN as backup."""

from network.gcp_backbone import GcpBackbone, GcpBackboneArgs
from network.leg import NetworkLeg, NetworkLegArgs

__all__ = ["GcpBackbone", "GcpBackboneArgs", "NetworkLeg", "NetworkLegArgs"]
