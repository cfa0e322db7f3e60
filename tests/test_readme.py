"""README tells the truth: its commands exist, its config table names every top-level key."""

import re

from conftest import ROOT

from config.loader import TOP_LEVEL_KEYS
from deploy.cli import build_parser

README = (ROOT / "README.md").read_text()


def test_every_deploy_command_in_the_readme_exists():
    subcommands = set(build_parser()._subparsers._group_actions[0].choices)
    mentioned = set(re.findall(r"python -m deploy (\w+)", README))
    assert mentioned and mentioned <= subcommands, mentioned - subcommands
    undocumented = [name for name in subcommands if not re.search(rf"`{name}\b", README)]
    assert undocumented == []


def test_the_config_table_lists_every_top_level_key():
    documented = set(re.findall(r"^\| `(\w+)` \|", README, re.MULTILINE))
    assert set(TOP_LEVEL_KEYS) <= documented


def test_the_two_first_commands_come_first():
    first_block = README.split("```sh", 1)[1].split("```", 1)[0]
    assert first_block.strip().splitlines()[0].startswith("make plan")
    assert "make test" in first_block
