"""The harness itself: it can fail, and it catches what the mock engine lets through."""

import subprocess
import sys

import pulumi
import pytest
from conftest import ROOT, run_checked, well_formedness_problems

from deploy.offline import Declared, Plan
from deploy.stack_files import StackFile


def test_a_failed_assert_inside_an_apply_fails_a_decorated_test():
    @pulumi.runtime.test
    def wrong_assert_in_apply():
        return pulumi.Output.from_input(1).apply(lambda value: _assert_equal(value, 2))

    with pytest.raises(AssertionError):
        wrong_assert_in_apply()


def _assert_equal(actual: int, expected: int) -> None:
    assert actual == expected


IMPORT_EVERYTHING = """
import importlib, pathlib, sys
import pulumi
from deploy.mocks import CloudMocks
from deploy.offline import Plan, RecordingMonitor
plan = Plan("import-check")
mocks = CloudMocks("us-east-1")
pulumi.runtime.set_mocks(mocks, project="connectdr", stack="import-check", monitor=RecordingMonitor(mocks, plan))
for package in ("config", "components", "connect", "network", "deploy"):
    for path in sorted(pathlib.Path(package).rglob("*.py")):
        module = ".".join(path.with_suffix("").parts).removesuffix(".__init__")
        if module != "deploy.__main__":
            importlib.import_module(module)
print(len(plan.resources))
"""


def test_importing_the_packages_declares_nothing():
    """Modules only define things; resources appear only when __main__.py runs under the mocks."""
    result = subprocess.run(
        [sys.executable, "-c", IMPORT_EVERYTHING], cwd=ROOT, capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "0"


def _declared(name: str, urn: str, parent: str | None, custom: bool = True) -> Declared:
    return Declared(
        urn, "aws:s3/bucket:Bucket" if custom else "connectdr:x:Y", name, parent, custom, {}, {}, False, False, ()
    )


def test_duplicate_urns_and_orphans_are_reported():
    plan = Plan("primary", duplicate_urns=["urn:a"])
    plan.resources = [
        _declared("component", "urn:component", None, custom=False),
        _declared("child", "urn:child", "urn:component"),
        _declared("orphan", "urn:orphan", "urn:pulumi:primary::connectdr::pulumi:pulumi:Stack::connectdr-primary"),
    ]
    problems = well_formedness_problems(plan)
    assert problems[0] == "duplicate URN urn:a"
    assert any("orphan has no component parent" in problem for problem in problems)
    assert not any("child" in problem for problem in problems)


def test_two_runs_in_one_process_do_not_share_registrations(stack_files: dict[str, StackFile]):
    first = run_checked(stack_files["primary"])
    second = run_checked(stack_files["primary"])
    assert len(first.resources) == len(second.resources) > 0
    assert second.duplicate_urns == []
