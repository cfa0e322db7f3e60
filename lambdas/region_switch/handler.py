"""region_switch: the custom-action steps of the deployment's ARC Region switch plan.

Region switch invokes this function in the region the plan activates, with its execution metadata
(`InvokedBy`, `PlanArn`, `ExecutionId`, `StepName`); the step name says what to do (plan_steps.py). A step that
raises fails this invocation, and Region switch invokes it again after the step's retry interval until the
step's timeout: the error message is what the execution's events show.
"""

import os
from typing import Any

import boto3
from botocore.config import Config
from plan_steps import Ports, Settings, run_step
from region_checks import CheckTargets

QUICK = Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=3, read_timeout=10)
CONTROLLER_CALL = Config(retries={"mode": "standard", "max_attempts": 5}, connect_timeout=3, read_timeout=70)


def settings() -> Settings:
    return Settings(
        controller=os.environ["CONTROLLER"],
        health_alarm=os.environ["HEALTH_ALARM"],
        checks=CheckTargets(
            instance_id=os.environ["INSTANCE_ID"],
            tables=tuple(name for name in os.environ["GLOBAL_TABLES"].split(",") if name),
            other_region=os.environ["OTHER_REGION"],
            consumer=os.environ["CONSUMER"],
            iterator_age_limit_ms=float(os.environ["ITERATOR_AGE_LIMIT_MS"]),
        ),
    )


def handler(event: dict[str, Any], _context: object) -> dict[str, Any]:
    ports = Ports(
        region=os.environ["AWS_REGION"],
        table=boto3.resource("dynamodb", config=QUICK).Table(os.environ["CONFIG_TABLE"]),
        lambda_client=boto3.client("lambda", config=CONTROLLER_CALL),
        connect=boto3.client("connect", config=QUICK),
        cloudwatch=boto3.client("cloudwatch", config=QUICK),
        dynamodb=boto3.client("dynamodb", config=QUICK),
    )
    return run_step(ports, settings(), event)
