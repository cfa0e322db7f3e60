"""What a project's `config:` block declares, read and applied as the CLI does (sdk/go/common/workspace/project.go
`Validate` and project.json, pkg/workspace/config.go `mergeConfig`).

A bare text, whole number, true/false or list is a value for every stack; a mapping is a declaration with `type`,
`items`, `description`, `secret`, `default` and `value`. A key of the project's namespace declared without a value
(or with `value: null`) is one every stack must set; a typed key's value must have its type; a key declared
`secret: true` must be a stack secret.
"""

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

ATTRIBUTES = frozenset({"type", "items", "description", "secret", "default", "value"})
TYPES = ("string", "integer", "boolean", "array", "object")


class DeclarationError(ValueError):
    """A project config entry the CLI refuses: the reason, naming the key."""


@dataclass(frozen=True)
class Declaration:
    """One project config entry: the value every stack gets (None: no value) and the schema stacks must meet."""

    value: Any = None
    type: str | None = None
    items: Mapping[str, Any] | None = None
    secret: bool = False


def _check_schema(key: str, entry: Mapping[str, Any], in_project: bool) -> None:
    if unknown := sorted(set(entry) - ATTRIBUTES):
        raise DeclarationError(
            f"config {key}: a mapping here is a declaration, and {', '.join(unknown)} is not one of its "
            f"attributes ({', '.join(sorted(ATTRIBUTES))}); put a structured value under `value:`"
        )
    if entry.get("value") is not None and entry.get("default") is not None:
        raise DeclarationError(f"config {key}: cannot have both `default` and `value`")
    if not in_project and (
        entry.get("type") is not None or entry.get("default") is not None or entry.get("value") is None
    ):
        raise DeclarationError(f"config {key}: keys of another namespace take only `value:`")
    if "type" in entry and entry["type"] not in TYPES:
        raise DeclarationError(f"config {key}: `type` must be one of {', '.join(TYPES)}")
    if entry.get("type") == "array" and not isinstance(entry.get("items"), Mapping):
        raise DeclarationError(f"config {key}: an array declares the type of its items (`items: {{type: string}}`)")
    if not isinstance(entry.get("description", ""), str):
        raise DeclarationError(f"config {key}: `description` must be text")
    if not isinstance(entry.get("secret", False), bool):
        raise DeclarationError(f"config {key}: `secret` must be true or false")


def read_declaration(key: str, entry: Any, in_project: bool) -> Declaration:
    """The declaration a project config entry makes. Raises DeclarationError when the CLI would refuse it."""
    if isinstance(entry, float):
        raise DeclarationError(f"config {key}: a number with a fraction must go under `value:`")
    if entry is None:
        raise DeclarationError(f"config {key}: has no value; write one, or a declaration with `value:`")
    if not isinstance(entry, Mapping):
        return Declaration(value=entry)
    _check_schema(key, entry, in_project)
    declared_type, items = entry.get("type"), entry.get("items")
    default = entry.get("default")
    if declared_type is not None and default is not None and not has_type(declared_type, items, default):
        raise DeclarationError(f"config {key}: its default is not of type {type_name(declared_type, items)}")
    value = entry.get("value") if entry.get("value") is not None else default
    return Declaration(value, declared_type, items, bool(entry.get("secret", False)))


def type_name(declared_type: str, items: Mapping[str, Any] | None) -> str:
    """`array<string>` for an array of text, as the CLI names types."""
    if items is None:
        return declared_type
    return f"array<{type_name(str(items.get('type')), items.get('items'))}>"


def has_type(declared_type: str, items: Mapping[str, Any] | None, content: Any) -> bool:
    """The CLI's ValidateConfigValue: a value given as text (every stack scalar is) counts for integer and boolean."""
    if declared_type == "string":
        return isinstance(content, str)
    if declared_type == "integer":
        if isinstance(content, bool):
            return False
        if isinstance(content, int) or (isinstance(content, float) and content.is_integer()):
            return True
        return isinstance(content, str) and re.fullmatch(r"[-+]?[0-9]+", content) is not None
    if declared_type == "boolean":
        return isinstance(content, bool) or content in ("true", "false")
    if declared_type == "object":
        return isinstance(content, dict)
    if not isinstance(content, list) or items is None:
        return False
    return all(has_type(str(items.get("type")), items.get("items"), item) for item in content)


def as_engine_content(value: Any) -> Any:
    """A config value as the CLI checks it against a type: scalars as their text, structures parsed from JSON."""
    if isinstance(value, dict | list):
        return json.loads(json.dumps(value))
    if isinstance(value, bool):
        return "true" if value else "false"
    return "" if value is None else str(value)
