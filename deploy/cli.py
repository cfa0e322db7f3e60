"""`python -m deploy`: the offline plan, and the Automation API commands for CI and operators.

Every failure ends as one line on stderr (`error: ...`) and an exit code from deploy.errors.ExitCode;
results go to stdout.
"""

import argparse
import os
import signal
import sys
import threading
import warnings
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import NoReturn, TextIO

from botocore.exceptions import BotoCoreError, ClientError

from deploy.backend import AutomationBackend, StackOperations
from deploy.cloud import CloudClients, aws_failure
from deploy.commands import (
    RENDERERS,
    Context,
    command_drill,
    command_init,
    command_lifecycle,
    command_plan,
    command_split,
    command_status,
    command_verify,
)
from deploy.errors import DriverError, ExitCode
from deploy.outputs_cache import FILE_VARIABLE
from deploy.stack_files import PROJECT_ROOT, STACKS
from deploy.traffic_ops import OperationError

# Pulumi's flags each lifecycle command passes through (only those its SDK call accepts).
PASS_THROUGH = {
    "preview": ("target", "exclude", "replace", "diff", "refresh", "policy-pack", "parallel", "message", "expect"),
    "up": ("target", "exclude", "replace", "diff", "refresh", "policy-pack", "parallel", "message"),
    "refresh": ("target", "exclude", "diff", "parallel", "message", "expect"),
    "destroy": ("target", "diff", "refresh", "parallel", "message", "yes"),
}
TRACEBACK_VARIABLE = "CONNECTDR_TRACEBACK"


class UsageError(Exception):
    """argparse's complaint, reported as the driver's one line (exit 2)."""


class OneLineParser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise UsageError(f"{message} (see `{self.prog} --help`)")


class CommandParser(OneLineParser):
    """The top-level parser: options given before any command are named as such, not reported as a missing
    command (argparse checks the required command before it looks at unknown options)."""

    def parse_args(
        self, args: Sequence[str] | None = None, namespace: argparse.Namespace | None = None
    ) -> argparse.Namespace:
        argv = list(sys.argv[1:] if args is None else args)
        commands = next(
            (set(action.choices) for action in self._actions if isinstance(action, argparse._SubParsersAction)), set()
        )
        first_command = next((index for index, word in enumerate(argv) if word in commands), len(argv))
        leading = [word for word in argv[:first_command] if word.startswith("-") and word not in ("-h", "--help")]
        if leading:
            self.error(f"unrecognized arguments: {' '.join(leading)}; a command comes first")
        return super().parse_args(argv, namespace)


def positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text} must be greater than 0")
    return value


def positive_seconds(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of seconds") from None
    if not value > 0:
        raise argparse.ArgumentTypeError(f"{text} must be greater than 0 seconds")
    return value


def _pair_options() -> argparse.ArgumentParser:
    options = OneLineParser(add_help=False)
    group = options.add_argument_group("stacks (default: the stack files' connectdr:role)")
    group.add_argument("--primary-stack", metavar="NAME", help="the primary stack (a fully qualified name works)")
    group.add_argument("--secondary-stack", metavar="NAME", help="the secondary stack")
    return options


def _add_pass_through(sub: argparse.ArgumentParser, command: str) -> None:
    """Pulumi's flags, as `pulumi <command>` spells them."""
    flags = PASS_THROUGH[command]
    if "target" in flags:
        sub.add_argument("--target", action="append", metavar="URN", help="only this resource (repeatable)")
    if "exclude" in flags:
        sub.add_argument("--exclude", action="append", metavar="URN", help="leave this resource out (repeatable)")
    if "replace" in flags:
        sub.add_argument("--replace", action="append", metavar="URN", help="replace this resource (repeatable)")
    if "diff" in flags:
        sub.add_argument("--diff", action="store_true", help="show a detailed diff")
    if "refresh" in flags:
        sub.add_argument("--refresh", action="store_true", help="refresh the state from the cloud first")
    if "policy-pack" in flags:
        sub.add_argument("--policy-pack", action="append", metavar="DIR", help="run this CrossGuard pack (repeatable)")
    if "parallel" in flags:
        sub.add_argument("--parallel", type=positive_int, metavar="N", help="resource operations at once")
    if "message" in flags:
        sub.add_argument("--message", metavar="TEXT", help="message kept with the update")
    if "expect" in flags:
        sub.add_argument(
            "--expect-no-changes",
            action="store_true",
            help="exit 3 when there are changes (a preview; nothing written)",
        )
    if "yes" in flags:
        sub.add_argument("--yes", action="store_true", help="destroy without asking")


def build_parser() -> argparse.ArgumentParser:
    parser = CommandParser(prog="python -m deploy", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True, parser_class=OneLineParser)
    pair = _pair_options()
    stack_help = "all (primary then secondary; destroy the reverse), primary, secondary, or a stack name"

    plan = commands.add_parser("plan", help="offline plan of the stacks under Pulumi's mock engine")
    plan.add_argument("--stack", choices=(*STACKS, "all"), default="all")
    plan.add_argument("--format", choices=tuple(RENDERERS), default="text")
    plan.add_argument("--stacks-dir", type=Path, default=PROJECT_ROOT, help="project folder with Pulumi*.yaml")
    plan.set_defaults(handler=command_plan)

    init = commands.add_parser("init", parents=[pair], help="create the stacks in the current backend")
    init.add_argument("--stack", default="all", metavar="STACK", help="all, primary, secondary, or a stack name")
    init.add_argument(
        "--secrets-provider", metavar="URL", help="e.g. awskms://alias/connectdr (default: the backend's)"
    )
    init.set_defaults(handler=command_init)

    for name in PASS_THROUGH:
        sub = commands.add_parser(name, parents=[pair], help=f"pulumi {name} through the Automation API")
        sub.add_argument("--stack", default="all", metavar="STACK", help=stack_help)
        sub.add_argument("--json", action="store_true", help="one JSON document on stdout, per-resource operations")
        _add_pass_through(sub, name)
        sub.set_defaults(handler=command_lifecycle)

    split = commands.add_parser("split", parents=[pair], help="change the desired traffic split")
    split.add_argument("telephony", nargs=2, metavar="REGION=PERCENT")
    split.add_argument("--agents", nargs=2, metavar="REGION=PERCENT")
    split.add_argument("--sign-in", nargs=2, metavar="REGION=on|off")
    split.add_argument(
        "--direct",
        metavar="REGION",
        help="the primary region is down: write the split in REGION, invoke its controller",
    )
    split.add_argument("--config-table", metavar="NAME", help="with --direct: the config table (else from outputs)")
    split.add_argument("--controller", metavar="NAME", help="with --direct: REGION's controller function")
    split.add_argument(
        "--outputs-file",
        type=Path,
        metavar="PATH",
        help=f"with --direct: the outputs file (default ${FILE_VARIABLE} or .connectdr/outputs.json)",
    )
    split.set_defaults(handler=command_split)

    status = commands.add_parser("status", parents=[pair], help="desired and effective split, health, decisions")
    status.add_argument("--json", action="store_true")
    status.set_defaults(handler=command_status)

    drill = commands.add_parser("drill", parents=[pair], help="shift all traffic away from a region, time it, restore")
    drill.add_argument("--away-from", required=True, metavar="REGION")
    drill.add_argument("--timeout", type=positive_seconds, default=600, metavar="SECONDS")
    drill.add_argument(
        "--via-plan",
        action="store_true",
        help="run the Region switch plan (deactivate, then activate the region) instead of writing the override",
    )
    drill.add_argument("--json", action="store_true")
    drill.set_defaults(handler=command_drill)

    verify = commands.add_parser("verify", parents=[pair], help="prove replication, replica, traffic groups, consumers")
    verify.set_defaults(handler=command_verify)
    return parser


def one_line(message: object) -> str:
    return " ".join(str(message).split())


@contextmanager
def background_notes_to_stdout() -> Iterator[None]:
    """The SDK reads engine events on a thread, which warns (gRPC) or dies with a traceback (event-log file)
    on an event it cannot parse; either way it is a note in the output, not a failure on stderr."""
    previous_hook = threading.excepthook

    def note_thread_error(failed: threading.ExceptHookArgs) -> None:
        print(f"note: engine events not read ({one_line(failed.exc_value)})", file=sys.stdout)

    def note_warning(message: Warning | str, *_args: object, **_kwargs: object) -> None:
        print(f"note: {one_line(str(message).splitlines()[0])}", file=sys.stdout)

    threading.excepthook = note_thread_error
    with warnings.catch_warnings():
        warnings.showwarning = note_warning
        try:
            yield
        finally:
            threading.excepthook = previous_hook


@contextmanager
def terminate_as_interrupt() -> Iterator[None]:
    """SIGTERM (a cancelled CI job, a stopped container) is handled as Ctrl-C: the CLI is asked to cancel and the
    driver waits for it, instead of dying and leaving the CLI to be killed mid-update by its closed pipes."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def interrupt(_signal: int, _frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, interrupt)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def main(
    argv: Sequence[str] | None = None,
    backend_factory: Callable[[], StackOperations] = AutomationBackend,
    cloud: CloudClients | None = None,
    stdin: TextIO | None = None,
) -> int:
    try:
        args = build_parser().parse_args(argv)
        context = Context(args, backend_factory, cloud or CloudClients(), stdin or sys.stdin)
        with background_notes_to_stdout(), terminate_as_interrupt():
            return int(args.handler(context))
    except UsageError as error:
        failure = DriverError(str(error), ExitCode.USAGE)
    except DriverError as error:
        failure = error
    except OperationError as error:
        failure = DriverError(str(error), ExitCode.FAILED)
    except (BotoCoreError, ClientError) as error:
        failure = aws_failure(error)
    except BrokenPipeError:  # whoever read stdout went away (`| head`): the results could not all be written
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # so the interpreter's exit flush is quiet
        failure = DriverError("stdout was closed before all results were written", ExitCode.FAILED)
    except KeyboardInterrupt as interrupt:
        failure = DriverError(f"interrupted: {interrupt}" if str(interrupt) else "interrupted", ExitCode.INTERRUPTED)
    except Exception as error:  # the last resort: a bug, still one line unless asked for the traceback
        if os.environ.get(TRACEBACK_VARIABLE):
            raise
        failure = DriverError(
            f"unexpected {type(error).__name__}: {error} (set {TRACEBACK_VARIABLE}=1 to see where)", ExitCode.FAILED
        )
    print(f"error: {one_line(failure)}", file=sys.stderr)
    return failure.exit_code
