"""`python -m deploy`: the offline plan, and the Automation API commands for CI and operators."""

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from config import ConfigError
from deploy.backend import AutomationBackend, DriverError, StackBackend
from deploy.cloud import CloudClients
from deploy.deployment import load_deployment
from deploy.drill import DrillTargets, run_drill
from deploy.lifecycle import run_lifecycle
from deploy.plan import load_offline_stacks, plan_stacks
from deploy.render import to_json, to_mermaid, to_text
from deploy.split import parse_assignments, run_split
from deploy.stack_files import PROJECT_ROOT, STACKS, StackFileError
from deploy.status import run_status
from deploy.traffic_ops import OperationError
from deploy.verify import run_verify

EXIT_OK, EXIT_BAD_CONFIG = 0, 2
RENDERERS = {"text": to_text, "json": to_json, "mermaid": to_mermaid}
LIFECYCLE = ("preview", "up", "refresh", "destroy")


def command_plan(args: argparse.Namespace, _backend: StackBackend, _cloud: CloudClients) -> int:
    """Run the program for each stack under the mock engine; no CLI, credentials or network needed."""
    try:
        files = load_offline_stacks(args.stacks_dir)
        stacks = plan_stacks(files, STACKS if args.stack == "all" else (args.stack,))
    except (ConfigError, StackFileError) as error:
        print(f"error: {error}", file=sys.stderr)
        return EXIT_BAD_CONFIG
    print(RENDERERS[args.format](stacks))
    return EXIT_OK


def command_lifecycle(args: argparse.Namespace, backend: StackBackend, _cloud: CloudClients) -> int:
    return run_lifecycle(backend, args.command, args.stack, expect_no_changes=args.expect_no_changes, as_json=args.json)


def command_split(args: argparse.Namespace, backend: StackBackend, cloud: CloudClients) -> int:
    changes: dict[str, dict[str, Any]] = {"telephony": parse_assignments(args.telephony)}
    if args.agents:
        changes["agents"] = parse_assignments(args.agents)
    if args.sign_in:
        changes["signIn"] = parse_assignments(args.sign_in, switches=True)
    return run_split(backend, cloud, changes, direct_region=args.direct)


def command_status(args: argparse.Namespace, backend: StackBackend, cloud: CloudClients) -> int:
    return run_status(backend, cloud, as_json=args.json)


def command_drill(args: argparse.Namespace, backend: StackBackend, cloud: CloudClients) -> int:
    deployment = load_deployment(backend)
    if args.away_from not in deployment.regions:
        raise DriverError(
            f"--away-from {args.away_from}: must be one of {', '.join(deployment.regions)}", EXIT_BAD_CONFIG
        )
    receiving = deployment.other(args.away_from)
    targets = DrillTargets(deployment.controllers[receiving], deployment.health_alarm, deployment.default_tdg_arn)
    report = run_drill(
        args.away_from, cloud.ports(receiving, deployment.config_table), targets, timeout_seconds=args.timeout
    )
    if args.json:
        print(json.dumps(report.__dict__, indent=2))
    else:
        for step in report.steps:
            print(f"  {step}")
        print(
            f"drill: away from {report.away_from} in {report.shifted_after_seconds:.1f} s, "
            f"restored in {report.restored_after_seconds:.1f} s"
        )
    return EXIT_OK


def command_verify(_args: argparse.Namespace, backend: StackBackend, cloud: CloudClients) -> int:
    return run_verify(backend, cloud)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m deploy", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)
    plan = commands.add_parser("plan", help="offline plan of the stacks under Pulumi's mock engine")
    plan.add_argument("--stack", choices=(*STACKS, "all"), default="all")
    plan.add_argument("--format", choices=tuple(RENDERERS), default="text")
    plan.add_argument("--stacks-dir", type=Path, default=PROJECT_ROOT, help="project folder with Pulumi*.yaml")
    plan.set_defaults(handler=command_plan)
    for name in LIFECYCLE:
        sub = commands.add_parser(name, help=f"pulumi {name} through the Automation API")
        sub.add_argument("--stack", choices=(*STACKS, "all"), default="all")
        sub.add_argument("--json", action="store_true", help="machine-readable result on stdout (progress on stderr)")
        sub.add_argument("--expect-no-changes", action="store_true", help="exit 3 when there are changes (drift)")
        sub.set_defaults(handler=command_lifecycle)
    split = commands.add_parser("split", help="change the desired traffic split")
    split.add_argument("telephony", nargs=2, metavar="REGION=PERCENT")
    split.add_argument("--agents", nargs=2, metavar="REGION=PERCENT")
    split.add_argument("--sign-in", nargs=2, metavar="REGION=on|off")
    split.add_argument(
        "--direct", metavar="REGION", help="primary region down: write the split in REGION and invoke its controller"
    )
    split.set_defaults(handler=command_split)
    status = commands.add_parser("status", help="desired and effective split, health, replication, decisions")
    status.add_argument("--json", action="store_true")
    status.set_defaults(handler=command_status)
    drill = commands.add_parser("drill", help="shift all traffic away from a region, time it, restore")
    drill.add_argument("--away-from", required=True, metavar="REGION")
    drill.add_argument("--timeout", type=float, default=600)
    drill.add_argument("--json", action="store_true")
    drill.set_defaults(handler=command_drill)
    verify = commands.add_parser("verify", help="prove replication, the replica, traffic groups and consumers")
    verify.set_defaults(handler=command_verify)
    return parser


def main(
    argv: Sequence[str] | None = None,
    backend_factory: Callable[[], StackBackend] = AutomationBackend,
    cloud: CloudClients | None = None,
) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args, backend_factory(), cloud or CloudClients())
    except (DriverError, OperationError) as error:
        print(f"error: {error}", file=sys.stderr)
        return getattr(error, "exit_code", 1)
