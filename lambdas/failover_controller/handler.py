"""failover_controller: keeps calls on healthy regions; the only caller of UpdateTrafficDistribution.

Invoked at once by EventBridge when either region's health alarm changes state (the other region's
events are forwarded to this region's bus), every minute by a schedule as a backstop, and by
`pulumi up` when the desired split changes. Reserved concurrency 1: invocations in one region never
overlap; every invocation reads the controller's state back from the config table and evaluates in full.
"""

import os
import time
from collections.abc import Mapping
from typing import Any

import boto3
from botocore.config import Config
from controller import Clients, ControllerEnv, evaluate
from decisions import Settings

QUICK = Config(retries={"mode": "standard", "max_attempts": 3}, connect_timeout=3, read_timeout=5)
CONNECT = Config(retries={"mode": "standard", "max_attempts": 4}, connect_timeout=3, read_timeout=10)
STAFFING = Config(retries={"mode": "standard", "max_attempts": 2}, connect_timeout=2, read_timeout=3)
"""Follow-the-agents' GetCurrentMetricData in each region: a slow region costs at most 10 s per sweep, and an
unanswered read only means the split does not follow this time."""


def settings_from(environ: Mapping[str, str]) -> Settings:
    """The decision settings the stack put in the function's environment (`decision_environment`). An
    environment written before gradual failback existed fails back in one step, as it did."""
    return Settings(
        healthy_evaluations_before_failback=int(environ["HEALTHY_EVALUATIONS_BEFORE_FAILBACK"]),
        cooldown_seconds=float(environ["COOLDOWN_SECONDS"]),
        tie_breaker=environ["TIE_BREAKER"] == "true",
        failback_step_percent=int(environ.get("FAILBACK_STEP_PERCENT", "100")),
        failback_interval_seconds=float(environ.get("FAILBACK_INTERVAL_SECONDS", "60")),
    )


def environment() -> ControllerEnv:
    return ControllerEnv(
        own_region=os.environ["AWS_REGION"],
        other_region=os.environ["OTHER_REGION"],
        health_alarm=os.environ["HEALTH_ALARM"],
        topic_arn=os.environ["ALERT_TOPIC_ARN"],
        settings=settings_from(os.environ),
        instance_id=os.environ.get("INSTANCE_ID", ""),
    )


def handler(event: dict[str, Any], _context: object) -> dict[str, Any]:
    env = environment()
    clients = Clients(
        connect=boto3.client("connect", config=CONNECT),
        cloudwatch={
            region: boto3.client("cloudwatch", region_name=region, config=QUICK)
            for region in (env.own_region, env.other_region)
        },
        table=boto3.resource("dynamodb", config=QUICK).Table(os.environ["CONFIG_TABLE"]),
        sns=boto3.client("sns", config=QUICK),
        connect_by_region={
            region: boto3.client("connect", region_name=region, config=STAFFING)
            for region in (env.own_region, env.other_region)
        },
    )
    return evaluate(clients, env, time.time())
