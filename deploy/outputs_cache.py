"""The last stack outputs the driver saw, kept on disk so `split --direct` works while the backend is down.

`up` and `status` write it (CONNECTDR_OUTPUTS_FILE, default `.connectdr/outputs.json` in the project);
secret outputs are stored as `[secret]`, never in plain text. Writers take turns through a lock file next
to it (`outputs.json.lock`), and the file is only ever replaced whole.
"""

import fcntl
import json
import os
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from deploy.errors import DriverError, ExitCode
from deploy.stack_files import PROJECT_ROOT

FILE_VARIABLE = "CONNECTDR_OUTPUTS_FILE"


def outputs_file() -> Path:
    return Path(os.environ.get(FILE_VARIABLE) or PROJECT_ROOT / ".connectdr" / "outputs.json")


def _read(path: Path) -> dict[str, Any]:
    try:
        document = json.loads(path.read_text())
    except FileNotFoundError:
        return {"stacks": {}}
    except (OSError, ValueError) as error:
        raise DriverError(f"{path}: cannot read the outputs file ({error})", ExitCode.ENVIRONMENT) from None
    if not isinstance(document, dict) or not isinstance(document.get("stacks"), dict):
        raise DriverError(f"{path}: not an outputs file (expected an object with 'stacks')", ExitCode.ENVIRONMENT)
    return document


def save_outputs(stack: str, outputs: dict[str, Any], path: Path | None = None) -> str | None:
    """Remember `stack`'s outputs; returns a note for the operator (the outputs could not be kept, or an
    unreadable file was replaced), or None. Writers take turns (a lock file) and replace the file whole."""
    path = path or outputs_file()
    note = None
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        with _locked(path):
            try:
                document = _read(path)
            except DriverError as unreadable:
                document, note = {"stacks": {}}, f"note: {unreadable}; rewritten with the outputs of {stack}"
            document["stacks"][stack] = {
                "savedAt": datetime.now(UTC).isoformat(timespec="seconds"),
                "outputs": outputs,
            }
            _replace(path, json.dumps(document, indent=2, sort_keys=True) + "\n")
    except OSError as error:
        return f"note: outputs of {stack} not kept in {path} ({error.strerror or error})"
    return note


@contextmanager
def _locked(path: Path) -> Iterator[None]:
    with open(path.with_name(path.name + ".lock"), "a") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)


def _replace(path: Path, text: str) -> None:
    """Write a temporary file of this writer's own next to `path`, then rename it over `path` (atomic)."""
    with tempfile.NamedTemporaryFile("w", dir=path.parent, prefix=f".{path.name}.", delete=False) as partial:
        partial.write(text)
    try:
        os.replace(partial.name, path)
    except OSError:
        os.unlink(partial.name)
        raise


@dataclass(frozen=True)
class CachedOutputs:
    """Stack outputs from the file instead of the backend (same interface as the backend's `outputs`)."""

    path: Path | None = None

    def outputs(self, stack: str) -> dict[str, Any]:
        path = self.path or outputs_file()
        entry = _read(path)["stacks"].get(stack)
        if entry is None:
            raise DriverError(
                f"{path} has no outputs of stack {stack} (`up` and `status` write them)", ExitCode.ENVIRONMENT
            )
        return dict(entry["outputs"])
