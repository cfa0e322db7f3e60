"""Command line of `python -m deploy`."""

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from config import ConfigError
from deploy.plan import load_offline_stacks, plan_stacks
from deploy.render import to_json, to_mermaid, to_text
from deploy.stack_files import PROJECT_ROOT, STACKS, StackFileError

EXIT_OK, EXIT_FAILED, EXIT_BAD_CONFIG = 0, 1, 2
RENDERERS = {"text": to_text, "json": to_json, "mermaid": to_mermaid}


def _stacks(choice: str) -> tuple[str, ...]:
    return STACKS if choice == "all" else (choice,)


def command_plan(args: argparse.Namespace) -> int:
    """Run the program for each stack under the mock engine; no CLI, credentials or network needed."""
    try:
        stacks = plan_stacks(load_offline_stacks(args.stacks_dir), _stacks(args.stack))
    except (ConfigError, StackFileError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BAD_CONFIG
    print(RENDERERS[args.format](stacks))
    return EXIT_OK


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m deploy", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    plan = commands.add_parser("plan", help="offline plan of the stacks under Pulumi's mock engine")
    plan.add_argument("--stack", choices=(*STACKS, "all"), default="all")
    plan.add_argument("--format", choices=tuple(RENDERERS), default="text")
    plan.add_argument("--stacks-dir", type=Path, default=PROJECT_ROOT, help="folder holding Pulumi.<stack>.yaml")
    plan.set_defaults(handler=command_plan)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return args.handler(args)
