"""`status`: desired vs effective split, region health, replication, the controllers' last decisions, and the
Region switch plan with its last executions when the plan is enabled."""

import json
import sys
from datetime import UTC, datetime
from typing import Any, TextIO

from boto3.dynamodb.conditions import Key

from connect.desired_split import telephony_in_force
from deploy.backend import StackBackend
from deploy.cloud import CloudClients
from deploy.deployment import Deployment, load_deployment
from deploy.region_switch import SERVICE, plan_status
from deploy.traffic_ops import effective_telephony, read_desired, region_health

DECISIONS_SHOWN = 5


def replication_state(cloud: CloudClients, deployment: Deployment) -> str:
    try:
        response = cloud.client("connect", deployment.source).describe_instance(InstanceId=deployment.instance_id)
    except Exception as error:  # status reports what it cannot read instead of failing
        return f"unavailable ({error})"
    summaries = response.get("ReplicationConfiguration", {}).get("ReplicationStatusSummaryList", [])
    entry = next((s for s in summaries if s.get("Region") == deployment.replica), None)
    return entry["ReplicationStatus"] if entry else "no replica listed"


def effective_split(cloud: CloudClients, deployment: Deployment) -> dict[str, int] | str:
    """Read from the source region, or the replica region when the source does not answer."""
    problems = []
    for region in deployment.regions:
        try:
            return effective_telephony(cloud.client("connect", region), deployment.default_tdg_arn)
        except Exception as error:  # status reports what it cannot read instead of failing
            problems.append(f"{region}: {error}")
    return "unavailable (" + "; ".join(problems) + ")"


def last_decisions(cloud: CloudClients, deployment: Deployment, region: str) -> list[dict[str, Any]] | str:
    try:
        items = cloud.table(region, deployment.config_table).query(
            KeyConditionExpression=Key("pk").eq("audit"), ScanIndexForward=False, Limit=DECISIONS_SHOWN
        )["Items"]
    except Exception as error:  # status reports what it cannot read instead of failing
        return f"unavailable ({error})"
    return [{"at": item["sk"], **json.loads(item["document"])} for item in items]


def desired_split(cloud: CloudClients, deployment: Deployment, now: datetime) -> dict[str, Any] | str:
    """The desired item the controllers read (after `split --direct` too), from the source region's replica of
    the config table, or the replica region's when the source does not answer."""
    problems = []
    for region in deployment.regions:
        try:
            document = read_desired(cloud.table(region, deployment.config_table))
        except Exception as error:  # status reports what it cannot read instead of failing
            problems.append(f"{region}: {error}")
            continue
        return {
            "telephony": telephony_in_force(document, now),
            "default": document["default"],
            "override": document.get("override", {}),
            "version": document.get("version"),
            "readIn": region,
        }
    return "unavailable (" + "; ".join(problems) + ")"


def collect_status(backend: StackBackend, cloud: CloudClients) -> dict[str, Any]:
    deployment = load_deployment(backend)
    return {
        "desired": desired_split(cloud, deployment, datetime.now(UTC)),
        "effective": effective_split(cloud, deployment),
        "health": {
            r: region_health(cloud.client("cloudwatch", r), deployment.health_alarm) for r in deployment.regions
        },
        "replication": replication_state(cloud, deployment),
        "decisions": {r: last_decisions(cloud, deployment, r) for r in deployment.regions},
        **region_switch_status(cloud, deployment),
    }


def region_switch_status(cloud: CloudClients, deployment: Deployment) -> dict[str, Any]:
    """`regionSwitch` (plan, evaluation, last executions) when the deployment has a plan; nothing otherwise."""
    if deployment.region_switch_plan is None:
        return {}
    clients = {region: cloud.client(SERVICE, region) for region in deployment.regions}
    return {"regionSwitch": plan_status(clients, deployment.region_switch_plan)}


def print_region_switch(plan: dict[str, Any], out: TextIO) -> None:
    evaluation = plan["evaluation"]
    if isinstance(evaluation, dict):
        warnings = evaluation["warnings"]
        judged = f"evaluation {evaluation['state']}, {len(warnings)} warning(s)"
    else:
        warnings, judged = [], f"evaluation {evaluation}"
    print(f"region switch plan:  {plan['plan']} ({judged})", file=out)
    print("  in " + ", ".join(f"{region}: {state}" for region, state in plan["inRegions"].items()), file=out)
    for warning in warnings:
        print(f"  warning: {warning}", file=out)
    executions = plan["executions"]
    print("last plan executions:", file=out)
    if isinstance(executions, str):
        print(f"  {executions}", file=out)
        return
    if not executions:
        print("  none", file=out)
    for run in executions:
        print(
            f"  {run['started']}  {run['action']:<10} {run['region']}  {run['mode']}  {run['state']}  ({run['id']})",
            file=out,
        )


def run_status(backend: StackBackend, cloud: CloudClients, *, as_json: bool = False, out: TextIO = sys.stdout) -> int:
    status = collect_status(backend, cloud)
    if as_json:
        print(json.dumps(status, indent=2, default=str), file=out)
        return 0
    desired = status["desired"]
    if isinstance(desired, dict):
        override = desired["override"].get("mode", "none")
        print(
            f"desired telephony:   {desired['telephony']} (override {override}, version {desired['version']})", file=out
        )
    else:
        print(f"desired telephony:   {desired}", file=out)
    print(f"effective telephony: {status['effective']}", file=out)
    print(f"health:              {status['health']}", file=out)
    print(f"replica:             {status['replication']}", file=out)
    for region, decisions in status["decisions"].items():
        print(f"last decisions of the {region} controller:", file=out)
        if isinstance(decisions, str):
            print(f"  {decisions}", file=out)
        for decision in decisions if isinstance(decisions, list) else []:
            print(f"  {decision['at']}  {decision['action']:<9} {decision['reason']}", file=out)
    if "regionSwitch" in status:
        print_region_switch(status["regionSwitch"], out)
    return 0
