"""Contact flows at deploy time: each declared flow file with its placeholders resolved to ids.

The grammar and the config rules are in config/flows.py. Here every `${kind:name}` becomes the id of that
queue, flow or hours of operation, or the Lambda's region-neutral ARN; the result must still be JSON and
hold no ARN that names a region, so the flow Global Resiliency mirrors works in the replica region too.
"""

import json
import re
from collections.abc import Iterable, Mapping

from config.flows import PLACEHOLDER, Flow, references

REGIONAL_ARN = re.compile(r"arn:aws[a-z-]*:[a-z0-9-]+:(?!\$\.AwsRegion:)[a-z]{2}[a-z0-9-]*:")


def region_neutral(function_arn: str) -> str:
    """The function's ARN with its region as `$.AwsRegion`: Connect resolves it in the region that runs the
    flow (the function has the same name in both regions)."""
    parts = function_arn.split(":")
    return ":".join([*parts[:3], "$.AwsRegion", *parts[4:]])


def placeholder_key(kind: str, name: str) -> str:
    return f"{kind}:{name}"


def needed(text: str) -> set[str]:
    """The placeholder keys a flow's text uses."""
    return {placeholder_key(kind, name) for kind, name in references(text) if kind}


def render(flow_name: str, text: str, values: Mapping[str, str]) -> str:
    """The flow's JSON with every placeholder filled; refuses a result that names a region in an ARN."""
    content = PLACEHOLDER.sub(lambda match: values[match.group(1)], text)
    json.loads(content)
    if found := REGIONAL_ARN.search(content):
        raise ValueError(f"flow {flow_name} holds a region-specific ARN ({found.group(0)}...); use placeholders")
    return content


def creation_order(flows: Iterable[Flow], texts: Mapping[str, str]) -> list[Flow]:
    """Flows ordered so that each comes after the flows it names (the config rules exclude cycles)."""
    pending = {flow.name: flow for flow in flows}
    ordered: list[Flow] = []
    while pending:
        ready = [
            flow
            for flow in pending.values()
            if not any(kind == "flow" and name in pending for kind, name in references(texts[flow.name]))
        ]
        if not ready:
            raise ValueError(f"flows refer to each other in a cycle: {', '.join(sorted(pending))}")
        for flow in ready:
            ordered.append(flow)
            del pending[flow.name]
    return ordered
