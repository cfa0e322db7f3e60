"""Test harness: the program only ever runs through deploy.offline.run_program, which installs the mocks
before it executes __main__.py; nothing here imports the program module itself."""

import json
import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import settings

# CI replays the same examples on every run, so a red build always reproduces; local runs keep searching.
settings.register_profile("ci", derandomize=True)
settings.load_profile(os.environ.get("CONNECTDR_HYPOTHESIS_PROFILE", "default"))

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.lambda_modules import lambda_handler  # noqa: E402
from deploy.offline import Declared, Plan, run_program  # noqa: E402
from deploy.plan import StackPlan, load_offline_stacks, plan_stacks  # noqa: E402
from deploy.stack_files import StackFile  # noqa: E402

ROOT_PARENT_ALLOWED = ("pulumi:providers:", "pulumi:pulumi:StackReference")


def well_formedness_problems(plan: Plan) -> list[str]:
    """Duplicate URNs, and resources that should sit under a component but hang off the stack."""
    problems = [f"duplicate URN {urn}" for urn in plan.duplicate_urns]
    components = {resource.urn for resource in plan.resources if not resource.custom}
    for resource in plan.resources:
        if not resource.custom or resource.type.startswith(ROOT_PARENT_ALLOWED):
            continue
        if resource.parent not in components:
            problems.append(f"{resource.type} {resource.name} has no component parent ({resource.parent})")
    return problems


def run_checked(stack: StackFile, stack_outputs: dict[str, dict[str, Any]] | None = None) -> Plan:
    """Run the program for a stack file and fail on duplicate URNs or orphans."""
    plan = run_program(stack, stack_outputs)
    assert well_formedness_problems(plan) == []
    return plan


CONFIG_FILES = ("Pulumi.yaml", "Pulumi.primary.yaml", "Pulumi.secondary.yaml")


@pytest.fixture(scope="session")
def stack_files() -> dict[str, StackFile]:
    """Both stacks' config as the engine merges it (Pulumi.yaml, then the stack file), for the offline plan."""
    return load_offline_stacks()


@pytest.fixture
def project_copy(tmp_path: Path) -> Path:
    """A copy of the project's config files to edit in a test (the program reads them from this folder)."""
    for name in CONFIG_FILES:
        shutil.copy(ROOT / name, tmp_path)
    return tmp_path


def edit_config(path: Path, change: Callable[[dict[str, Any]], None]) -> None:
    """Change the `config:` block of a copied project or stack file."""
    document = yaml.safe_load(path.read_text()) or {}
    config = document.setdefault("config", {})
    change(config)
    path.write_text(yaml.safe_dump(document, sort_keys=False))


@pytest.fixture(scope="session")
def plans(stack_files: dict[str, StackFile]) -> dict[str, StackPlan]:
    """Both stacks' offline plans, run once per session (the program is deterministic under the mocks)."""
    planned = plan_stacks(stack_files)
    for stack in planned.values():
        assert well_formedness_problems(stack.plan) == []
    return planned


@pytest.fixture(scope="session")
def primary(plans: dict[str, StackPlan]) -> Plan:
    return plans["primary"].plan


@pytest.fixture(scope="session")
def secondary(plans: dict[str, StackPlan]) -> Plan:
    return plans["secondary"].plan


def structured(stack: StackFile, key: str) -> Any:
    """A deep copy of a structured config value, to edit in a test."""
    return json.loads(stack.values[f"connectdr:{key}"])


def only(resources: list[Declared]) -> Declared:
    assert len(resources) == 1, [resource.name for resource in resources]
    return resources[0]


def load_lambda(folder: str) -> Any:
    """A Lambda's handler module, loaded from its folder as a new container would (each folder is its own root)."""
    return lambda_handler(folder, fresh=True)


@pytest.fixture(autouse=True)
def outputs_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """The driver's outputs file (written by `up` and `status`) lives in the test's folder, not the project."""
    path = tmp_path / "outputs.json"
    monkeypatch.setenv("CONNECTDR_OUTPUTS_FILE", str(path))
    return path


@pytest.fixture
def aws_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Credentials and region for moto; nothing reaches AWS."""
    for key, value in {
        "AWS_ACCESS_KEY_ID": "testing",
        "AWS_SECRET_ACCESS_KEY": "testing",
        "AWS_SESSION_TOKEN": "testing",
        "AWS_DEFAULT_REGION": "us-east-1",
    }.items():
        monkeypatch.setenv(key, value)


class VirtualClock:
    """A clock that only moves when something sleeps on it."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def create_config_table(region: str) -> Any:
    """The config global table's key schema, in moto (call inside mock_aws)."""
    import boto3

    return boto3.resource("dynamodb", region_name=region).create_table(
        TableName="config",
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
