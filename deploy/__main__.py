"""`python -m deploy`: the offline plan and the Automation API commands."""

import sys

from deploy.errors import ExitCode

try:
    from deploy.cli import main
except ModuleNotFoundError as missing:  # an interpreter without the pinned requirements
    print(
        f"error: the Python package {missing.name!r} is not installed for {sys.executable}; "
        "run `make plan` once (it creates .venv) and use .venv/bin/python -m deploy",
        file=sys.stderr,
    )
    sys.exit(ExitCode.ENVIRONMENT)

sys.exit(main())
