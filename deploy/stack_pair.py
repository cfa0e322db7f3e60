"""Which stacks play the primary and secondary roles: from the stack files' `connectdr:role`, or flags.

Stack names may be fully qualified (`org/project/stack`); the stack file is `Pulumi.<stack>.yaml`
after the last `/`. The files are read as plain YAML: only each file's own `connectdr:role` and
`connectdr:primaryStack` matter here.
"""

from dataclasses import dataclass
from pathlib import Path

import yaml

from deploy.errors import DriverError, ExitCode
from deploy.stack_files import PROJECT_ROOT

ROLES = ("primary", "secondary")


@dataclass(frozen=True)
class StackPair:
    primary: str
    secondary: str

    def of(self, role: str) -> str:
        return self.primary if role == "primary" else self.secondary

    def in_order(self, operation: str) -> tuple[str, str]:
        """Primary first (the secondary's StackReference reads it); destroy the other way round."""
        ordered = (self.primary, self.secondary)
        return ordered[::-1] if operation in {"destroy", "preview-destroy"} else ordered


def file_stem(stack: str) -> str:
    """`acme/connectdr/staging-east` -> `staging-east`, the name in `Pulumi.<name>.yaml`."""
    return stack.rsplit("/", 1)[-1]


def _role_config(path: Path) -> dict[str, str]:
    try:
        document = yaml.safe_load(path.read_text()) or {}
    except (OSError, yaml.YAMLError):
        return {}
    config = document.get("config") if isinstance(document, dict) else None
    if not isinstance(config, dict):
        return {}
    return {key: str(config[key]) for key in ("connectdr:role", "connectdr:primaryStack") if key in config}


def stacks_by_role(root: Path = PROJECT_ROOT) -> dict[str, dict[str, str]]:
    """Stack name (from the file name) -> its role and primaryStack, for every stack file that has a role."""
    found = {}
    for path in sorted(root.glob("Pulumi.*.yaml")):
        name = path.name.removeprefix("Pulumi.").removesuffix(".yaml")
        if (config := _role_config(path)).get("connectdr:role") in ROLES:
            found[name] = config
    return found


def discover_pair(root: Path = PROJECT_ROOT, primary: str | None = None, secondary: str | None = None) -> StackPair:
    """The pair from the flags where given, else from the stack files' roles; ambiguity is an error (exit 2)."""
    files = stacks_by_role(root)
    if primary is None:
        primary = _only("primary", [name for name, config in files.items() if config["connectdr:role"] == "primary"])
    if secondary is None:
        secondaries = [name for name, config in files.items() if config["connectdr:role"] == "secondary"]
        following = [name for name in secondaries if _follows(files[name], primary)]
        secondary = _only("secondary", following or secondaries)
    if file_stem(primary) == file_stem(secondary):
        raise DriverError(f"the primary and secondary stacks must differ (both are {primary!r})", ExitCode.USAGE)
    return StackPair(primary, secondary)


def _follows(config: dict[str, str], primary: str) -> bool:
    reference = config.get("connectdr:primaryStack")
    return reference is not None and file_stem(reference) == file_stem(primary)


def _only(role: str, names: list[str]) -> str:
    if len(names) == 1:
        return names[0]
    if not names:
        raise DriverError(f"no stack file has connectdr:role {role}; pass --{role}-stack NAME", ExitCode.USAGE)
    raise DriverError(
        f"several stack files have connectdr:role {role} ({', '.join(names)}); pass --{role}-stack NAME",
        ExitCode.USAGE,
    )


def resolve(choice: str, pair: StackPair) -> tuple[str, ...]:
    """`--stack`: `all` (both, primary first), a role, or any stack name (fully qualified or not)."""
    if choice == "all":
        return (pair.primary, pair.secondary)
    if choice in ROLES:
        return (pair.of(choice),)
    return (choice,)
