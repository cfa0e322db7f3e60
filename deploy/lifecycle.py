"""preview / up / refresh / destroy over one or both stacks, in dependency order."""

import json
import sys
from dataclasses import asdict, dataclass, field
from typing import TextIO

from deploy.backend import DriverError, StackBackend
from deploy.stack_files import STACKS

ORDER = {"destroy": tuple(reversed(STACKS))}


@dataclass
class StackOutcome:
    stack: str
    operation: str
    ok: bool
    changes: dict[str, int] = field(default_factory=dict)
    error: str | None = None


def stacks_in_order(operation: str, choice: str) -> tuple[str, ...]:
    """all: primary then secondary (its StackReference reads the primary); destroy the other way round."""
    if choice != "all":
        return (choice,)
    return ORDER.get(operation, STACKS)


def _describe(changes: dict[str, int]) -> str:
    shown = [f"{kind} {count}" for kind, count in sorted(changes.items()) if count]
    return ", ".join(shown) or "no resources"


def run_lifecycle(
    backend: StackBackend,
    operation: str,
    choice: str,
    *,
    expect_no_changes: bool = False,
    as_json: bool = False,
    out: TextIO = sys.stdout,
    err: TextIO = sys.stderr,
) -> int:
    """Stream the engine's output per stack, stop at the first failure, print a summary; returns the exit code."""
    stream = err if as_json else out
    outcomes: list[StackOutcome] = []
    exit_code = 0
    for stack in stacks_in_order(operation, choice):
        try:
            changes = backend.run(
                stack,
                operation,
                on_output=lambda line, s=stack: print(f"[{s}] {line}", file=stream, flush=True),
                expect_no_changes=expect_no_changes,
            )
            outcomes.append(StackOutcome(stack, operation, True, changes))
        except DriverError as error:
            outcomes.append(StackOutcome(stack, operation, False, error=str(error)))
            exit_code = error.exit_code
            break
    skipped = [s for s in stacks_in_order(operation, choice) if s not in {o.stack for o in outcomes}]
    if as_json:
        document = {
            "operation": operation,
            "ok": exit_code == 0,
            "stacks": [asdict(o) for o in outcomes],
            "skipped": skipped,
        }
        print(json.dumps(document, indent=2), file=out)
    else:
        print(f"\n{operation} summary:", file=out)
        for outcome in outcomes:
            status = f"ok ({_describe(outcome.changes)})" if outcome.ok else f"FAILED: {outcome.error}"
            print(f"  {outcome.stack}: {status}", file=out)
        for stack in skipped:
            print(f"  {stack}: skipped (an earlier stack failed)", file=out)
    return exit_code
