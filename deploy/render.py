"""Renders offline plans as a text tree, as JSON (inputs as the engine receives them), or as Mermaid."""

import json
from typing import Any

from pulumi.runtime import rpc

from components.primary_link import LINK_KEYS
from deploy.offline import SECRET, Declared, Plan
from deploy.plan import StackPlan

MAX_SHOWN_INPUTS = 6
MAX_SHOWN_LENGTH = 60
HIDDEN_INPUTS = frozenset({"__provider", "tags", "tagsAll", "labels", "policy", "content", "code"})


def plain(value: Any) -> Any:
    """Inputs as JSON-ready data; anything marked secret becomes `[secret]`."""
    if rpc.is_rpc_secret(value):
        return SECRET
    if isinstance(value, dict):
        return {key: plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def public_config(stack: StackPlan) -> dict[str, Any]:
    """The stack file's config without secret values, structured values parsed."""
    shown: dict[str, Any] = {}
    for key, text in sorted(stack.file.values.items()):
        if key in stack.file.secret_keys:
            shown[key] = SECRET
            continue
        try:
            shown[key] = json.loads(text)
        except json.JSONDecodeError:
            shown[key] = text
    return shown


def to_json(stacks: dict[str, StackPlan]) -> str:
    document = {
        "stacks": {
            name: {
                "config": public_config(stack),
                "resources": [
                    {
                        "urn": resource.urn,
                        "type": resource.type,
                        "name": resource.name,
                        "parent": resource.parent,
                        "inputs": plain(resource.inputs),
                    }
                    for resource in stack.plan.resources
                ],
                "outputs": plain(stack.plan.outputs),
            }
            for name, stack in stacks.items()
        }
    }
    return json.dumps(document, indent=2, sort_keys=False)


def _key_inputs(resource: Declared) -> str:
    shown = []
    for key, value in plain(resource.inputs).items():
        if key in HIDDEN_INPUTS or isinstance(value, dict | list) or value in (None, ""):
            continue
        text = json.dumps(value) if not isinstance(value, str) else value
        if len(text) <= MAX_SHOWN_LENGTH:
            shown.append(f"{key}={text}")
        if len(shown) == MAX_SHOWN_INPUTS:
            break
    return f"  ({', '.join(shown)})" if shown else ""


def _tree(plan: Plan) -> list[str]:
    """Components and resources, each under its parent; `*` marks a component, `+` a resource."""
    urns = {resource.urn for resource in plan.resources}
    by_parent: dict[str | None, list[Declared]] = {}
    for resource in plan.resources:
        by_parent.setdefault(resource.parent if resource.parent in urns else None, []).append(resource)
    lines: list[str] = []

    def walk(parent: str | None, depth: int) -> None:
        for resource in sorted(by_parent.get(parent, []), key=lambda item: (item.custom, item.type, item.name)):
            marker = "+" if resource.custom else "*"
            lines.append(f"{'  ' * depth}{marker} {resource.type} {resource.name}{_key_inputs(resource)}")
            walk(resource.urn, depth + 1)

    walk(None, 1)
    return lines


def to_text(stacks: dict[str, StackPlan]) -> str:
    lines: list[str] = []
    for name, stack in stacks.items():
        plan = stack.plan
        region = stack.file.values.get("aws:region", "?")
        lines.append(f"Stack {name} ({region}): {len(plan.resources)} resources")
        lines.extend(_tree(plan))
        lines.append("  Resources per type:")
        for type_token, count in sorted(plan.type_counts().items()):
            lines.append(f"    {count:4d}  {type_token}")
        if plan.outputs:
            lines.append("  Outputs:")
            for key, value in plan.outputs.items():
                lines.append(f"    {key}: {json.dumps(plain(value))}")
        lines.append("")
    return "\n".join(lines)


def _node(stack: str, resource: Declared) -> str:
    return f"{stack}_{resource.name}".replace("-", "_").replace(".", "_")


def to_mermaid(stacks: dict[str, StackPlan]) -> str:
    lines = ["flowchart LR"]
    for name, stack in stacks.items():
        region = stack.file.values.get("aws:region", "?")
        lines.append(f'  subgraph {name}["{name} stack ({region})"]')
        components = [resource for resource in stack.plan.resources if not resource.custom]
        urns = {resource.urn: resource for resource in components}
        for resource in components:
            lines.append(f'    {_node(name, resource)}["{resource.type.split(":")[-1]}<br/>{resource.name}"]')
        references = stack.plan.of_type("pulumi:pulumi:StackReference")
        for reference in references:
            lines.append(f'    {_node(name, reference)}[("StackReference<br/>{reference.name}")]')
        lines.append("  end")
        for resource in components:
            if resource.parent in urns:
                lines.append(f"  {_node(name, urns[resource.parent])} --> {_node(name, resource)}")
    if "primary" in stacks and "secondary" in stacks:
        keys = ", ".join(key for key in LINK_KEYS if key in stacks["primary"].plan.outputs)
        for reference in stacks["secondary"].plan.of_type("pulumi:pulumi:StackReference"):
            lines.append(f'  primary -. "{keys}" .-> {_node("secondary", reference)}')
    return "\n".join(lines)
