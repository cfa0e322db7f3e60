"""Secrets in config: the VPN tunnels' pre-shared keys and cloud credentials. Each is checked wherever it appears,
whatever else is wrong with the config, and its value is never printed."""

import re
from collections.abc import Collection, Mapping
from typing import Any

from config.network import SECRET_KEY_NAME
from config.problems import NAMESPACE, Problem, key_path
from config.regions import SUPPORTED_PAIRS
from config.stack import StackConfig

PRESHARED_KEY = re.compile(r"^[A-Za-z1-9._][A-Za-z0-9._]{7,63}$")
AWS_KEY_RULE = "pre-shared keys are 8-64 letters, digits, '.' or '_', not starting with '0'"
SETTING_NAMES = frozenset(field.alias or name for name, field in StackConfig.model_fields.items())
CLOUD_CREDENTIALS = ("aws:accessKey", "aws:secretKey", "aws:token", "gcp:credentials", "gcp:accessToken")


def _mapping(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _tunnel_secret_names(network: Any) -> list[tuple[str, int, str]]:
    """(region, tunnel index, secret name) for each well-formed name the raw (perhaps invalid) network gives."""
    found = []
    for region, leg in _mapping(_mapping(network).get("legs")).items():
        for index, tunnel in enumerate(_list(_mapping(leg).get("vpnTunnels"))):
            name = _mapping(tunnel).get("presharedKeySecret")
            if isinstance(name, str) and SECRET_KEY_NAME.fullmatch(name):  # else the model reports it
                found.append((str(region), index, name))
    return found


def secret_names_by_region(network: Any) -> dict[str, list[str]]:
    """The pre-shared key secret names each leg's tunnels name (but not a name of a setting of this config)."""
    names: dict[str, list[str]] = {}
    for region, _, name in _tunnel_secret_names(network):
        if name not in SETTING_NAMES:
            names.setdefault(region, []).append(name)
    return names


def secret_names_of_settings(network: Any) -> list[Problem]:
    """A tunnel whose secret is named like a setting (`role`, `tags`) would read that setting as its key."""
    return [
        Problem(
            key_path("network", "legs", region, "vpnTunnels", index, "presharedKeySecret"),
            name,
            f"names the setting {NAMESPACE}:{name}, not a secret: choose a name of its own, such as vpnPsk{index + 1}",
        )
        for region, index, name in _tunnel_secret_names(network)
        if name in SETTING_NAMES
    ]


def _leg_owners(raw: Mapping[str, Any]) -> dict[str, str] | None:
    """region -> the role of the stack that deploys it, when the role and a supported pair say so."""
    regions = _mapping(raw.get("regions"))
    pair = (str(regions.get("source")), str(regions.get("replica")))
    if raw.get("role") not in ("primary", "secondary") or pair not in SUPPORTED_PAIRS:
        return None
    return {pair[0]: "primary", pair[1]: "secondary"}


def _own_key_problem(key: str, value: str | None, is_secret: bool) -> Problem | None:
    if value is None:
        return Problem(key, None, f"not set: run `pulumi config set --secret {key} <key>`")
    if not is_secret:
        rule = f"stored in plain text: choose a new key and set it with `pulumi config set --secret {key} <key>`"
        return Problem(key, value, rule, secret=True)
    if not PRESHARED_KEY.match(value):
        return Problem(key, value, AWS_KEY_RULE, secret=True)
    return None


def _other_leg_problem(key: str, value: str, is_secret: bool, region: str, owner: str | None) -> Problem:
    where = f"the {owner} stack" if owner else f"the stack that deploys {region}"
    rule = f"the {region} leg's pre-shared key belongs to {where}: remove it here (`pulumi config rm {key}`)"
    if not is_secret:
        rule += "; it was stored in plain text, so choose a new key"
    return Problem(key, value, rule, secret=True)


def check_preshared_keys(
    raw: Mapping[str, Any], values: Mapping[str, str], secret_keys: Collection[str]
) -> tuple[dict[str, str], list[Problem]]:
    """This stack's pre-shared keys (secret name -> key) and the problems with any key a tunnel names.

    This stack's leg's keys must be set, as secrets, in AWS's format; another leg's keys must not be here at all.
    When the role or the region pair is unusable, only the keys present are checked (secret, AWS's format).
    """
    owners = _leg_owners(raw) or {}
    own_region = next((region for region, role in owners.items() if role == raw.get("role")), None)
    keys: dict[str, str] = {}
    problems: list[Problem] = []
    for region, names in sorted(secret_names_by_region(raw.get("network")).items()):
        for name in names:
            key = f"{NAMESPACE}:{name}"
            value, is_secret = values.get(key), key in secret_keys
            if own_region is not None and region != own_region:
                if value is not None:
                    problems.append(_other_leg_problem(key, value, is_secret, region, owners.get(region)))
            elif own_region is None and value is None:
                continue
            elif problem := _own_key_problem(key, value, is_secret):
                problems.append(problem)
            elif value is not None:
                keys[name] = value
    return keys, problems


def plain_text_credentials(values: Mapping[str, str], secret_keys: Collection[str]) -> list[Problem]:
    """Cloud credentials stored in plain text in config (they would be printed and committed)."""
    return [
        Problem(
            key,
            values[key],
            f"a credential stored in plain text: set it with `pulumi config set --secret {key}`, "
            "or leave it to the provider's environment variables",
            secret=True,
        )
        for key in CLOUD_CREDENTIALS
        if key in values and key not in secret_keys
    ]
