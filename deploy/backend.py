"""Stacks through the Pulumi Automation API: the one place that talks to the Pulumi CLI."""

import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from deploy.stack_files import PROJECT_ROOT

Lines = Callable[[str], None]
EXIT_FAILED, EXIT_ENVIRONMENT, EXIT_DRIFT = 1, 4, 3
CREDENTIAL_HINTS = re.compile(
    r"no credentials|NoCredentialProviders|could not find default credentials|PULUMI_ACCESS_TOKEN|"
    r"not logged in|pulumi login|ExpiredToken|InvalidClientTokenId|UnrecognizedClientException",
    re.IGNORECASE,
)
DRIFT_HINT = re.compile(r"no changes were expected but changes", re.IGNORECASE)


class DriverError(Exception):
    """A failure the driver reports as one line, with the exit code CI should see."""

    def __init__(self, message: str, exit_code: int = EXIT_FAILED) -> None:
        super().__init__(message)
        self.exit_code = exit_code


class StackBackend(Protocol):
    """What the commands need from Pulumi; the Automation API implements it, tests use a fake."""

    def run(
        self, stack: str, operation: str, *, on_output: Lines, expect_no_changes: bool = False
    ) -> dict[str, int]: ...

    def outputs(self, stack: str) -> dict[str, Any]: ...

    def config(self, stack: str) -> dict[str, tuple[str, bool]]: ...

    def set_config(self, stack: str, values: dict[str, str]) -> None: ...


def _last_error_line(text: str) -> str:
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    errors = [line for line in lines if line.lower().startswith("error")]
    return (errors or lines or ["the Pulumi CLI failed without a message"])[-1]


@dataclass
class AutomationBackend:
    """Stacks in `work_dir`'s project; the backend comes from the usual Pulumi environment
    (PULUMI_BACKEND_URL or `pulumi login`). Lifecycle commands create a missing stack; the others select."""

    work_dir: Path = PROJECT_ROOT
    pulumi_command: Any = None

    def _command(self) -> Any:
        if self.pulumi_command is None:
            from pulumi import automation as auto

            try:
                self.pulumi_command = auto.PulumiCommand()
            except FileNotFoundError:
                raise DriverError(
                    "the Pulumi CLI is not installed or not on PATH (https://www.pulumi.com/docs/install/)",
                    EXIT_ENVIRONMENT,
                ) from None
        return self.pulumi_command

    def _stack(self, name: str, *, create: bool) -> Any:
        from pulumi import automation as auto

        options = auto.LocalWorkspaceOptions(pulumi_command=self._command())
        select = auto.create_or_select_stack if create else auto.select_stack
        return self._guard(lambda: select(name, work_dir=str(self.work_dir), opts=options), name)

    def _guard(self, call: Callable[[], Any], stack: str) -> Any:
        from pulumi import automation as auto

        try:
            return call()
        except auto.StackNotFoundError:
            raise DriverError(
                f"no stack named {stack!r}; create it with `pulumi stack init {stack}`", EXIT_ENVIRONMENT
            ) from None
        except auto.CommandError as error:
            text = str(error)
            if DRIFT_HINT.search(text):
                raise DriverError(f"{stack}: changes found where none were expected (drift)", EXIT_DRIFT) from None
            if CREDENTIAL_HINTS.search(text):
                raise DriverError(
                    f"{stack}: credentials missing or expired: {_last_error_line(text)}", EXIT_ENVIRONMENT
                ) from None
            raise DriverError(f"{stack}: {_last_error_line(text)}") from None

    def run(self, stack: str, operation: str, *, on_output: Lines, expect_no_changes: bool = False) -> dict[str, int]:
        handle = self._stack(stack, create=operation in {"preview", "up", "refresh"})
        if operation == "preview":
            result = self._guard(
                lambda: handle.preview(on_output=on_output, expect_no_changes=expect_no_changes), stack
            )
            return dict(result.change_summary)
        if operation == "up":
            result = self._guard(lambda: handle.up(on_output=on_output, expect_no_changes=expect_no_changes), stack)
        elif operation == "refresh":
            result = self._guard(
                lambda: handle.refresh(on_output=on_output, expect_no_changes=expect_no_changes), stack
            )
        elif operation == "destroy":
            result = self._guard(lambda: handle.destroy(on_output=on_output), stack)
        else:
            raise ValueError(f"unknown operation {operation}")
        return dict(result.summary.resource_changes or {})

    def outputs(self, stack: str) -> dict[str, Any]:
        handle = self._stack(stack, create=False)
        return {key: output.value for key, output in self._guard(handle.outputs, stack).items()}

    def config(self, stack: str) -> dict[str, tuple[str, bool]]:
        handle = self._stack(stack, create=False)
        return {key: (value.value, value.secret) for key, value in self._guard(handle.get_all_config, stack).items()}

    def set_config(self, stack: str, values: dict[str, str]) -> None:
        from pulumi import automation as auto

        handle = self._stack(stack, create=False)
        config = {key: auto.ConfigValue(value=value) for key, value in values.items()}
        self._guard(lambda: handle.set_all_config(config, path=True), stack)
