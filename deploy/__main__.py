"""`python -m deploy`: the offline plan and the Automation API commands."""

import sys

from deploy.cli import main

sys.exit(main())
