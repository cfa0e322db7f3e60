"""AWS Direct Connect: a DX gateway for the VGW, and acceptance of the partner's hosted private VIFs."""

import pulumi
import pulumi_aws as aws


def build_direct_connect(
    name: str,
    physical_name: str,
    dx_gateway_asn: int,
    vpn_gateway_id: pulumi.Input[str],
    vpc_cidr: str,
    hosted_vif_ids: list[str],
    vif_home_region: str,
    parent: pulumi.Resource,
) -> aws.directconnect.Gateway:
    """A DX gateway (global) associated with the VGW, advertising only the VPC CIDR; one accepter per VIF id,
    in the VIF's home region (the region of the partner's Direct Connect location).

    Hosted VIF ids exist only once the partner has provisioned the circuit; with none configured the leg
    still deploys and the Interconnect pairing keys are what the partner needs next.
    """
    child = pulumi.ResourceOptions(parent=parent)
    gateway = aws.directconnect.Gateway(
        f"{name}-dxgw", name=f"{physical_name}-dxgw", amazon_side_asn=str(dx_gateway_asn), opts=child
    )
    aws.directconnect.GatewayAssociation(
        f"{name}-dxgw-vgw",
        dx_gateway_id=gateway.id,
        associated_gateway_id=vpn_gateway_id,
        allowed_prefixes=[vpc_cidr],
        opts=child,
    )
    for vif_id in hosted_vif_ids:
        aws.directconnect.HostedPrivateVirtualInterfaceAccepter(
            f"{name}-{vif_id}",
            virtual_interface_id=vif_id,
            region=vif_home_region,
            dx_gateway_id=gateway.id,
            tags={"Name": f"{name}-{vif_id}"},
            opts=child,
        )
    return gateway
