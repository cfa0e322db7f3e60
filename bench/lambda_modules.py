"""Lambda code as the runtime loads it: each function's folder is its own root, and every folder has a
`handler.py`, so a handler is loaded under a name of its own instead of as the shared `handler`."""

import importlib.util
import sys
from pathlib import Path
from types import ModuleType

LAMBDAS = Path(__file__).resolve().parent.parent / "lambdas"


def lambda_handler(folder: str, *, fresh: bool = False) -> ModuleType:
    """`lambdas/<folder>/handler.py` as the module `lambda_<folder>` (its folder on the path for its imports);
    `fresh` loads it again, as a new container would (module-level state starts empty)."""
    name = f"lambda_{folder}"
    if name in sys.modules and not fresh:
        return sys.modules[name]
    folder_path = LAMBDAS / folder
    if str(folder_path) not in sys.path:
        sys.path.insert(0, str(folder_path))
    spec = importlib.util.spec_from_file_location(name, folder_path / "handler.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module
