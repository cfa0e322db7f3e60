"""Reads the `connectdr:` stack config, checks every rule and returns it validated, or raises ConfigError."""

import json
import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import pulumi
from pydantic import ValidationError

from config.problems import NAMESPACE, ConfigError, Problem, key_path
from config.rules import check_rules, other_legs_keys_in_plain_text, reused_preshared_keys
from config.stack import StackConfig

SecretLookup = Callable[[str], tuple[str | None, bool]]
"""Returns (value, stored_as_secret) of a `connectdr:` key; value None when it is not set."""

PRESHARED_KEY = re.compile(r"^[A-Za-z1-9._][A-Za-z0-9._]{7,63}$")
SCALAR_KEYS = frozenset({"role", "primaryStack"})
TOP_LEVEL_KEYS = {field.alias or name: name for name, field in StackConfig.model_fields.items()}


@dataclass(frozen=True)
class LoadedConfig:
    """A validated stack config and this stack's VPN pre-shared keys (to be wrapped as secrets)."""

    stack: StackConfig
    preshared_keys: Mapping[str, str]


def _pydantic_problems(error: ValidationError) -> list[Problem]:
    problems = []
    for item in error.errors():
        loc = [part for part in item["loc"] if isinstance(part, int) or "[" not in str(part)]
        rule = item["msg"].removeprefix("Value error, ")
        if item["type"] == "missing":
            rule, value = "required", None
        elif item["type"] == "extra_forbidden":
            rule, value = "unknown key", item["input"]
        else:
            value = item["input"]
        problems.append(Problem(key_path(*loc), value, rule))
    return problems


def _preshared_keys(cfg: StackConfig, secrets: SecretLookup) -> tuple[dict[str, str], list[Problem]]:
    keys, problems = {}, []
    for tunnel in cfg.leg.vpn_tunnels:
        name = tunnel.preshared_key_secret
        key = f"{NAMESPACE}:{name}"
        value, is_secret = secrets(name)
        if value is None:
            problems.append(Problem(key, None, f"not set: run `pulumi config set --secret {key} <key>`"))
        elif not is_secret:
            rule = f"stored in plain text: set it again with `pulumi config set --secret {key}`"
            problems.append(Problem(key, value, rule, secret=True))
        elif not PRESHARED_KEY.match(value):
            rule = "pre-shared keys are 8-64 letters, digits, '.' or '_', not starting with '0'"
            problems.append(Problem(key, value, rule, secret=True))
        else:
            keys[name] = value
    return keys, problems


def parse_stack_config(
    raw: Mapping[str, Any],
    *,
    aws_region: str | None,
    secrets: SecretLookup,
    other_keys: Iterable[str] = (),
) -> LoadedConfig:
    """Validate raw config values (top-level key -> parsed value). Raises ConfigError listing every problem."""
    try:
        cfg = StackConfig.model_validate(dict(raw))
    except ValidationError as error:
        raise ConfigError(_pydantic_problems(error)) from None
    problems = check_rules(cfg) + other_legs_keys_in_plain_text(cfg, secrets)
    if aws_region is not None and aws_region != cfg.region:
        rule = f"must equal this stack's region {cfg.region} (connectdr:role {cfg.role}, connectdr:regions)"
        problems.append(Problem("aws:region", aws_region, rule))
    secret_names = {tunnel.preshared_key_secret for leg in cfg.network.legs.values() for tunnel in leg.vpn_tunnels}
    for name in sorted(set(other_keys) - secret_names):
        allowed = ", ".join(sorted(TOP_LEVEL_KEYS))
        problems.append(Problem(f"{NAMESPACE}:{name}", "...", f"unknown key; allowed: {allowed} and the PSK secrets"))
    if not problems and cfg.network.legs.get(cfg.region) is not None:
        preshared_keys, problems = _preshared_keys(cfg, secrets)
        problems += reused_preshared_keys(cfg.leg, preshared_keys)
    else:
        preshared_keys = {}
    if problems:
        raise ConfigError(problems)
    return LoadedConfig(cfg, preshared_keys)


def _namespace_keys() -> list[str]:
    """Every `connectdr:` key the engine passed to the program, without the namespace."""
    known: dict[str, Any] = dict(pulumi.runtime.config.get_config_env())
    known.update(pulumi.runtime.config.CONFIG.get())
    prefix = f"{NAMESPACE}:"
    return sorted(key.removeprefix(prefix) for key in known if key.startswith(prefix))


def decode_values(get: Callable[[str], str | None]) -> dict[str, Any]:
    """Top-level values as the engine stores them (structured ones as JSON text), parsed."""
    raw: dict[str, Any] = {}
    problems: list[Problem] = []
    for key in TOP_LEVEL_KEYS:
        text = get(key)
        if text is None:
            continue
        if key in SCALAR_KEYS:
            raw[key] = text
            continue
        try:
            raw[key] = json.loads(text)
        except json.JSONDecodeError:
            problems.append(Problem(key_path(key), text, "must be a structured value (a YAML mapping or list)"))
    if problems:
        raise ConfigError(problems)
    return raw


def load_stack_config() -> LoadedConfig:
    """Read this stack's `connectdr:` config from the engine and validate it."""
    config = pulumi.Config(NAMESPACE)

    def secrets(name: str) -> tuple[str | None, bool]:
        return config.get(name), pulumi.runtime.is_config_secret(f"{NAMESPACE}:{name}")

    return parse_stack_config(
        decode_values(config.get),
        aws_region=pulumi.Config("aws").get("region"),
        secrets=secrets,
        other_keys=[key for key in _namespace_keys() if key not in TOP_LEVEL_KEYS],
    )
