"""Renders offline plans as a text tree, as JSON (inputs as the engine receives them), or as Mermaid.

All three are deterministic: resources sorted by URN, keys sorted, and Lambda code (assets and
archives) shown as a content hash with its file list, so a committed plan diffs cleanly in review.
"""

import hashlib
import json
import zipfile
from pathlib import Path
from typing import Any

import pulumi
from pulumi.runtime import rpc

from components.primary_link import LINK_KEYS
from deploy.offline import SECRET, Declared, Plan
from deploy.plan import StackPlan

MAX_SHOWN_INPUTS = 6
MAX_SHOWN_LENGTH = 60
HIDDEN_INPUTS = frozenset({"__provider", "tags", "tagsAll", "labels", "policy", "content", "code"})


def _digest(chunks: list[tuple[str, bytes]]) -> str:
    hashed = hashlib.sha256()
    for name, content in sorted(chunks):
        hashed.update(f"{name}\0{hashlib.sha256(content).hexdigest()}\n".encode())
    return hashed.hexdigest()


def _folder_files(path: Path) -> list[tuple[str, bytes]]:
    if path.is_dir():
        return [(str(f.relative_to(path)), f.read_bytes()) for f in sorted(path.rglob("*")) if f.is_file()]
    with zipfile.ZipFile(path) as archive:
        return [(name, archive.read(name)) for name in sorted(archive.namelist()) if not name.endswith("/")]


def _asset_bytes(asset: pulumi.Asset) -> bytes:
    if isinstance(asset, pulumi.FileAsset):
        return Path(asset.path).read_bytes()
    if isinstance(asset, pulumi.StringAsset):
        return asset.text.encode()
    return str(getattr(asset, "uri", "")).encode()


def _archive_files(archive: pulumi.Archive) -> list[tuple[str, bytes]]:
    if isinstance(archive, pulumi.FileArchive):
        return _folder_files(Path(archive.path))
    files: list[tuple[str, bytes]] = []
    for name, member in getattr(archive, "assets", {}).items():
        if isinstance(member, pulumi.Archive):
            files.extend((f"{name}/{inner}", content) for inner, content in _archive_files(member))
        else:
            files.append((name, _asset_bytes(member)))
    return files


def asset_view(value: pulumi.Asset | pulumi.Archive) -> dict[str, Any]:
    """An asset or archive as its content: a SHA-256 over the files and their names, and the file list."""
    if isinstance(value, pulumi.RemoteArchive | pulumi.RemoteAsset):
        return {"uri": value.uri}
    if isinstance(value, pulumi.Archive):
        files = _archive_files(value)
        return {"archive": {"sha256": _digest(files), "files": sorted(name for name, _ in files)}}
    return {"asset": {"sha256": hashlib.sha256(_asset_bytes(value)).hexdigest()}}


def plain(value: Any) -> Any:
    """Inputs as JSON-ready data; anything marked secret becomes `[secret]`, Lambda code its content hash."""
    if rpc.is_rpc_secret(value):
        return SECRET
    if isinstance(value, pulumi.Asset | pulumi.Archive):
        return asset_view(value)
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
                    for resource in sorted(stack.plan.resources, key=lambda item: item.urn)
                ],
                "outputs": plain(stack.plan.outputs),
            }
            for name, stack in stacks.items()
        }
    }
    return json.dumps(document, indent=2, sort_keys=True)


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
        components = sorted((r for r in stack.plan.resources if not r.custom), key=lambda item: item.urn)
        urns = {resource.urn: resource for resource in components}
        for resource in components:
            lines.append(f'    {_node(name, resource)}["{resource.type.split(":")[-1]}<br/>{resource.name}"]')
        references = sorted(stack.plan.of_type("pulumi:pulumi:StackReference"), key=lambda item: item.urn)
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
