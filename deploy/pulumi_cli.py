"""The one place that starts the Pulumi CLI for the SDK and reads what it said when it failed.

The SDK raises CommandError with only a formatted string of the command's result; the streams themselves
are kept here so a failure is classified from the CLI's exit code, the SDK's error classes and the line
of stderr that names the cause. The command also runs the CLI the way an operator's terminal would:
output that is not UTF-8 is shown, not fatal; Ctrl-C (or SIGTERM) asks the CLI to cancel, as in a terminal,
and waits for it to end instead of cutting it off mid-update; commands that only read or set config and
outputs give up after a time limit.
"""

import contextlib
import os
import re
import shutil
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import IO, Any

from pulumi import automation as auto
from pulumi.automation import PulumiCommand
from pulumi.automation.errors import create_command_error

from deploy.errors import DriverError, ExitCode

INSTALL_HINT = "https://www.pulumi.com/docs/install/"
VERSION_TIMEOUT_SECONDS = 60
TIMEOUT_VARIABLE = "CONNECTDR_PULUMI_TIMEOUT"
DEFAULT_TIMEOUT_SECONDS = 120.0
"""How long a CLI command that reads or sets stacks, config or outputs may take (a backend that does not answer)."""
OPERATIONS = frozenset({"preview", "up", "update", "refresh", "destroy", "import", "watch"})
"""The commands that change or preview resources: they take as long as the clouds do, so no time limit."""
STOP_GRACE_SECONDS = 10
# The CLI's exit code taxonomy (pulumi >= 3.226, pkg/cmd/pulumi/cmd/exit_codes.go); older CLIs exit 255.
CLI_EXIT_AUTHENTICATION, CLI_EXIT_STACK_NOT_FOUND, CLI_EXIT_NO_CHANGES = 3, 6, 7
# CommandResult.__str__ (pulumi/automation/_cmd.py) starts with the exit code: "\n code: 7\n stdout: ...".
SDK_RESULT_CODE = re.compile(r"\A\s*code: (-?\d+)\n")
# NoChangesExpectedError's sentence in both of its forms, for CLIs from before the exit code taxonomy.
NO_CHANGES_EXPECTED = re.compile(r"no changes were expected (for \w+ )?but changes were proposed", re.IGNORECASE)
CREDENTIAL_HINTS = re.compile(
    r"no credentials|NoCredentialProviders|could not find default credentials|PULUMI_ACCESS_TOKEN|"
    r"not logged in|pulumi login|ExpiredToken|InvalidClientTokenId|UnrecognizedClientException|"
    r"invalid access token|\b401\b|\b403\b|unauthorized|forbidden",
    re.IGNORECASE,
)
UNREACHABLE_HINTS = re.compile(
    r"no such host|connection refused|i/o timeout|network is unreachable|TLS handshake timeout|"
    r"context deadline exceeded|NoSuchBucket",
    re.IGNORECASE,
)
GENERIC_ERRORS = re.compile(
    r"^(update|preview|refresh|destroy) failed\.?$|^an error occurred|^one or more errors occurred", re.IGNORECASE
)
SEVERAL_ERRORS = re.compile(r"^\d+ errors occurred:")
NUMBERED_ERROR = re.compile(r"^\d+\) ")
ANSI_ESCAPE = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")


@dataclass(frozen=True)
class CliFailure:
    """What a failed CLI command left behind: its exit code (None if unknown) and both streams."""

    code: int | None
    stdout: str
    stderr: str


Lines = Callable[[str], Any] | None


class Interrupted(KeyboardInterrupt):
    """Ctrl-C (or SIGTERM) while a CLI command ran; the CLI was asked to stop and has ended."""

    def __init__(self, failure: CliFailure) -> None:
        super().__init__()
        self.failure = failure

    def __str__(self) -> str:
        return f"the Pulumi CLI stopped ({cause_line(self.failure)})" if self.failure.code else ""


class CapturingCommand(PulumiCommand):
    """PulumiCommand whose `run` keeps each failed command's streams on the CommandError it raises, reads output
    that is not UTF-8 with replacement characters, passes Ctrl-C on to the CLI and waits for it to end, and puts
    a time limit on the commands that are not operations. Otherwise it runs the CLI as the SDK does (same
    arguments, environment and errors; stdin is empty, as nothing is asked with --non-interactive)."""

    def run(
        self,
        args: list[str],
        cwd: str,
        additional_env: Mapping[str, str],
        on_output: Lines = None,
        on_error: Lines = None,
    ) -> auto.CommandResult:
        separator = args.index("--") if "--" in args else len(args)
        if "--non-interactive" not in args[:separator]:
            args.insert(0, "--non-interactive")
        env = {**os.environ, **additional_env, "PULUMI_AUTOMATION_API": "true"}
        if os.path.isabs(self.command):
            env["PATH"] = os.pathsep.join([os.path.dirname(self.command), env["PATH"]])
        limit = _time_limit(args)
        stdout: list[str] = []
        stderr: list[str] = []
        with subprocess.Popen(
            [self.command, *args],
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=cwd,
            env=env,
            encoding="utf-8",
            errors="replace",
            start_new_session=True,  # signals reach it only from here, once each
        ) as process:
            readers = [
                threading.Thread(target=_drain, args=(process.stdout, on_output, stdout), daemon=True),
                threading.Thread(target=_drain, args=(process.stderr, on_error, stderr), daemon=True),
            ]
            for reader in readers:
                reader.start()
            interrupts = _supervise(process, limit, _shown(args))
            for reader in readers:
                reader.join()
        failure = CliFailure(process.returncode, "\n".join(stdout), "\n".join(stderr))
        if interrupts:
            raise Interrupted(failure)
        result = auto.CommandResult(stdout=failure.stdout, stderr=failure.stderr, code=process.returncode)
        if process.returncode != 0:
            error = create_command_error(result)
            error.cli_failure = failure  # type: ignore[attr-defined]
            raise error
        return result


def _drain(stream: IO[str] | None, callback: Lines, lines: list[str]) -> None:
    """Read a stream to its end whatever the callback does: a reader that stops leaves the CLI blocked on a
    full pipe, and the driver waiting for it."""
    assert stream is not None
    for line in iter(stream.readline, ""):
        line = line.rstrip()
        lines.append(line)
        if callback is not None:
            try:
                callback(line)
            except Exception:  # output that cannot be shown must not stop the reading
                callback = None


def _command_words(args: list[str]) -> list[str]:
    return [arg for arg in args if not arg.startswith("-")][:2]


def _shown(args: list[str]) -> str:
    return "pulumi " + " ".join(_command_words(args))


def _time_limit(args: list[str]) -> float | None:
    words = _command_words(args)
    if words and words[0] in OPERATIONS:
        return None
    text = os.environ.get(TIMEOUT_VARIABLE, "")
    try:
        limit = float(text) if text else DEFAULT_TIMEOUT_SECONDS
    except ValueError:
        raise DriverError(f"{TIMEOUT_VARIABLE}={text!r}: expected a number of seconds", ExitCode.USAGE) from None
    return limit if limit > 0 else None


def _signal_group(process: subprocess.Popen, signal_number: int) -> None:
    """Signal the CLI and what it started (language host, plugins), as a terminal's Ctrl-C does."""
    if process.poll() is None:  # never a group whose leader has been reaped (its id may be reused)
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal_number)


def _supervise(process: subprocess.Popen, limit: float | None, shown: str) -> int:
    """Wait for the CLI; returns how often it was interrupted. Each Ctrl-C is passed on once, so the CLI
    follows its own rule: the first cancels cleanly (in-flight operations finish, the state is saved), the
    second terminates it at once."""
    interrupts = 0
    deadline = None if limit is None else time.monotonic() + limit
    while True:
        try:
            process.wait(timeout=None if deadline is None else max(0.0, deadline - time.monotonic()))
            return interrupts
        except KeyboardInterrupt:
            interrupts += 1
            _signal_group(process, signal.SIGINT)
        except subprocess.TimeoutExpired:
            _signal_group(process, signal.SIGTERM)
            try:
                process.wait(timeout=STOP_GRACE_SECONDS)
            except subprocess.TimeoutExpired:
                _signal_group(process, signal.SIGKILL)
                process.wait()
            raise DriverError(
                f"`{shown}` did not answer within {limit:g} s: is the backend reachable? "
                f"(${TIMEOUT_VARIABLE} sets the limit)",
                ExitCode.ENVIRONMENT,
            ) from None


def sdk_exit_code(error: auto.CommandError) -> int | None:
    """The CLI's exit code, which the SDK keeps only inside the error's text."""
    match = SDK_RESULT_CODE.match(str(error))
    return int(match.group(1)) if match else None


def failure_of(error: auto.CommandError) -> CliFailure:
    return getattr(error, "cli_failure", None) or CliFailure(sdk_exit_code(error), "", "")


def open_command() -> PulumiCommand:
    """The CLI on PATH, checked the way the SDK checks it, with every way that fails as one line."""
    path = shutil.which("pulumi")
    if path is None:
        raise DriverError(f"the Pulumi CLI is not installed or not on PATH ({INSTALL_HINT})", ExitCode.ENVIRONMENT)
    try:
        probe = subprocess.run(
            [path, "version"], capture_output=True, text=True, timeout=VERSION_TIMEOUT_SECONDS, check=False
        )
    except PermissionError:
        raise DriverError(f"the Pulumi CLI at {path} cannot be run (permission denied)", ExitCode.ENVIRONMENT) from None
    except subprocess.TimeoutExpired:
        raise DriverError(
            f"`{path} version` did not answer within {VERSION_TIMEOUT_SECONDS} s", ExitCode.ENVIRONMENT
        ) from None
    except OSError as error:
        raise DriverError(f"the Pulumi CLI at {path} cannot be run ({error.strerror})", ExitCode.ENVIRONMENT) from None
    if probe.returncode != 0:
        said = first_line(probe.stderr) or first_line(probe.stdout) or "no message"
        raise DriverError(f"`{path} version` failed with exit code {probe.returncode}: {said}", ExitCode.ENVIRONMENT)
    try:
        return CapturingCommand()
    except auto.InvalidVersionError as error:
        raise DriverError(f"the Pulumi CLI at {path} does not suit the SDK: {error}", ExitCode.ENVIRONMENT) from None
    except (OSError, subprocess.CalledProcessError) as error:
        raise DriverError(f"the Pulumi CLI at {path} cannot be run ({error})", ExitCode.ENVIRONMENT) from None


def first_line(text: str) -> str:
    return next((line.strip() for line in clean(text).splitlines() if line.strip()), "")


def clean(text: str) -> str:
    return ANSI_ESCAPE.sub("", text)


def _error_lines(text: str) -> list[str]:
    """Each `error:` line's message; the CLI's "N errors occurred:" with its numbered lines as one message."""
    messages: list[str] = []
    numbered = False
    for line in (line.strip() for line in clean(text).splitlines()):
        if line.lower().startswith("error:"):
            messages.append(line.split(":", 1)[1].strip())
            numbered = bool(SEVERAL_ERRORS.match(messages[-1]))
        elif numbered and NUMBERED_ERROR.match(line):
            messages[-1] += ("; " if messages[-1][-1] != ":" else " ") + line
        else:
            numbered = False
    return messages


def cause_line(failure: CliFailure) -> str:
    """The line that names the cause: the first specific `error:` line of stderr, then of stdout (where the
    engine prints resource diagnostics), then the first generic one, then the first line of stderr."""
    errors = _error_lines(failure.stderr) + _error_lines(failure.stdout)
    specific = [line for line in errors if line and not GENERIC_ERRORS.match(line)]
    if specific or errors:
        return (specific or errors)[0]
    said = first_line(failure.stderr)
    code = "" if failure.code is None else f" with exit code {failure.code}"
    return said or f"the Pulumi CLI failed{code} without a message"


def classify(error: auto.CommandError, stack: str, *, expecting_no_changes: bool = False) -> DriverError:
    """One line and an exit code for a failed CLI command on `stack`."""
    failure = failure_of(error)
    cause = cause_line(failure)
    if isinstance(error, auto.StackNotFoundError) or failure.code == CLI_EXIT_STACK_NOT_FOUND:
        return DriverError(
            f"{stack}: no such stack in the current backend; `pulumi whoami --verbose` shows the backend and org, "
            f"`python -m deploy init --stack {stack}` creates it",
            ExitCode.ENVIRONMENT,
        )
    if isinstance(error, auto.ConcurrentUpdateError):
        return DriverError(
            f"{stack}: another update holds the stack ({cause}); wait for it, or run "
            f"`pulumi cancel --stack {stack}` if it died",
            ExitCode.CONCURRENT,
        )
    streams = failure.stderr + "\n" + failure.stdout
    if failure.code == CLI_EXIT_NO_CHANGES or (expecting_no_changes and NO_CHANGES_EXPECTED.search(streams)):
        return DriverError(f"{stack}: changes found where none were expected (drift)", ExitCode.DRIFT)
    if failure.code == CLI_EXIT_AUTHENTICATION or CREDENTIAL_HINTS.search(failure.stderr):
        return DriverError(f"{stack}: credentials missing, expired or not allowed: {cause}", ExitCode.ENVIRONMENT)
    if UNREACHABLE_HINTS.search(failure.stderr):
        return DriverError(f"{stack}: backend or cloud not reachable: {cause}", ExitCode.ENVIRONMENT)
    return DriverError(f"{stack}: {cause}", ExitCode.FAILED)
