"""The offline plan: both stacks' programs under the mock engine, with the primary's outputs feeding the
secondary's StackReference as they would in a real deployment."""

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from config import ConfigError
from config.problems import Problem
from deploy.offline import Plan, run_program
from deploy.stack_files import PROJECT_ROOT, STACKS, StackFile, read_offline_stack_file


@dataclass(frozen=True)
class StackPlan:
    """A stack's config and what its program declared."""

    file: StackFile
    plan: Plan


def load_offline_stacks(root: Path = PROJECT_ROOT, wanted: Sequence[str] = STACKS) -> dict[str, StackFile]:
    """The stacks' config (project config, then the stack file), with placeholder pre-shared keys where the real
    ones are stack secrets: the wanted stacks and the primary, whose outputs the secondary reads."""
    return {name: read_offline_stack_file(name, root) for name in STACKS if name in wanted or name == "primary"}


def _check_roles(files: dict[str, StackFile], names: Sequence[str]) -> None:
    """Each stack runs as the role it is named for (the primary's outputs feed the secondary's StackReference)."""
    problems = [
        Problem(
            f"Pulumi.{name}.yaml: connectdr:role",
            files[name].role,
            f"the {name} stack must have role {name}: the primary stack deploys the source region, the secondary "
            "the replica with a StackReference to it (README, Config)",
        )
        for name in names
        if files[name].role in STACKS and files[name].role != name
    ]
    if problems:
        raise ConfigError(problems)


def plan_stacks(files: dict[str, StackFile], wanted: Sequence[str] = STACKS) -> dict[str, StackPlan]:
    """Run the primary first (always, when the secondary is wanted: its outputs feed the StackReference)."""
    _check_roles(files, ["primary", *(["secondary"] if "secondary" in wanted else [])])
    primary = run_program(files["primary"])
    plans = {"primary": StackPlan(files["primary"], primary)}
    if "secondary" in wanted:
        secondary_file = files["secondary"]
        reference = secondary_file.values.get("connectdr:primaryStack", "primary")
        plans["secondary"] = StackPlan(secondary_file, run_program(secondary_file, {reference: primary.outputs}))
    return {name: plans[name] for name in wanted}
