"""The last stack outputs the driver saw, kept on disk so `split --direct` works while the backend is down.

`up` and `status` write it (CONNECTDR_OUTPUTS_FILE, default `.connectdr/outputs.json` in the project);
secret outputs are stored as `[secret]`, never in plain text.
"""

import json
import os
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
    """Remember `stack`'s outputs; returns why it could not (the command goes on), or None."""
    path = path or outputs_file()
    try:
        document = _read(path)
        document["stacks"][stack] = {"savedAt": datetime.now(UTC).isoformat(timespec="seconds"), "outputs": outputs}
        path.parent.mkdir(parents=True, exist_ok=True)
        partial = path.with_suffix(".partial")
        partial.write_text(json.dumps(document, indent=2, sort_keys=True) + "\n")
        os.replace(partial, path)
    except (OSError, DriverError) as error:
        return str(error)
    return None


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
