"""`python -m deploy`: offline plan and Automation API commands."""
