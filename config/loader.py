"""Reads the `connectdr:` config, checks every rule and returns it validated, or raises ConfigError listing every
problem at once: where keys live, the models, the cross-key rules, and the secrets."""

import difflib
import json
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import pulumi
from pydantic import ValidationError

from config.placement import (
    ROLE_KEYS,
    empty_stack_file,
    keys_of_other_roles,
    misplaced_keys,
    missing_key,
    other_role_keys,
    secrets_in_project,
)
from config.problems import NAMESPACE, NOT_SHOWN, SECRET_PLACEHOLDER, ConfigError, Problem, key_path
from config.rules import check_rules, reused_preshared_keys, supported_pair
from config.secret_keys import (
    CLOUD_CREDENTIALS,
    check_preshared_keys,
    plain_text_credentials,
    secret_names_by_region,
    secret_names_of_settings,
)
from config.sources import ConfigFiles, ConfigSourceError, read_by_engine, read_project, read_stack, same_value
from config.stack import StackConfig
from config.wording import problems_in_words

SCALAR_KEYS = frozenset({"role", "primaryStack"})
TOP_LEVEL_KEYS = {field.alias or name: name for name, field in StackConfig.model_fields.items()}


@dataclass(frozen=True)
class EngineConfig:
    """Config as the engine hands it to the program: full key -> text (JSON for structured values)."""

    values: Mapping[str, str]
    secret_keys: frozenset[str] = frozenset()


@dataclass(frozen=True)
class LoadedConfig:
    """A validated stack config and this stack's VPN pre-shared keys (to be wrapped as secrets)."""

    stack: StackConfig
    preshared_keys: Mapping[str, str]


def _decode(values: Mapping[str, str]) -> dict[str, Any]:
    """Top-level `connectdr:` values, structured ones parsed from the engine's JSON (text that is not JSON is kept:
    the models then say what it should be)."""
    raw: dict[str, Any] = {}
    for key in TOP_LEVEL_KEYS:
        text = values.get(f"{NAMESPACE}:{key}")
        if text is None:
            continue
        if key in SCALAR_KEYS:
            raw[key] = text
            continue
        try:
            raw[key] = json.loads(text)
        except json.JSONDecodeError:
            raw[key] = text
    return raw


def _validate(raw: Mapping[str, Any]) -> tuple[StackConfig | None, list[Problem]]:
    try:
        return StackConfig.model_validate(dict(raw)), []
    except ValidationError as error:
        missing = [err["loc"][0] for err in error.errors() if err["type"] == "missing" and len(err["loc"]) == 1]
        others = [err for err in error.errors() if err["type"] != "missing" or len(err["loc"]) != 1]
        return None, [missing_key(str(name)) for name in missing] + problems_in_words(others, StackConfig)


def _aws_region(cfg: StackConfig, aws_region: str | None) -> list[Problem]:
    """aws:region must be the region the role and pair give this stack (unless the pair itself is wrong)."""
    if aws_region is None or aws_region == cfg.region or supported_pair(cfg):
        return []
    rule = f"must equal this stack's region {cfg.region} (connectdr:role {cfg.role}, connectdr:regions)"
    return [Problem("aws:region", aws_region, rule)]


def _unknown_keys(values: Mapping[str, str], raw: Mapping[str, Any], network_misplaced: bool) -> list[Problem]:
    """`connectdr:` keys no model reads and no tunnel names (unless the network is unreadable or misplaced: then any
    may be a tunnel's pre-shared key, and the network's own problem says what to fix)."""
    if network_misplaced or not isinstance(raw.get("network"), Mapping):
        values = {key: value for key, value in values.items() if key.partition(":")[2] in TOP_LEVEL_KEYS}
    secret_names = {name for names in secret_names_by_region(raw.get("network")).values() for name in names}
    allowed = sorted(TOP_LEVEL_KEYS)
    problems = []
    for key in sorted(values):
        namespace, _, name = key.partition(":")
        if namespace != NAMESPACE or name in TOP_LEVEL_KEYS or name in secret_names:
            continue
        close = difflib.get_close_matches(name, allowed, n=1)
        hint = f"did you mean {close[0]}? " if close else ""
        rule = f"unknown key; {hint}allowed: {', '.join(allowed)} and the tunnels' pre-shared key secrets"
        problems.append(Problem(key, NOT_SHOWN, rule))
    return problems


def _within(key: str, tops: Collection[str]) -> bool:
    """Whether a problem's key is one of `tops` or inside one (a misplaced section's own errors wait for its move)."""
    return re.split(r"[.\[]", key, maxsplit=1)[0] in tops


def _without_secret_values(problems: list[Problem], secret_keys: frozenset[str]) -> list[Problem]:
    """Any problem within a key the stack holds as a secret shows no value, whatever the key, nor repeats it."""
    hidden = []
    for problem in problems:
        if _within(problem.key, secret_keys):
            rule = problem.rule
            if isinstance(problem.value, str) and problem.value:
                rule = rule.replace(problem.value, SECRET_PLACEHOLDER)
            problem = replace(problem, rule=rule, secret=True)
        hidden.append(problem)
    return hidden


def _with_secrets_in_project(
    secret_problems: list[Problem], files: ConfigFiles | None, config: EngineConfig, raw: Mapping[str, Any]
) -> list[Problem]:
    """A secret in Pulumi.yaml is reported there; when the stack runs with that value, instead of the advice for a
    stack's own value (`pulumi config rm` does not touch Pulumi.yaml)."""
    if files is None:
        return secret_problems
    names = {f"{NAMESPACE}:{name}" for names in secret_names_by_region(raw.get("network")).values() for name in names}
    in_project = secrets_in_project(files, names | set(CLOUD_CREDENTIALS))
    from_project = {p.key for p in in_project if same_value(config.values.get(p.key), files.project.config[p.key])}
    return [problem for problem in secret_problems if problem.key not in from_project] + in_project


def parse_stack_config(config: EngineConfig, files: ConfigFiles | None = None) -> LoadedConfig:
    """Validate config as the engine hands it over; `files`, when known, are where it came from."""
    if files is not None and files.stack is not None and files.stack.empty:
        raise ConfigError([empty_stack_file(files.stack)])
    raw = _decode(config.values)
    problems = misplaced_keys(files) if files is not None else []
    role = raw.get("role")
    if role in ROLE_KEYS:
        problems += other_role_keys(raw, role)
        raw = {key: value for key, value in raw.items() if key not in keys_of_other_roles(role)}
    cfg, model_problems = _validate(raw)
    misplaced = {problem.key for problem in problems}
    problems += [problem for problem in model_problems if not _within(problem.key, misplaced)]
    if cfg is not None:
        problems += check_rules(cfg) + _aws_region(cfg, config.values.get("aws:region"))
    preshared_keys, secret_problems = check_preshared_keys(raw, config.values, config.secret_keys)
    secret_problems += plain_text_credentials(config.values, config.secret_keys)
    secret_problems += secret_names_of_settings(raw.get("network"))
    problems += _with_secrets_in_project(secret_problems, files, config, raw)
    if cfg is not None and cfg.network.legs.get(cfg.region) is not None:
        problems += reused_preshared_keys(cfg.leg, preshared_keys)
    problems += _unknown_keys(config.values, raw, key_path("network") in misplaced)
    if problems or cfg is None:
        raise ConfigError(_without_secret_values(problems, config.secret_keys & config.values.keys()))
    return LoadedConfig(cfg, preshared_keys)


def _engine_config() -> EngineConfig:
    """Every key the engine passed to the program, and which of them are secrets."""
    known: dict[str, Any] = dict(pulumi.runtime.config.get_config_env())
    known.update(pulumi.runtime.config.CONFIG.get())
    values = {key: str(value) for key, value in known.items()}
    return EngineConfig(values, frozenset(key for key in values if pulumi.runtime.is_config_secret(key)))


def _config_files(config: EngineConfig) -> ConfigFiles | None:
    """The project and stack files the engine read, from the project root it reports (None when it reports none).

    A shared key set again in the stack file is only visible here: the engine hands the program merged values. The
    CLI has read these files already, so a file this reader cannot read, or a stack file whose values are not the
    engine's (`--config-file`, config kept in Pulumi Cloud), is left unchecked with a warning, never an error.
    """
    root = pulumi.get_root_directory()
    if not root:
        return None
    try:
        project = read_project(Path(root))
    except ConfigSourceError as error:
        pulumi.log.warn(f"{error}; where each config key is set is not checked")
        return None
    path = project.stack_file_path(pulumi.get_stack())
    if not path.exists():
        return ConfigFiles(project, None)
    try:
        stack = read_stack(project, pulumi.get_stack())
    except ConfigSourceError as error:
        pulumi.log.warn(f"{error}; where its keys are set is not checked")
        return ConfigFiles(project, None)
    if not read_by_engine(stack, config.values):
        pulumi.log.warn(
            f"{path.name} is not the config this stack runs with (--config-file, or config kept in Pulumi Cloud); "
            "where its keys are set is not checked"
        )
        return ConfigFiles(project, None)
    return ConfigFiles(project, stack)


def load_stack_config() -> LoadedConfig:
    """Read this stack's config from the engine (and its files from the project root) and validate it."""
    config = _engine_config()
    return parse_stack_config(config, _config_files(config))
