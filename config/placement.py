"""Which config key lives where: settings both stacks share in `Pulumi.yaml`, each stack's own in its stack file.

A shared key set again in a stack file would replace the project's value for that stack alone (the engine does
not merge the two), which is the silent drift one source of truth exists to prevent; so it is an error.
"""

from collections.abc import Collection, Mapping
from typing import Any

from config.problems import NAMESPACE, NOT_SHOWN, Problem, key_path
from config.sources import ConfigFiles, StackSource

SHARED_KEYS = ("regions", "network", "dataSync", "failover", "recordings", "alerts", "tags")
"""Project config. Each stack checks the whole network and both controllers must decide alike; both regions page
the same on-call address and carry the same ownership tags."""
ROLE_KEYS: Mapping[str, tuple[str, ...]] = {"primary": ("contactCenter", "traffic"), "secondary": ("primaryStack",)}
"""Stack config that only one role reads."""
STACK_KEYS = ("role", *ROLE_KEYS["primary"], *ROLE_KEYS["secondary"])
PER_STACK_KEYS = ("aws:region",)


def _stack_name(stack: StackSource) -> str:
    return stack.path.name.removeprefix("Pulumi.").removesuffix(".yaml")


def empty_stack_file(stack: StackSource) -> Problem:
    rule = (
        "is empty: a stack file sets at least aws:region and connectdr:role; the primary also sets "
        "connectdr:contactCenter and connectdr:traffic, the secondary connectdr:primaryStack (README, Config)"
    )
    return Problem(stack.path.name, NOT_SHOWN, rule)


def _shared_in_stack(files: ConfigFiles, stack: StackSource) -> list[Problem]:
    project_file, stack_file = files.project.path.name, stack.path.name
    problems = []
    for name in SHARED_KEYS:
        key = f"{NAMESPACE}:{name}"
        if key not in stack.config:
            continue
        if key in files.project.config:
            rule = (
                f"set in both {project_file} and {stack_file}; shared settings live only in {project_file} (the "
                f"stack's value would replace the shared one for this stack alone): remove it with "
                f"`pulumi config rm {key} --stack {_stack_name(stack)}`"
            )
        else:
            rule = f"shared by both stacks: move it from {stack_file} into the `config:` block of {project_file}"
        problems.append(Problem(key_path(name), NOT_SHOWN, rule))
    return problems


def _stack_keys_in_project(files: ConfigFiles) -> list[Problem]:
    project_file = files.project.path.name
    problems = []
    for name in STACK_KEYS:
        if f"{NAMESPACE}:{name}" in files.project.config:
            rule = f"set in {project_file}, but it is a stack's own setting: move it to Pulumi.<stack>.yaml"
            problems.append(Problem(key_path(name), NOT_SHOWN, rule))
    for key in PER_STACK_KEYS:
        if key in files.project.config:
            rule = f"set in {project_file}, but each stack deploys to its own region: set it in each stack file"
            problems.append(Problem(key, NOT_SHOWN, rule))
    return problems


def misplaced_keys(files: ConfigFiles) -> list[Problem]:
    """Shared keys set in the stack file, and stack keys set in the project file."""
    problems = _stack_keys_in_project(files)
    if files.stack is not None:
        problems = _shared_in_stack(files, files.stack) + problems
    return problems


def missing_key(name: str) -> Problem:
    """A required top-level key that no file sets, with where it belongs."""
    if name in SHARED_KEYS:
        rule = "required: shared by both stacks, it is set under `value:` in the `config:` block of Pulumi.yaml"
    else:
        rule = f"required: set it in this stack's file (`pulumi config set {NAMESPACE}:{name} <value>`)"
    return Problem(key_path(name), NOT_SHOWN, rule)


def secrets_in_project(files: ConfigFiles, secret_keys: Collection[str]) -> list[Problem]:
    """Secrets written into the project file, which is committed in plain text and read by every stack."""
    project_file = files.project.path.name
    rule = (
        f"a secret in {project_file}, which is committed and read by every stack and so holds no secrets: remove it "
        "there, choose a new key and set it as a secret of the stack that uses it "
        "(`pulumi config set --secret {} <key> --stack <stack>`)"
    )
    return [Problem(key, NOT_SHOWN, rule.format(key)) for key in sorted(secret_keys) if key in files.project.config]


def keys_of_other_roles(role: str) -> frozenset[str]:
    return frozenset(name for owner, names in ROLE_KEYS.items() if owner != role for name in names)


def other_role_keys(raw: Mapping[str, Any], role: str) -> list[Problem]:
    """Keys only the other role reads: accepted silently they would look configured and do nothing."""
    other = "secondary" if role == "primary" else "primary"
    return [
        Problem(
            key_path(name),
            NOT_SHOWN,
            f"only the {other} stack uses it; it has no effect on the {role} stack: "
            f"remove it from this stack's config (`pulumi config rm {NAMESPACE}:{name}`)",
        )
        for name in sorted(keys_of_other_roles(role))
        if name in raw
    ]
