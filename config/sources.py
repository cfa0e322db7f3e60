"""Where config comes from: `Pulumi.yaml`'s project `config:` block and `Pulumi.<stack>.yaml`, read as the CLI reads
them (sdk/go/common/workspace/project.go) and merged as the engine merges them (pkg/workspace/config.go): a stack
gets every project value it does not set itself, and a value the stack sets replaces the project's whole.

The SDK's readers do not fit: `LocalWorkspace` runs the Pulumi CLI when it is created,
`StackSettings._deserialize` drops every structured value (and fails on numbers), which is most of this config, and
`ProjectSettings` types `config` as the old stack-config-directory string and checks none of the CLI's rules.
"""

import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from config.cli_yaml import CliYamlError, load_cli_yaml
from config.project_schema import (
    Declaration,
    DeclarationError,
    as_engine_content,
    has_type,
    read_declaration,
    type_name,
)

PROJECT_FILE = "Pulumi.yaml"


class ConfigSourceError(Exception):
    """A project or stack file the CLI would not read either: which file, and what is wrong with it."""

    def __init__(self, path: Path, reason: str) -> None:
        super().__init__(f"{path}: {reason}")
        self.path = path
        self.reason = reason


@dataclass(frozen=True)
class Secure:
    """An encrypted stack value (`secure: v1:...`): only the stack's secrets provider can decrypt it."""

    ciphertext: str


@dataclass(frozen=True)
class ProjectFile:
    """`Pulumi.yaml`: the project's name, its config values for every stack, and where stack files live."""

    path: Path
    name: str
    declarations: dict[str, Declaration]
    """Full key (`namespace:name`) -> what the project declares for it."""
    stack_config_dir: Path

    @property
    def config(self) -> dict[str, Any]:
        """Full key -> the value every stack gets unless it sets the key itself."""
        return {key: entry.value for key, entry in self.declarations.items() if entry.value is not None}

    def stack_file_path(self, stack: str) -> Path:
        """`Pulumi.<stack>.yaml` (the last part of a fully qualified `org/project/stack` name)."""
        return self.stack_config_dir / f"Pulumi.{stack.split('/')[-1]}.yaml"


@dataclass(frozen=True)
class StackSource:
    """`Pulumi.<stack>.yaml`: the stack's own config values and the Pulumi ESC environments it imports."""

    path: Path
    config: dict[str, Any]
    """Full key -> value as written (mappings and lists kept, encrypted values as `Secure`)."""
    environments: tuple[str, ...] = ()
    empty: bool = False
    """The file holds no config at all (an empty file, or one with only encryption settings)."""


@dataclass(frozen=True)
class ConfigFiles:
    """A stack's two sources of config; `stack` is None when its file is not where the project says, or (in the
    program) is not the file the engine read."""

    project: ProjectFile
    stack: StackSource | None

    def merged(self) -> dict[str, Any]:
        """What the engine hands the program: project values, each replaced whole by the stack's own."""
        return {**self.project.config, **(self.stack.config if self.stack else {})}


def full_key(key: str, namespace: str) -> str:
    """`namespace:name` for `name`, `namespace:name` and the old `namespace:config:name` forms (the CLI's ParseKey).
    Raises ValueError for any other key with colons."""
    parts = key.split(":")
    if len(parts) == 1:
        return f"{namespace}:{key}"
    if len(parts) == 2:
        return key
    if len(parts) == 3 and parts[1] == "config":
        return f"{parts[0]}:{parts[2]}"
    raise ValueError(f"config key '{key}' is not of the form <namespace>:<name>")


def _full_keys(path: Path, block: dict[str, Any], namespace: str) -> dict[str, Any]:
    """A `config:` block by full key; two spellings of one key are refused (the CLI keeps one without saying so)."""
    keys: dict[str, Any] = {}
    written: dict[str, str] = {}
    for key, value in block.items():
        try:
            name = full_key(key, namespace)
        except ValueError as error:
            raise ConfigSourceError(path, str(error)) from None
        if name in keys:
            raise ConfigSourceError(path, f"{name} is set twice, as '{written[name]}' and as '{key}'")
        keys[name], written[name] = value, key
    return keys


def _load_yaml(path: Path, what: str) -> Any:
    try:
        return load_cli_yaml(path.read_bytes().decode("utf-8"))
    except FileNotFoundError:
        raise ConfigSourceError(path, f"no such {what}") from None
    except OSError as error:
        raise ConfigSourceError(path, f"cannot be read ({error.strerror or error})") from None
    except UnicodeDecodeError:
        raise ConfigSourceError(path, "not UTF-8 text") from None
    except CliYamlError as error:
        raise ConfigSourceError(path, str(error)) from None


def read_project(root: Path) -> ProjectFile:
    """Read `root/Pulumi.yaml`. Raises ConfigSourceError naming the file and the rule it breaks."""
    path = root / PROJECT_FILE
    document = _load_yaml(path, "project file")
    if not isinstance(document, dict) or not isinstance(document.get("name"), str):
        raise ConfigSourceError(path, "not a Pulumi project file (a mapping with a `name`)")
    name, block = document["name"], document.get("config")
    stack_dir = document.get("stackConfigDir")
    if stack_dir is not None and not isinstance(stack_dir, str):
        raise ConfigSourceError(path, "`stackConfigDir` must be a folder name")
    if isinstance(block, str):  # the old spelling of stackConfigDir
        if stack_dir is not None:
            raise ConfigSourceError(path, "`config` names the stack files' folder and so does `stackConfigDir`")
        stack_dir, block = block, None
    if block is not None and not isinstance(block, dict):
        raise ConfigSourceError(path, "`config` must be a mapping of keys to values")
    declarations = {}
    for key, entry in _full_keys(path, block or {}, name).items():
        try:
            declarations[key] = read_declaration(key, entry, in_project=key.split(":")[0] == name)
        except DeclarationError as error:
            raise ConfigSourceError(path, str(error)) from None
    return ProjectFile(path, name, declarations, root / stack_dir if stack_dir else root)


def _stack_value(value: Any) -> Any:
    """A stack file value; `{secure: <text>}` is encrypted (with anything else than text it is a plain mapping)."""
    if isinstance(value, dict) and set(value) == {"secure"} and isinstance(value["secure"], str):
        return Secure(value["secure"])
    if isinstance(value, dict):
        return {key: _stack_value(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_stack_value(item) for item in value]
    return value


def holds_secure(value: Any) -> bool:
    """Whether a stack value is, or contains, an encrypted value."""
    if isinstance(value, dict):
        return any(holds_secure(item) for item in value.values())
    if isinstance(value, list):
        return any(holds_secure(item) for item in value)
    return isinstance(value, Secure)


def _environments(path: Path, imports: Any) -> tuple[str, ...]:
    if imports is None:
        return ()
    if isinstance(imports, list) and all(isinstance(name, str) for name in imports):
        return tuple(imports)
    if isinstance(imports, dict) and isinstance(imports.get("imports"), list):
        return tuple(str(name) for name in imports["imports"])
    raise ConfigSourceError(path, "`environment` must list the Pulumi ESC environments to import")


def read_stack(project: ProjectFile, stack: str) -> StackSource:
    """Read a stack's `Pulumi.<stack>.yaml`. Raises ConfigSourceError when it is missing or not a stack file."""
    path = project.stack_file_path(stack)
    document = _load_yaml(path, "stack file")
    if document is None:
        return StackSource(path, {}, empty=True)
    if not isinstance(document, dict):
        raise ConfigSourceError(path, "not a stack file (a mapping with a `config` key)")
    block = document.get("config")
    if block is not None and not isinstance(block, dict):
        raise ConfigSourceError(path, "`config` must be a mapping of keys to values")
    config = {key: _stack_value(value) for key, value in _full_keys(path, block or {}, project.name).items()}
    environments = _environments(path, document.get("environment"))
    return StackSource(path, config, environments, empty=not config and not environments)


def same_value(engine_text: str | None, value: Any) -> bool:
    """Whether the engine's text for a key is this stack file value (an encrypted value matches any text)."""
    if engine_text is None:
        return False
    if holds_secure(value):
        return True
    if isinstance(value, dict | list):
        try:
            return json.loads(engine_text) == value
        except json.JSONDecodeError:
            return False
    if isinstance(value, bool):
        return engine_text == ("true" if value else "false")
    if isinstance(value, float):
        try:
            return float(engine_text) == value
        except ValueError:
            return False
    return engine_text == ("" if value is None else str(value))


def read_by_engine(stack: StackSource, values: Mapping[str, str]) -> bool:
    """Whether the engine's config came from this stack file: each of its values is the engine's, and an empty file
    gave the stack no role. Not so when `--config-file` named another file or the stack keeps its config in Pulumi
    Cloud (the CLI then ignores the file), or an ESC environment merged into a value."""
    if stack.empty:
        return "connectdr:role" not in values
    return all(same_value(values.get(key), value) for key, value in stack.config.items())


def check_against_project(files: ConfigFiles) -> None:
    """What the CLI checks before it runs a stack: every key the project declares without a value is set, typed keys
    have their type, keys declared secret are secrets. Raises ConfigSourceError naming the stack file."""
    stack = files.stack
    if stack is None or stack.environments:  # an ESC environment may supply any key
        return
    for key, declared in sorted(files.project.declarations.items()):
        value = stack.config.get(key, declared.value)
        if key not in stack.config and declared.value is None:
            if key.split(":")[0] == files.project.name:
                reason = f"does not set {key}, which {files.project.path.name} declares with no value for every stack"
                raise ConfigSourceError(stack.path, reason)
            continue
        if declared.secret and not isinstance(stack.config.get(key), Secure):
            reason = f"{key} must be a secret ({files.project.path.name} declares it so): `pulumi config set --secret`"
            raise ConfigSourceError(stack.path, reason)
        typed = declared.type is not None and not holds_secure(value)
        if typed and not has_type(str(declared.type), declared.items, as_engine_content(value)):
            expected = type_name(str(declared.type), declared.items)
            reason = f"{key} must be of type {expected} ({files.project.path.name} declares it so)"
            raise ConfigSourceError(stack.path, reason)


def read_config_files(root: Path, stack: str) -> ConfigFiles:
    """The project file in `root` and the stack's file where the project keeps stack files."""
    project = read_project(root)
    return ConfigFiles(project, read_stack(project, stack))
