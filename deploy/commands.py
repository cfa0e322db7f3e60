"""The commands behind `python -m deploy`: each takes the parsed arguments (in a Context) and returns
its exit code, or raises a DriverError that the entry point reports as one line."""

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, TextIO

from config import ConfigError
from deploy.backend import RunOptions, StackOperations
from deploy.cloud import CloudClients
from deploy.deployment import Deployment, RoleOutputs, load_deployment
from deploy.drill import DrillReport, DrillTargets, run_drill
from deploy.errors import DriverError, ExitCode, problems_error
from deploy.lifecycle import confirm_destroy, run_lifecycle, unattended_destroy
from deploy.outputs_cache import CachedOutputs
from deploy.plan import load_offline_stacks, plan_stacks
from deploy.plan_drill import PlanDrillTargets, run_drill_via_plan
from deploy.region_switch import SERVICE
from deploy.render import to_json, to_mermaid, to_text
from deploy.split import check_split, parse_assignments, run_split
from deploy.split_direct import find_targets, run_split_direct
from deploy.stack_files import PROJECT_ROOT, STACKS, StackFileError, read_stack_file
from deploy.stack_pair import ROLES, StackPair, discover_pair, file_stem, resolve
from deploy.status import run_status
from deploy.verify import run_verify

RENDERERS = {"text": to_text, "json": to_json, "mermaid": to_mermaid}


@dataclass
class Context:
    """What a command may use; the backend and the stack pair are only looked at when a command needs them."""

    args: argparse.Namespace
    backend_factory: Callable[[], StackOperations]
    cloud: CloudClients
    stdin: TextIO | None
    out: TextIO = field(default_factory=lambda: sys.stdout)

    @cached_property
    def backend(self) -> StackOperations:
        return self.backend_factory()

    @cached_property
    def pair(self) -> StackPair:
        return discover_pair(PROJECT_ROOT, self.args.primary_stack, self.args.secondary_stack)

    def stacks(self, operation: str) -> tuple[str, ...]:
        """`--stack`: a stack name needs no stack files; `all` and the roles come from the pair."""
        choice = self.args.stack
        if choice == "all":
            return self.pair.in_order(operation)
        return resolve(choice, self.pair) if choice in ROLES else (choice,)

    def role_outputs(self, *, remember: bool = False) -> RoleOutputs:
        return RoleOutputs(self.backend, self.pair, remember=remember)


def command_plan(ctx: Context) -> int:
    """Run the program for each stack under the mock engine; no CLI, credentials or network needed."""
    args = ctx.args
    try:
        wanted = STACKS if args.stack == "all" else (args.stack,)
        stacks = plan_stacks(load_offline_stacks(args.stacks_dir, wanted), wanted)
    except StackFileError as error:
        raise DriverError(str(error), ExitCode.USAGE) from None
    except ConfigError as error:
        raise problems_error(error) from None
    print(RENDERERS[args.format](stacks), file=ctx.out)
    return ExitCode.OK


def run_options(args: argparse.Namespace) -> RunOptions:
    policy_packs = tuple(str(Path(pack).resolve()) for pack in getattr(args, "policy_pack", None) or ())
    return RunOptions(
        target=tuple(getattr(args, "target", None) or ()),
        exclude=tuple(getattr(args, "exclude", None) or ()),
        replace=tuple(getattr(args, "replace", None) or ()),
        diff=getattr(args, "diff", False),
        refresh=getattr(args, "refresh", False),
        policy_packs=policy_packs,
        parallel=getattr(args, "parallel", None),
        message=getattr(args, "message", None),
        expect_no_changes=getattr(args, "expect_no_changes", False),
    )


def check_resource_flags(options: RunOptions, stacks: Sequence[str]) -> None:
    """URNs name resources of one stack: refuse them for both stacks, or for a stack they do not name."""
    urns = [*options.target, *options.exclude, *options.replace]
    if urns and len(stacks) > 1:
        raise DriverError(
            "--target, --exclude and --replace name resources of one stack: choose it with --stack", ExitCode.USAGE
        )
    for urn in urns:
        parts = urn.split("::")
        named = parts[0].removeprefix("urn:pulumi:") if urn.startswith("urn:pulumi:") and len(parts) > 1 else None
        if named and "*" not in named and named != file_stem(stacks[0]):
            raise DriverError(f"{urn}: names stack {named}, not {stacks[0]}", ExitCode.USAGE)


def command_lifecycle(ctx: Context) -> int:
    args = ctx.args
    stacks = ctx.stacks(args.command)
    options = run_options(args)
    check_resource_flags(options, stacks)
    if args.command == "destroy" and not args.yes:
        if ctx.stdin is None or ctx.stdin.closed or not ctx.stdin.isatty():
            raise unattended_destroy(stacks)
        dialogue = sys.stderr if args.json else ctx.out  # --json: stdout holds the one document
        confirm_destroy(ctx.backend, stacks, options, ask=_asker(ctx.stdin), out=dialogue)
    return run_lifecycle(ctx.backend, args.command, stacks, options, as_json=args.json, out=ctx.out)


def _asker(stdin: TextIO) -> Callable[[str], str]:
    def ask(prompt: str) -> str:
        print(prompt, end="", file=sys.stderr, flush=True)
        return stdin.readline()

    return ask


def command_init(ctx: Context) -> int:
    for stack in ctx.stacks("init"):
        created = ctx.backend.init(stack, ctx.args.secrets_provider)
        print(f"{stack}: {'created' if created else 'exists already (nothing changed)'}", file=ctx.out)
    return ExitCode.OK


def command_split(ctx: Context) -> int:
    args = ctx.args
    changes: dict[str, dict[str, Any]] = {"telephony": parse_assignments(args.telephony)}
    if args.agents:
        changes["agents"] = parse_assignments(args.agents)
    if args.sign_in:
        changes["signIn"] = parse_assignments(args.sign_in, switches=True)
    direct_only = {
        "--config-table": args.config_table,
        "--controller": args.controller,
        "--outputs-file": args.outputs_file,
    }
    if not args.direct and (given := [flag for flag, value in direct_only.items() if value]):
        raise DriverError(f"{', '.join(given)} only go with --direct REGION", ExitCode.USAGE)
    checked = check_split(ctx.pair.primary, changes)
    if not args.direct:
        return run_split(ctx.backend, ctx.cloud, ctx.pair.primary, checked, out=ctx.out)
    if args.direct not in checked.regions:
        raise DriverError(f"--direct {args.direct}: must be one of {', '.join(checked.regions)}", ExitCode.USAGE)
    sources = [
        ("outputs file", lambda: RoleOutputs(CachedOutputs(args.outputs_file), ctx.pair)),
        ("backend", ctx.role_outputs),
    ]
    targets = find_targets(
        args.direct, checked, config_table=args.config_table, controller=args.controller, sources=sources
    )
    return run_split_direct(ctx.cloud, args.direct, checked, targets, primary_stack=ctx.pair.primary, out=ctx.out)


def command_status(ctx: Context) -> int:
    outputs = ctx.role_outputs(remember=True)
    code = run_status(outputs, ctx.cloud, as_json=ctx.args.json, out=ctx.out)
    for note in [] if ctx.args.json else outputs.notes:
        print(note, file=ctx.out)
    return code


def _stack_file_regions(stack: str) -> tuple[str, ...]:
    try:
        regions = read_stack_file(file_stem(stack), PROJECT_ROOT).structured("regions") or {}
    except StackFileError as error:
        raise DriverError(str(error), ExitCode.USAGE) from None
    return tuple(regions[role] for role in ("source", "replica") if role in regions)


def command_drill(ctx: Context) -> int:
    args = ctx.args
    regions = _stack_file_regions(ctx.pair.primary)
    if regions and args.away_from not in regions:
        raise DriverError(f"--away-from {args.away_from}: must be one of {', '.join(regions)}", ExitCode.USAGE)
    deployment = load_deployment(ctx.role_outputs())
    if args.away_from not in deployment.regions:
        raise DriverError(
            f"--away-from {args.away_from}: must be one of {', '.join(deployment.regions)}", ExitCode.USAGE
        )
    receiving = deployment.other(args.away_from)
    if args.via_plan:
        report = _drill_via_plan(ctx, deployment, receiving)
    else:
        targets = DrillTargets(deployment.controllers[receiving], deployment.health_alarm, deployment.default_tdg_arn)
        report = run_drill(
            args.away_from, ctx.cloud.ports(receiving, deployment.config_table), targets, timeout_seconds=args.timeout
        )
    if args.json:
        print(json.dumps(report.__dict__, indent=2), file=ctx.out)
    else:
        for step in [] if args.via_plan else report.steps:  # the plan's steps were printed as they happened
            print(f"  {step}", file=ctx.out)
        print(
            f"drill: away from {report.away_from} in {report.shifted_after_seconds:.1f} s, "
            f"restored in {report.restored_after_seconds:.1f} s",
            file=ctx.out,
        )
    return ExitCode.OK


def _drill_via_plan(ctx: Context, deployment: Deployment, receiving: str) -> DrillReport:
    """The drill through the Region switch plan; its steps print as they happen (unless --json)."""
    if deployment.region_switch_plan is None:
        raise DriverError(
            "drill --via-plan: the secondary stack has no Region switch plan (output regionSwitchPlanArn): set "
            "failover.regionSwitch.enabled in Pulumi.yaml and run `python -m deploy up`",
            ExitCode.ENVIRONMENT,
        )
    targets = PlanDrillTargets(deployment.region_switch_plan, deployment.health_alarm, deployment.default_tdg_arn)
    switch = {region: ctx.cloud.client(SERVICE, region) for region in deployment.regions}
    say = (lambda _line: None) if ctx.args.json else (lambda line: print(f"  {line}", file=ctx.out, flush=True))
    return run_drill_via_plan(
        ctx.args.away_from,
        ctx.cloud.ports(receiving, deployment.config_table),
        switch,
        targets,
        timeout_seconds=ctx.args.timeout,
        say=say,
    )


def command_verify(ctx: Context) -> int:
    if run_verify(ctx.role_outputs(), ctx.cloud, out=ctx.out) != ExitCode.OK:
        raise DriverError("verify: a check failed (its line above says which and why)")
    return ExitCode.OK
