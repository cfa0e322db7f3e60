"""README's "Operating it" section matches the driver: commands, flags, exit codes, and runnable examples."""

import re
import shlex

import pytest
import yaml
from conftest import ROOT

from deploy.cli import UsageError, build_parser
from deploy.errors import ExitCode

README = (ROOT / "README.md").read_text()
OPERATING = README.split("## Operating it", 1)[1].split("\n## ", 1)[0]
PARSER = build_parser()
SUBCOMMANDS = PARSER._subparsers._group_actions[0].choices  # argparse keeps them only here
PAIR_FLAGS = ("--primary-stack", "--secondary-stack")


def options_of(command: str) -> set[str]:
    return {
        option
        for action in SUBCOMMANDS[command]._actions
        for option in action.option_strings
        if option not in {"-h", "--help"}
    }


def rows_of(command: str) -> str:
    return "\n".join(re.findall(rf"^\| `{command}\b(?:[^|\\]|\\.)*\|", OPERATING, re.MULTILINE))


@pytest.mark.parametrize("command", sorted(SUBCOMMANDS))
def test_each_command_row_lists_exactly_its_flags(command):
    row = rows_of(command)
    assert row, f"no row for {command}"
    documented = set(re.findall(r"--[a-z][a-z-]*", row))
    assert documented == options_of(command) - set(PAIR_FLAGS)


def test_the_stack_flags_are_explained():
    for flag in PAIR_FLAGS:
        assert f"`{flag} NAME`" in OPERATING


def test_the_exit_code_table_is_the_drivers():
    documented = {int(code) for code in re.findall(r"^\| (\d+) \|", OPERATING, re.MULTILINE)}
    assert documented == {int(code) for code in ExitCode}


def _examples() -> list[str]:
    found = re.findall(r"python -m deploy ([^`>)#\n|]*)", README)
    return [example.strip() for example in found if "..." not in example]


@pytest.mark.parametrize("example", _examples())
def test_every_example_in_the_readme_parses(example):
    try:
        PARSER.parse_args(shlex.split(example))
    except UsageError as error:
        pytest.fail(f"`python -m deploy {example}`: {error}")


def test_ci_runs_the_policy_pack_one_run_at_a_time_and_checks_drift():
    blocks = [block.split("```", 1)[0] for block in README.split("```yaml")[1:]]
    workflow = yaml.safe_load(next(block for block in blocks if "jobs:" in block))
    assert workflow["concurrency"]["group"]
    runs = [step.get("run", "") for step in workflow["jobs"]["deploy"]["steps"]]
    assert any("deploy up --policy-pack policy" in run for run in runs)
    assert any("deploy preview" in run and "--policy-pack policy" in run for run in runs)
    assert any("preview --refresh --expect-no-changes" in run for run in runs)
    assert any("plan --format json" in run and "diff -u" in run for run in runs)


def test_ci_shows_the_plan_diff_and_keeps_the_preview():
    """A plan diff that is computed and then thrown away shows nothing in the pull request."""
    blocks = [block.split("```", 1)[0] for block in README.split("```yaml")[1:]]
    steps = yaml.safe_load(next(block for block in blocks if "jobs:" in block))["jobs"]["deploy"]["steps"]
    assert any("plan.diff" in step.get("run", "") and "GITHUB_STEP_SUMMARY" in step.get("run", "") for step in steps)
    uploads = [step for step in steps if str(step.get("uses", "")).startswith("actions/upload-artifact@")]
    assert uploads and {"plan.diff", "preview.json"} <= set(uploads[0]["with"]["path"].split())
    assert str(uploads[0]["if"]).startswith("always()"), "a failed preview is the one to look at"
