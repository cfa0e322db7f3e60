"""Contact flows: JSON files in connect/flows/ with ${placeholders} filled at deploy time.

Lambda ARNs in flows use `$.AwsRegion`, so the flow the service mirrors to the replica calls the function
of the region that handles the contact; only the account id and function name are filled in here.
"""

import json
import re
from collections.abc import Mapping
from pathlib import Path

FLOWS_DIR = Path(__file__).resolve().parent / "flows"
INBOUND_FLOW_NAME = "connectdr-inbound"
PLACEHOLDER = re.compile(r"\$\{([a-z_]+)\}")
HARD_CODED_LAMBDA_REGION = re.compile(r"arn:aws[a-z-]*:lambda:(?!\$\.AwsRegion:)[^:]*:")


def flow_source(name: str) -> str:
    return (FLOWS_DIR / f"{name}.json").read_text()


def placeholders(name: str) -> set[str]:
    """The values a flow needs."""
    return set(PLACEHOLDER.findall(flow_source(name)))


def render_flow(name: str, values: Mapping[str, str]) -> str:
    """The flow's JSON with every placeholder filled; a missing value raises KeyError naming it."""
    content = PLACEHOLDER.sub(lambda match: str(values[match.group(1)]), flow_source(name))
    json.loads(content)
    if HARD_CODED_LAMBDA_REGION.search(content):
        raise ValueError(f"flow {name} calls a Lambda by a region-specific ARN; use $.AwsRegion")
    return content
