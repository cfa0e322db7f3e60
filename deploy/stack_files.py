"""Reads `Pulumi.<stack>.yaml` the way the engine hands config to the program."""

import hashlib
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from config import LoadedConfig, decode_values, parse_stack_config
from config.loader import TOP_LEVEL_KEYS

PROJECT_ROOT = Path(__file__).resolve().parent.parent
STACKS = ("primary", "secondary")
OFFLINE_PRESHARED_KEY = "offline.plan.placeholder.key"


def offline_secret(key: str) -> str:
    """A placeholder for a secret the offline plan cannot decrypt: distinct per key, as real PSKs must be."""
    return f"{OFFLINE_PRESHARED_KEY}.{hashlib.sha256(key.encode()).hexdigest()[:8]}"


@dataclass(frozen=True)
class StackFile:
    """One stack's config as the engine passes it: `ns:key` -> string (JSON for structured values)."""

    name: str
    values: dict[str, str]
    secret_keys: frozenset[str] = field(default_factory=frozenset)

    def with_values(self, **changes: Any) -> "StackFile":
        """A copy with `connectdr:` keys replaced (None removes a key); for tests and what-if plans."""
        values = dict(self.values)
        for key, value in changes.items():
            full_key = key if ":" in key else f"connectdr:{key}"
            if value is None:
                values.pop(full_key, None)
            else:
                values[full_key] = value if isinstance(value, str) else json.dumps(value)
        return StackFile(self.name, values, self.secret_keys)

    def structured(self, key: str) -> Any:
        """The parsed value of a structured `connectdr:` key, or None."""
        text = self.values.get(f"connectdr:{key}")
        return None if text is None else json.loads(text)


def _encode(value: Any) -> str:
    return value if isinstance(value, str) else json.dumps(value)


class StackFileError(Exception):
    """A stack file that is missing or is not YAML."""


def read_stack_file(name: str, root: Path = PROJECT_ROOT) -> StackFile:
    """Parse a stack file. Encrypted (`secure:`) values cannot be read offline; they become placeholders."""
    path = root / f"Pulumi.{name}.yaml"
    try:
        document = yaml.safe_load(path.read_text()) or {}
    except FileNotFoundError:
        raise StackFileError(f"{path}: no such stack file") from None
    except yaml.YAMLError as error:
        raise StackFileError(f"{path}: not valid YAML ({error})") from None
    if not isinstance(document, dict):
        raise StackFileError(f"{path}: expected a mapping with a 'config' key")
    values, secret_keys = {}, set()
    for key, value in (document.get("config") or {}).items():
        if isinstance(value, dict) and set(value) == {"secure"}:
            values[key], secret_keys = offline_secret(key), secret_keys | {key}
        else:
            values[key] = _encode(value)
    return StackFile(name, values, frozenset(secret_keys))


def _preshared_key_names(network: Any) -> list[str]:
    legs = network.get("legs") if isinstance(network, dict) else None
    names = []
    for leg in legs.values() if isinstance(legs, dict) else []:
        tunnels = leg.get("vpnTunnels") if isinstance(leg, dict) else None
        for tunnel in tunnels if isinstance(tunnels, list) else []:
            if isinstance(tunnel, dict) and isinstance(tunnel.get("presharedKeySecret"), str):
                names.append(tunnel["presharedKeySecret"])
    return names


def with_offline_secrets(stack: StackFile) -> StackFile:
    """Add a placeholder, marked secret, for every pre-shared key the file names but cannot hold offline."""
    values, secret_keys = dict(stack.values), set(stack.secret_keys)
    for name in _preshared_key_names(stack.structured("network")):
        if f"connectdr:{name}" not in values:
            values[f"connectdr:{name}"] = offline_secret(f"connectdr:{name}")
            secret_keys.add(f"connectdr:{name}")
    return StackFile(stack.name, values, frozenset(secret_keys))


SHARED_KEYS = ("regions", "network", "dataSync", "failover", "recordings")
"""Sections both stack files must carry identically: each stack checks the whole network and both
regions' controllers must decide alike."""


def shared_section_mismatches(files: dict[str, StackFile]) -> list[str]:
    """The shared sections that differ between the stack files, one sentence each."""
    first, *others = files.values()
    problems = []
    for other in others:
        for key in SHARED_KEYS:
            if first.structured(key) != other.structured(key):
                problems.append(
                    f"connectdr:{key} differs between Pulumi.{first.name}.yaml and Pulumi.{other.name}.yaml; "
                    "it must be the same in both"
                )
    return problems


def validate_stack_file(stack: StackFile) -> LoadedConfig:
    """Check a stack file with the same model the program uses (raises ConfigError)."""
    namespace_keys = [key.removeprefix("connectdr:") for key in stack.values if key.startswith("connectdr:")]

    def secrets(name: str) -> tuple[str | None, bool]:
        key = f"connectdr:{name}"
        return stack.values.get(key), key in stack.secret_keys

    return parse_stack_config(
        decode_values(lambda key: stack.values.get(f"connectdr:{key}")),
        aws_region=stack.values.get("aws:region"),
        secrets=secrets,
        other_keys=[key for key in namespace_keys if key not in TOP_LEVEL_KEYS],
    )
