"""Reads a stack's config the way the engine hands it to the program: `Pulumi.yaml`'s project config, then
`Pulumi.<stack>.yaml`, whose keys each replace the project's value whole."""

import hashlib
import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from config import ConfigError, ConfigSourceError, EngineConfig, LoadedConfig, parse_stack_config, read_config_files
from config.problems import NOT_SHOWN, Problem
from config.secret_keys import secret_names_by_region
from config.sources import Secure, check_against_project, holds_secure, read_project

PROJECT_ROOT = Path(__file__).resolve().parent.parent
STACKS = ("primary", "secondary")
OFFLINE_PRESHARED_KEY = "offline.plan.placeholder.key"
"""Stands in for encrypted values, which only the stack's secrets provider can decrypt (a valid key's shape)."""


def offline_secret(key: str) -> str:
    """A placeholder for a secret the offline plan cannot decrypt: distinct per key, as real PSKs must be."""
    return f"{OFFLINE_PRESHARED_KEY}.{hashlib.sha256(key.encode()).hexdigest()[:8]}"


@dataclass(frozen=True)
class StackFile:
    """One stack's config as the engine passes it: `ns:key` -> text (JSON for structured values), which keys are
    secrets, and the project folder its files came from (None for config that did not come from files)."""

    name: str
    values: dict[str, str]
    secret_keys: frozenset[str] = field(default_factory=frozenset)
    root: Path | None = None
    environments: tuple[str, ...] = ()
    """The Pulumi ESC environments the stack file imports (the CLI resolves them; offline they are unknown)."""

    @property
    def role(self) -> str | None:
        """`connectdr:role`, as the stack's config sets it."""
        return self.values.get("connectdr:role")

    def with_values(self, **changes: Any) -> "StackFile":
        """A copy with `connectdr:` keys replaced (None removes a key); for tests and what-if plans."""
        values = dict(self.values)
        for key, value in changes.items():
            full_key = key if ":" in key else f"connectdr:{key}"
            if value is None:
                values.pop(full_key, None)
            else:
                values[full_key] = value if isinstance(value, str) else json.dumps(value)
        return replace(self, values=values)

    def structured(self, key: str) -> Any:
        """The parsed value of a structured `connectdr:` key, or None."""
        text = self.values.get(f"connectdr:{key}")
        return None if text is None else json.loads(text)


class StackFileError(Exception):
    """A project or stack file that is missing, not YAML, or not readable offline."""


def _offline(value: Any) -> Any:
    if isinstance(value, Secure):
        return OFFLINE_PRESHARED_KEY
    if isinstance(value, dict):
        return {key: _offline(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_offline(item) for item in value]
    return value


def _engine_text(key: str, value: Any) -> str:
    """As the engine passes a value: text as is, no value as empty text (the CLI warns it will become null one day),
    other scalars as YAML writes them, mappings and lists as JSON with keys in order (Go's encoding/json)."""
    value = offline_secret(key) if isinstance(value, Secure) else _offline(value)
    if value is None:
        return ""
    return value if isinstance(value, str) else json.dumps(value, sort_keys=True)


def read_stack_file(name: str, root: Path = PROJECT_ROOT) -> StackFile:
    """A stack's merged config: project values, then the stack file's. Encrypted values become placeholders."""
    try:
        files = read_config_files(root, name)
        check_against_project(files)
    except ConfigSourceError as error:
        raise StackFileError(str(error)) from None
    merged = files.merged()
    secret_keys = frozenset(key for key, value in merged.items() if holds_secure(value))
    values = {key: _engine_text(key, value) for key, value in merged.items()}
    environments = files.stack.environments if files.stack else ()
    return StackFile(name, values, secret_keys, root, environments)


def stack_names(root: Path = PROJECT_ROOT) -> list[str]:
    """The stacks with a `Pulumi.<stack>.yaml` where the project keeps stack files."""
    try:
        directory = read_project(root).stack_config_dir
    except ConfigSourceError as error:
        raise StackFileError(str(error)) from None
    return sorted(path.name.removeprefix("Pulumi.").removesuffix(".yaml") for path in directory.glob("Pulumi.*.yaml"))


def _own_leg_secret_names(stack: StackFile) -> list[str]:
    try:
        regions, network = stack.structured("regions"), stack.structured("network")
    except json.JSONDecodeError:
        return []
    if not isinstance(regions, dict) or stack.role not in STACKS:
        return []
    region = regions.get("source") if stack.role == "primary" else regions.get("replica")
    return secret_names_by_region(network).get(str(region), [])


def with_offline_secrets(stack: StackFile) -> StackFile:
    """Add a placeholder, marked secret, for each pre-shared key of this stack's leg that its config does not hold:
    the real ones are stack secrets that only exist where the stack was created."""
    values, secret_keys = dict(stack.values), set(stack.secret_keys)
    for name in _own_leg_secret_names(stack):
        if f"connectdr:{name}" not in values:
            values[f"connectdr:{name}"] = offline_secret(f"connectdr:{name}")
            secret_keys.add(f"connectdr:{name}")
    return replace(stack, values=values, secret_keys=frozenset(secret_keys))


def read_offline_stack_file(name: str, root: Path = PROJECT_ROOT) -> StackFile:
    """A stack's merged config for the offline plan; ESC environment imports are refused (they cannot be opened)."""
    stack = read_stack_file(name, root)
    if stack.environments:
        imports = ", ".join(stack.environments)
        raise StackFileError(
            f"{read_project(root).stack_file_path(name)}: imports Pulumi ESC environments ({imports}), "
            f"which the offline plan cannot open; run `pulumi preview --stack {name}` (the CLI resolves them), "
            "or plan a copy of the project without the import (--stacks-dir)"
        )
    return with_offline_secrets(stack)


def validate_stack_file(stack: StackFile) -> LoadedConfig:
    """Check a stack's config with the same loader the program runs, including where each key is set."""
    try:
        files = read_config_files(stack.root, stack.name) if stack.root is not None else None
    except ConfigSourceError as error:
        raise ConfigError([Problem(str(error.path), NOT_SHOWN, error.reason)]) from None
    return parse_stack_config(EngineConfig(stack.values, stack.secret_keys), files)
