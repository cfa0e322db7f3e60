"""Stacks through the Pulumi Automation API: the one place that drives the Pulumi CLI.

Stacks are only ever selected; a missing stack is an error (exit 4), and `init` is the one command
that creates stacks. Every SDK failure leaves here as a DriverError with one line and an exit code.
"""

import builtins
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar

from pulumi import automation as auto

from deploy.errors import DriverError, ExitCode
from deploy.pulumi_cli import classify, open_command
from deploy.stack_files import PROJECT_ROOT

Lines = Callable[[str], None]
Events = Callable[[auto.EngineEvent], None]
Result = TypeVar("Result")
OPERATIONS = ("preview", "up", "refresh", "destroy", "preview-destroy")
SECRET = "[secret]"


@dataclass(frozen=True)
class RunOptions:
    """Pulumi's own flags, passed through to the SDK by their SDK names; unset ones are left out."""

    target: tuple[str, ...] = ()
    exclude: tuple[str, ...] = ()
    replace: tuple[str, ...] = ()
    diff: bool = False
    refresh: bool = False
    policy_packs: tuple[str, ...] = ()
    parallel: int | None = None
    message: str | None = None
    expect_no_changes: bool = False

    def sdk_arguments(self) -> dict[str, Any]:
        given = {
            "target": list(self.target),
            "exclude": list(self.exclude),
            "replace": list(self.replace),
            "diff": self.diff,
            "refresh": self.refresh,
            "policy_packs": list(self.policy_packs),
            "parallel": self.parallel,
            "message": self.message,
            "expect_no_changes": self.expect_no_changes,
        }
        return {name: value for name, value in given.items() if value}


@dataclass
class StackRun:
    """One operation's result on one stack: change counts, and after `up` the stack outputs (secret ones as
    `[secret]`)."""

    changes: dict[str, int]
    outputs: dict[str, Any] | None = None


class StackBackend(Protocol):
    """What the operator commands read from Pulumi: a stack's outputs."""

    def outputs(self, stack: str) -> dict[str, Any]: ...


class StackOperations(StackBackend, Protocol):
    """What the lifecycle, split and init commands do to stacks."""

    def run(
        self, stack: str, operation: str, options: RunOptions, *, on_output: Lines, on_event: Events | None = None
    ) -> StackRun: ...

    def set_config(self, stack: str, values: dict[str, str]) -> None: ...

    def remove_config(self, stack: str, keys: list[str]) -> None: ...

    def init(self, stack: str, secrets_provider: str | None = None) -> bool: ...


@dataclass
class AutomationBackend:
    """Stacks of the project in `work_dir`; the backend comes from the usual Pulumi environment
    (PULUMI_BACKEND_URL, PULUMI_ACCESS_TOKEN or `pulumi login`)."""

    work_dir: Path = PROJECT_ROOT
    pulumi_command: Any = None

    def _command(self) -> Any:
        if self.pulumi_command is None:
            self.pulumi_command = open_command()
        return self.pulumi_command

    def _options(self, secrets_provider: str | None = None) -> auto.LocalWorkspaceOptions:
        return auto.LocalWorkspaceOptions(pulumi_command=self._command(), secrets_provider=secrets_provider)

    def _select(self, stack: str) -> auto.Stack:
        return _guard(stack, lambda: auto.select_stack(stack, work_dir=str(self.work_dir), opts=self._options()))

    def run(
        self, stack: str, operation: str, options: RunOptions, *, on_output: Lines, on_event: Events | None = None
    ) -> StackRun:
        """`on_output` gets the CLI's output lines (stdout and stderr) as they come, `on_event` the engine's
        events; the result, or a DriverError, comes at the end."""
        if operation not in OPERATIONS:
            raise ValueError(f"unknown operation {operation}")
        handle = self._select(stack)
        arguments = {**options.sdk_arguments(), "on_output": on_output, "on_error": on_output, "on_event": on_event}
        expecting = options.expect_no_changes
        if operation == "preview":
            preview = _guard(stack, lambda: handle.preview(**arguments), expecting_no_changes=expecting)
            return StackRun(_counts(preview.change_summary))
        if operation == "refresh" and expecting:
            # `pulumi refresh --expect-no-changes` refreshes (writes state) before it fails; a check only previews.
            preview = _guard(stack, lambda: handle.preview_refresh(**arguments), expecting_no_changes=True)
            return StackRun(_counts(preview.change_summary))
        if operation == "preview-destroy":
            preview = _guard(stack, lambda: handle.preview_destroy(exclude_protected=True, **arguments))
            return StackRun(_counts(preview.change_summary))
        if operation == "up":
            up = _guard(stack, lambda: handle.up(**arguments))
            outputs = {key: SECRET if output.secret else output.value for key, output in up.outputs.items()}
            return StackRun(_counts(up.summary.resource_changes or {}), outputs)
        if operation == "destroy":
            result = _guard(stack, lambda: handle.destroy(exclude_protected=True, **arguments))
        else:
            result = _guard(stack, lambda: handle.refresh(**arguments))
        return StackRun(_counts(result.summary.resource_changes or {}))

    def outputs(self, stack: str) -> dict[str, Any]:
        """The stack's outputs as `pulumi stack output --json` shows them: secrets stay `[secret]`, so reading
        them needs no decryption (a read-only view for operators and on-call)."""
        command = self._command()
        result = _guard(
            stack, lambda: command.run(["stack", "output", "--json", "--stack", stack], str(self.work_dir), {})
        )
        try:
            outputs = json.loads(result.stdout or "{}")
        except json.JSONDecodeError:
            raise DriverError(f"{stack}: `pulumi stack output --json` did not print JSON") from None
        if not isinstance(outputs, dict):
            raise DriverError(f"{stack}: `pulumi stack output --json` did not print an object")
        return outputs

    def set_config(self, stack: str, values: dict[str, str]) -> None:
        handle = self._select(stack)
        config = {key: auto.ConfigValue(value=value) for key, value in values.items()}
        _guard(stack, lambda: handle.set_all_config(config, path=True))

    def remove_config(self, stack: str, keys: list[str]) -> None:
        handle = self._select(stack)
        _guard(stack, lambda: handle.remove_all_config(keys, path=True))

    def init(self, stack: str, secrets_provider: str | None = None) -> bool:
        """Create the stack; False when it already exists (nothing changes then)."""
        try:
            _guard(
                stack,
                lambda: auto.create_stack(stack, work_dir=str(self.work_dir), opts=self._options(secrets_provider)),
                passing=(auto.StackAlreadyExistsError,),
            )
        except auto.StackAlreadyExistsError:
            return False
        return True


def _counts(changes: Any) -> dict[str, int]:
    return {str(getattr(op, "value", op)): int(count) for op, count in dict(changes).items()}


def _guard(
    stack: str,
    call: Callable[[], Result],
    *,
    expecting_no_changes: bool = False,
    passing: tuple[type[Exception], ...] = (),
) -> Result:
    """Run one SDK call; turn each way it fails into a DriverError (`passing` errors go through as they are)."""
    try:
        return call()
    except passing:
        raise
    except auto.CommandError as error:
        raise classify(error, stack, expecting_no_changes=expecting_no_changes) from None
    except auto.InvalidVersionError as error:
        raise DriverError(f"{stack}: the Pulumi CLI cannot do this: {error}", ExitCode.ENVIRONMENT) from None
    except builtins.RuntimeError as error:
        # The SDK's "summary event never found": the CLI finished but its event log never reached the driver.
        raise DriverError(
            f"{stack}: the Pulumi CLI finished without reporting a summary ({error}); rerun, and check that "
            "nothing blocks its event log (a temporary file or a 127.0.0.1 port)",
        ) from None
    except (ValueError, KeyError, TypeError) as error:
        raise DriverError(f"{stack}: the Pulumi CLI printed something the SDK could not read ({error})") from None
