"""Observability: one CloudWatch dashboard showing both regions, deployed by each stack in its region."""

import json
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_aws as aws

from components.data_sync import GLOBAL_TABLES
from config.names import STREAM_SYNC

WIDTH, HEIGHT = 12, 6


@dataclass
class ObservabilityArgs:
    name_prefix: pulumi.Input[str]
    region: str
    regions: tuple[str, str]
    instance_id: pulumi.Input[str]
    health_alarm_name: pulumi.Input[str]


def _metric_widget(
    title: str, metrics: list[list[Any]], region: str, stat: str = "Sum", **extra: Any
) -> dict[str, Any]:
    return {
        "type": "metric",
        "width": WIDTH,
        "height": HEIGHT,
        "properties": {
            "title": title,
            "metrics": metrics,
            "region": region,
            "stat": stat,
            "period": 60,
            "view": "timeSeries",
            **extra,
        },
    }


def _search(dimensions: str, instance_id: str, metric: str, stat: str) -> list[dict[str, str]]:
    """A SEARCH over every flow or queue of the instance (their names are not known to the dashboard)."""
    query = f'{{AWS/Connect,InstanceId,MetricGroup,{dimensions}}} InstanceId="{instance_id}" MetricName="{metric}"'
    return [{"expression": f"SEARCH('{query}', '{stat}', 60)", "id": metric.lower()}]


def dashboard_body(prefix: str, instance_id: str, regions: tuple[str, str], alarm_name: str, account: str) -> str:
    """Widgets per region for calls and concurrency, flow errors, queue wait, stream lag, replication
    latency, the controllers' decisions and share, and both health alarms."""
    widgets: list[dict[str, Any]] = []
    for region in regions:
        other = regions[1] if region == regions[0] else regions[0]
        widgets += [
            _metric_widget(
                f"{region}: calls and concurrency",
                [
                    ["AWS/Connect", "CallsPerInterval", "InstanceId", instance_id, "MetricGroup", "VoiceCalls"],
                    [".", "ConcurrentCalls", ".", ".", ".", "."],
                    [".", "ThrottledCalls", ".", ".", ".", "."],
                    [".", "CallsBreachingConcurrencyQuota", ".", ".", ".", "."],
                ],
                region,
            ),
            _metric_widget(
                f"{region}: contact flow errors",
                [_search("ContactFlowName", instance_id, "ContactFlowErrors", "Sum")],
                region,
            ),
            _metric_widget(
                f"{region}: longest queue wait (s)",
                [_search("QueueName", instance_id, "LongestQueueWaitTime", "Maximum")],
                region,
                stat="Maximum",
            ),
            _metric_widget(
                f"{region}: stream sync iterator age (ms)",
                [["AWS/Lambda", "IteratorAge", "FunctionName", prefix + STREAM_SYNC]],
                region,
                stat="Maximum",
            ),
            _metric_widget(
                f"{region} -> {other}: global table replication latency (ms)",
                [
                    ["AWS/DynamoDB", "ReplicationLatency", "TableName", f"{prefix}-{table}", "ReceivingRegion", other]
                    for table in GLOBAL_TABLES
                ],
                region,
                stat="Average",
            ),
            _metric_widget(
                f"{region}: controller decisions and telephony share here",
                [
                    [
                        "connectdr",
                        "TrafficShift",
                        "InstanceId",
                        instance_id,
                        "ControllerRegion",
                        region,
                        {"stat": "Sum"},
                    ],
                    [".", "OwnRegionTelephonyShare", ".", ".", ".", ".", {"stat": "Maximum", "yAxis": "right"}],
                ],
                region,
            ),
        ]
    alarm_arns = [f"arn:aws:cloudwatch:{region}:{account}:alarm:{alarm_name}" for region in regions]
    widgets.append(
        {
            "type": "alarm",
            "width": 2 * WIDTH,
            "height": 3,
            "properties": {"title": "Region health", "alarms": alarm_arns},
        }
    )
    return json.dumps({"widgets": widgets})


class Observability(pulumi.ComponentResource):
    """A dashboard in this stack's region showing both regions, so one survives a regional outage."""

    dashboard_name: pulumi.Output[str]

    def __init__(self, name: str, args: ObservabilityArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("connectdr:ops:Observability", name, None, opts)
        account = aws.get_caller_identity_output().account_id
        body = pulumi.Output.all(args.name_prefix, args.instance_id, args.health_alarm_name, account).apply(
            lambda values: dashboard_body(values[0], values[1], args.regions, values[2], values[3])
        )
        dashboard = aws.cloudwatch.Dashboard(
            f"{name}-dashboard",
            dashboard_name=pulumi.Output.concat(args.name_prefix, "-", args.region),
            dashboard_body=body,
            region=args.region,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.dashboard_name = dashboard.dashboard_name
        self.register_outputs({"dashboard_name": self.dashboard_name})
