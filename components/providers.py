"""Explicit cloud providers: this stack's AWS region and the Google Cloud project, with tags on everything."""

import re

import pulumi
import pulumi_aws as aws
import pulumi_gcp as gcp

from config import StackConfig

PRODUCT = "connectdr"


def resource_tags(cfg: StackConfig) -> dict[str, str]:
    """The stack's tags plus what identifies the product and the stack's role."""
    return {**cfg.tags, "product": PRODUCT, "connectdr-role": cfg.role}


def gcp_labels(tags: dict[str, str]) -> dict[str, str]:
    """GCP labels allow lowercase letters, digits, '_' and '-' (63 max): the tags, folded to fit."""

    def fold(text: str) -> str:
        return re.sub(r"[^a-z0-9_-]", "_", text.lower())[:63]

    return {fold(key): fold(value) for key, value in tags.items()}


def cloud_providers(cfg: StackConfig) -> pulumi.ResourceOptions:
    """Resource options that route AWS resources to this stack's region and GCP ones to the project."""
    tags = resource_tags(cfg)
    aws_provider = aws.Provider(
        f"aws-{cfg.region}",
        region=cfg.region,
        default_tags=aws.ProviderDefaultTagsArgs(tags=tags),
    )
    gcp_provider = gcp.Provider(
        "gcp",
        project=cfg.network.gcp_project,
        default_labels=gcp_labels(tags),
    )
    return pulumi.ResourceOptions(providers={"aws": aws_provider, "gcp": gcp_provider})
