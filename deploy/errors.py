"""The driver's exit codes and the one error type every command reports as a single line."""

from enum import IntEnum


class ExitCode(IntEnum):
    """What `python -m deploy` exits with; README's table lists the same codes and meanings."""

    OK = 0
    FAILED = 1
    """An operation or a check failed (the line says which and why)."""
    USAGE = 2
    """Bad arguments or stack config; nothing was changed."""
    DRIFT = 3
    """Changes found where `--expect-no-changes` expected none."""
    ENVIRONMENT = 4
    """No usable Pulumi CLI, no credentials or permissions, unknown stack, backend or cloud not reachable."""
    CONCURRENT = 5
    """Another update holds the stack (HTTP 409, or a DIY backend's lock)."""
    INTERRUPTED = 130
    """Ctrl-C."""


class DriverError(Exception):
    """A failure the driver reports as one line on stderr, with the exit code CI should see."""

    def __init__(self, message: str, exit_code: int = ExitCode.FAILED) -> None:
        super().__init__(message)
        self.exit_code = ExitCode(exit_code)


def problems_error(error: Exception) -> DriverError:
    """A stack config error's problems (each naming key, value and rule) as one line, exit 2."""
    problems = getattr(error, "problems", None) or [error]
    return DriverError("; ".join(str(problem) for problem in problems), ExitCode.USAGE)
