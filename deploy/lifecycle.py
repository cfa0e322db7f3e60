"""preview / up / refresh / destroy over one or both stacks, in dependency order."""

import json
import sys
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from typing import Any, TextIO

from deploy.backend import RunOptions, StackOperations
from deploy.engine_events import ResourceEvents
from deploy.errors import DriverError, ExitCode
from deploy.outputs_cache import save_outputs
from deploy.pulumi_cli import Interrupted, cause_line


@dataclass
class StackOutcome:
    stack: str
    ok: bool
    changes: dict[str, int] = field(default_factory=dict)
    resources: list[dict[str, Any]] = field(default_factory=list)
    diagnostics: list[str] = field(default_factory=list)
    policy_violations: list[dict[str, Any]] = field(default_factory=list)
    error: str | None = None
    exit_code: int = ExitCode.OK
    notes: list[str] = field(default_factory=list)


def describe(changes: dict[str, int]) -> str:
    shown = [f"{kind} {count}" for kind, count in sorted(changes.items()) if count]
    return ", ".join(shown) or "no resources"


def _run_stack(
    backend: StackOperations, stack: str, operation: str, options: RunOptions, stream: Callable[[str], None]
) -> tuple[StackOutcome, DriverError | None]:
    """One stack: its outcome (what the engine's events said, failed or not) and its failure, if any."""
    events = ResourceEvents()
    outcome, failure = StackOutcome(stack, ok=False), None
    try:
        result = backend.run(stack, operation, options, on_output=stream, on_event=events)
    except DriverError as error:
        outcome.error, outcome.exit_code, failure = str(error), error.exit_code, error
    except KeyboardInterrupt as interrupt:
        failure = interrupted(stack, interrupt)
        outcome.error, outcome.exit_code = str(failure), failure.exit_code
    else:
        outcome.ok, outcome.changes = True, result.changes
        if result.outputs is not None and (note := save_outputs(stack, result.outputs)):
            outcome.notes.append(note)
    outcome.resources, outcome.diagnostics = events.operations(), events.errors
    outcome.policy_violations = events.violations
    return outcome, failure


def interrupted(stack: str, interrupt: KeyboardInterrupt) -> DriverError:
    """Ctrl-C during an operation: what the CLI said as it ended (it was asked to cancel and has ended)."""
    failure = interrupt.failure if isinstance(interrupt, Interrupted) else None
    if failure is None:
        said = "stopped"
    elif failure.code == 0:
        said = "the operation had finished before it could be cancelled"
    else:
        said = cause_line(failure)
    return DriverError(f"interrupted: {stack}: {said}", ExitCode.INTERRUPTED)


def run_lifecycle(
    backend: StackOperations,
    operation: str,
    stacks: Sequence[str],
    options: RunOptions,
    *,
    as_json: bool = False,
    out: TextIO = sys.stdout,
) -> int:
    """Run `operation` on each stack in turn and stop at the first failure. Text mode streams the engine's
    output and ends with a summary; `--json` prints one document (per-resource operations included).
    A failure is raised after the summary, so the command ends with its one line on stderr."""
    outcomes: list[StackOutcome] = []
    failure: DriverError | None = None
    for stack in stacks:
        stream: Callable[[str], None] = (
            (lambda _line: None) if as_json else (lambda line, s=stack: print(f"[{s}] {line}", file=out, flush=True))
        )
        outcome, failure = _run_stack(backend, stack, operation, options, stream)
        outcomes.append(outcome)
        if failure is not None:
            break
    skipped = list(stacks[len(outcomes) :])
    if as_json:
        document = {
            "operation": operation,
            "ok": failure is None,
            "exit_code": int(failure.exit_code) if failure else 0,
            "stacks": [asdict(outcome) for outcome in outcomes],
            "skipped": skipped,
        }
        print(json.dumps(document, indent=2), file=out)
    else:
        print(f"\n{operation} summary:", file=out)
        for outcome in outcomes:
            status = f"ok ({describe(outcome.changes)})" if outcome.ok else f"FAILED: {outcome.error}"
            print(f"  {outcome.stack}: {status}", file=out)
            for note in outcome.notes:
                print(f"    {note}", file=out)
        for stack in skipped:
            print(f"  {stack}: skipped (an earlier stack failed)", file=out)
    if failure is not None:
        raise failure
    return ExitCode.OK


def unattended_destroy(stacks: Sequence[str]) -> DriverError:
    """Destroy without `--yes` where nobody can answer the question (CI, a pipe)."""
    return DriverError(
        f"destroy deletes the resources of {', '.join(stacks)}: pass --yes (stdin is not a terminal to ask)",
        ExitCode.USAGE,
    )


def confirm_destroy(
    backend: StackOperations,
    stacks: Sequence[str],
    options: RunOptions,
    *,
    ask: Callable[[str], str],
    out: TextIO = sys.stdout,
) -> None:
    """Without `--yes`: preview the destroy of each stack, then ask; anything but `yes` stops it."""
    print("destroy would change (protected resources, such as claimed phone numbers, stay):", file=out)
    for stack in stacks:
        preview = backend.run(stack, "preview-destroy", options, on_output=lambda _line: None)
        print(f"  {stack}: {describe(preview.changes)}", file=out)
    if ask(f"Destroy the resources of {', '.join(stacks)}? Type yes to go on: ").strip().lower() != "yes":
        raise DriverError("destroy not confirmed: nothing was deleted")
