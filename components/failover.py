"""The failover controller in one region: health alarms, the controller Lambda and what invokes it."""

import json
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from components.health_rule import HealthRule
from components.iam import Statement, assume_role_policy, policy_document
from components.insights_query import schema_query
from components.lambda_function import LambdaSpec, python_lambda
from components.region_context import RegionContext
from config.names import FAILOVER_CONTROLLER, REGION_HEALTH
from config.operations import Failover, FastSignal, HealthAlarm

CONNECT = "AWS/Connect"
PERIOD_SECONDS = 60
"""Connect publishes one datapoint a minute; also the only period a Metrics Insights alarm can use for it (no
high-resolution data, and at most 3 hours of evaluation: 10 periods here at most)."""
VOICE = {"MetricGroup": "VoiceCalls"}
WEBRTC_VOICE = {"Participant": "Agent", "Type of Connection": "WebRTC", "Stream Type": "Voice"}
ALARM_STATE_CHANGE = "CloudWatch Alarm State Change"
FAILED_CALLS = ("connectdr", "FailedCalls")
"""Namespace and name of the high-resolution metric stream_sync publishes from the contact records."""


@dataclass(frozen=True)
class HealthSignal:
    """One AWS/Connect metric that makes a region unhealthy when it breaches."""

    key: str
    metric: str
    statistic: str
    dimensions: dict[str, str] = field(default_factory=dict)
    every: tuple[str, ...] = ()
    """Dimensions the alarm adds up over all values of, naming none (a Metrics Insights query)."""


SIGNALS = (
    HealthSignal("throttled_calls", "ThrottledCalls", "Sum", VOICE),
    HealthSignal("calls_breaching_concurrency_quota", "CallsBreachingConcurrencyQuota", "Sum", VOICE),
    HealthSignal(
        "contact_flow_fatal_errors",
        "ContactFlowFatalErrors",
        "Sum",
        {"MetricGroup": "ContactFlow"},
        every=("ContactFlowName",),
    ),
    HealthSignal("to_instance_packet_loss_rate", "ToInstancePacketLossRate", "Average", WEBRTC_VOICE),
)


@dataclass
class FailoverArgs:
    context: RegionContext
    tdg_arns: pulumi.Input[list[str]]
    settings: Failover
    reconcile_on: pulumi.Input[str] | None = None
    reconcile_after: Sequence[pulumi.Resource] = ()
    tie_breaker: bool = False


@dataclass(frozen=True)
class FailoverResources:
    controller: aws.lambda_.Function
    health_alarm: aws.cloudwatch.CompositeAlarm


def decision_environment(settings: Failover, tie_breaker: bool) -> dict[str, str]:
    """How the controller decides, as its Lambda environment (read back by its handler's `settings_from`)."""
    return {
        "HEALTHY_EVALUATIONS_BEFORE_FAILBACK": str(settings.healthy_evaluations_before_failback),
        "COOLDOWN_SECONDS": str(settings.cooldown_minutes * 60),
        "TIE_BREAKER": "true" if tie_breaker else "false",
        "FAILBACK_STEP_PERCENT": str(settings.failback.step_percent),
        "FAILBACK_INTERVAL_SECONDS": str(settings.failback.interval_minutes * 60),
    }


def both_regions(arns: list[str], regions: tuple[str, str]) -> list[str]:
    """Each ARN as it reads in either region: the replica region authorizes against its own ARN form."""
    variants = set()
    for arn in arns:
        parts = arn.split(":")
        for region in regions:
            variants.add(":".join([*parts[:3], region, *parts[4:]]))
    return sorted(variants)


def _insights_query(signal: HealthSignal, instance_id: pulumi.Input[str]) -> aws.cloudwatch.MetricAlarmMetricQueryArgs:
    """The signal summed over every value of its `every` dimensions in this instance: Connect publishes
    ContactFlowFatalErrors per flow name, and neither stack knows every flow of the instance."""
    keys = ("InstanceId", *signal.dimensions, *signal.every)
    expression = pulumi.Output.from_input(instance_id).apply(
        lambda instance: schema_query(
            signal.statistic, signal.metric, CONNECT, keys, {"InstanceId": instance, **signal.dimensions}
        )
    )
    return aws.cloudwatch.MetricAlarmMetricQueryArgs(
        id=signal.key, expression=expression, period=PERIOD_SECONDS, return_data=True, label=signal.metric
    )


def _connect_alarm(
    name: str, args: FailoverArgs, signal: HealthSignal, threshold: HealthAlarm, opts: pulumi.ResourceOptions
) -> aws.cloudwatch.MetricAlarm:
    source: dict[str, Any] = (
        {"metric_queries": [_insights_query(signal, args.context.instance_id)]}
        if signal.every
        else {
            "namespace": CONNECT,
            "metric_name": signal.metric,
            "dimensions": {"InstanceId": args.context.instance_id, **signal.dimensions},
            "statistic": signal.statistic,
            "period": PERIOD_SECONDS,
        }
    )
    scope = f" summed over every {', '.join(signal.every)}" if signal.every else ""
    return aws.cloudwatch.MetricAlarm(
        name,
        region=args.context.region,
        alarm_description=(
            f"Region health: {signal.metric}{scope} above {threshold.threshold} in {threshold.datapoints_to_alarm} "
            f"of {threshold.evaluation_periods} minutes"
        ),
        evaluation_periods=threshold.evaluation_periods,
        datapoints_to_alarm=threshold.datapoints_to_alarm,
        threshold=threshold.threshold,
        comparison_operator="GreaterThanThreshold",
        treat_missing_data="notBreaching",
        opts=opts,
        **source,
    )


def _fast_alarm(
    name: str, args: FailoverArgs, fast: FastSignal, opts: pulumi.ResourceOptions
) -> aws.cloudwatch.MetricAlarm:
    """A high-resolution alarm (periods of 10-30 s) on the failed calls stream_sync counts in this region."""
    namespace, metric = FAILED_CALLS
    return aws.cloudwatch.MetricAlarm(
        name,
        region=args.context.region,
        alarm_description=(
            f"Calls failing in {args.context.region}: more than {fast.threshold:g} failed calls in "
            f"{fast.datapoints_to_alarm} of {fast.evaluation_periods} periods of {fast.period_seconds} s "
            "(contact records, via stream_sync)"
        ),
        namespace=namespace,
        metric_name=metric,
        dimensions={"InstanceId": args.context.instance_id, "Region": args.context.region},
        statistic="Sum",
        period=fast.period_seconds,
        evaluation_periods=fast.evaluation_periods,
        datapoints_to_alarm=fast.datapoints_to_alarm,
        threshold=fast.threshold,
        comparison_operator="GreaterThanThreshold",
        treat_missing_data="notBreaching",
        opts=opts,
    )


def _health_description(region: str, fast: FastSignal) -> str:
    if not fast.enabled:
        return f"Amazon Connect in {region}: any AWS/Connect signal in ALARM makes the region unhealthy"
    confirmed = (
        f" with one AWS/Connect signal breaching in the last {fast.confirm_within_minutes} minutes"
        if fast.confirmation == "alarms"
        else ""
    )
    return (
        f"Amazon Connect in {region}: any AWS/Connect signal in ALARM, or calls failing (fast signal){confirmed}, "
        "makes the region unhealthy"
    )


def _health_alarms(name: str, args: FailoverArgs, parent: pulumi.Resource) -> aws.cloudwatch.CompositeAlarm:
    """The AWS/Connect alarms as configured; with the fast signal, the high-resolution failed-calls alarm and
    each AWS/Connect signal on one breaching datapoint within the confirmation window; all combined by the
    health rule into the region's composite health alarm."""
    child = pulumi.ResourceOptions(parent=parent)
    fast = args.settings.fast_signal
    sustained, confirming = [], []
    for signal in SIGNALS:
        threshold: HealthAlarm = getattr(args.settings.alarms, signal.key)
        key = signal.key.replace("_", "-")
        sustained.append(_connect_alarm(f"{name}-{key}", args, signal, threshold, child))
        if fast.enabled and fast.confirmation != "none":
            window = fast.confirm_within_minutes
            early = HealthAlarm(threshold=threshold.threshold, evaluation_periods=window, datapoints_to_alarm=1)
            confirming.append(_connect_alarm(f"{name}-{key}-confirming", args, signal, early, child))
    failed_calls = _fast_alarm(f"{name}-failed-calls", args, fast, child) if fast.enabled else None
    fast_name = failed_calls.name if failed_calls is not None else None
    rule = pulumi.Output.all(
        [alarm.name for alarm in sustained], fast_name, [alarm.name for alarm in confirming]
    ).apply(
        lambda names: HealthRule(
            tuple(names[0]), names[1], tuple(names[2]), fast_alone=fast.confirmation == "none"
        ).expression()
    )
    return aws.cloudwatch.CompositeAlarm(
        f"{name}-region-health",
        alarm_name=pulumi.Output.concat(args.context.name_prefix, REGION_HEALTH),
        alarm_description=_health_description(args.context.region, fast),
        alarm_rule=rule,
        alarm_actions=[args.context.alarm_topic_arn],
        ok_actions=[args.context.alarm_topic_arn],
        region=args.context.region,
        opts=child,
    )


def _alarm_arn(region: str, alarm_name: pulumi.Input[str]) -> pulumi.Output[str]:
    account = aws.get_caller_identity_output().account_id
    return pulumi.Output.format("arn:aws:cloudwatch:{0}:{1}:alarm:{2}", region, account, alarm_name)


def _triggers(
    name: str,
    args: FailoverArgs,
    controller: aws.lambda_.Function,
    alarm_name: pulumi.Output[str],
    parent: pulumi.Resource,
) -> None:
    """Alarm state changes of either region (the other region's are forwarded here) invoke the controller at
    once; a one-minute schedule sweeps as a backstop."""
    child = pulumi.ResourceOptions(parent=parent)
    pattern = alarm_name.apply(
        lambda alarm: json.dumps(
            {"source": ["aws.cloudwatch"], "detail-type": [ALARM_STATE_CHANGE], "detail": {"alarmName": [alarm]}}
        )
    )
    rules = {
        "alarm": aws.cloudwatch.EventRule(
            f"{name}-on-health-change", region=args.context.region, event_pattern=pattern, opts=child
        ),
        "sweep": aws.cloudwatch.EventRule(
            f"{name}-sweep", region=args.context.region, schedule_expression="rate(1 minute)", opts=child
        ),
    }
    for key, rule in rules.items():
        aws.cloudwatch.EventTarget(
            f"{name}-{key}-target",
            rule=rule.name,
            arn=controller.arn,
            region=args.context.region,
            retry_policy=aws.cloudwatch.EventTargetRetryPolicyArgs(
                maximum_event_age_in_seconds=120, maximum_retry_attempts=2
            ),
            opts=child,
        )
        aws.lambda_.Permission(
            f"{name}-{key}-invoke",
            action="lambda:InvokeFunction",
            function=controller.name,
            principal="events.amazonaws.com",
            source_arn=rule.arn,
            region=args.context.region,
            opts=child,
        )
    account = aws.get_caller_identity_output().account_id
    other_bus = pulumi.Output.format("arn:aws:events:{0}:{1}:event-bus/default", args.context.other_region, account)
    forward_role = aws.iam.Role(
        f"{name}-forward-role", assume_role_policy=assume_role_policy("events.amazonaws.com"), opts=child
    )
    aws.iam.RolePolicy(
        f"{name}-forward-policy",
        role=forward_role.id,
        policy=policy_document([Statement("ForwardHealthToPeer", ["events:PutEvents"], [other_bus])]),
        opts=child,
    )
    local_only = alarm_name.apply(
        lambda alarm: json.dumps(
            {
                "source": ["aws.cloudwatch"],
                "detail-type": [ALARM_STATE_CHANGE],
                "region": [args.context.region],
                "detail": {"alarmName": [alarm]},
            }
        )
    )
    forward = aws.cloudwatch.EventRule(
        f"{name}-forward-health", region=args.context.region, event_pattern=local_only, opts=child
    )
    aws.cloudwatch.EventTarget(
        f"{name}-forward-target",
        rule=forward.name,
        arn=other_bus,
        role_arn=forward_role.arn,
        region=args.context.region,
        opts=child,
    )


def _controller_alarms(
    name: str, args: FailoverArgs, controller: aws.lambda_.Function, parent: pulumi.Resource
) -> None:
    """The controller watched like any other part: failing evaluations (it raises after recording what it
    did when a write, the audit or the alert failed), and a controller that stopped running at all."""
    common = {
        "region": args.context.region,
        "namespace": "AWS/Lambda",
        "dimensions": {"FunctionName": controller.name},
        "statistic": "Sum",
        "period": 60,
        "alarm_actions": [args.context.alarm_topic_arn],
        "ok_actions": [args.context.alarm_topic_arn],
        "opts": pulumi.ResourceOptions(parent=parent),
    }
    aws.cloudwatch.MetricAlarm(
        f"{name}-controller-errors",
        alarm_description="The failover controller's evaluations fail (see its log and audit items)",
        metric_name="Errors",
        evaluation_periods=3,
        datapoints_to_alarm=2,
        threshold=0,
        comparison_operator="GreaterThanThreshold",
        treat_missing_data="notBreaching",
        **common,
    )
    aws.cloudwatch.MetricAlarm(
        f"{name}-controller-silent",
        alarm_description="The failover controller has not run for 5 minutes (its sweep should run every minute)",
        metric_name="Invocations",
        evaluation_periods=5,
        datapoints_to_alarm=5,
        threshold=1,
        comparison_operator="LessThanThreshold",
        treat_missing_data="breaching",
        **common,
    )


def _staffing_statement(args: FailoverArgs, regions: tuple[str, str]) -> list[Statement]:
    """The tie-breaker's controller follows the agents (when the desired item asks it to): it reads how many
    agents each region has staffed on the instance's queues. GetCurrentMetricData authorizes on the queues or
    routing profiles it filters by (Service Authorization Reference: queue*, routing-profile*); the controller
    filters by queue. Granted whether or not the mode is on: the mode is switched by the desired item, and a
    tie-breaker on the secondary stack does not see the primary's traffic config."""
    if not args.tie_breaker:
        return []
    account = aws.get_caller_identity_output().account_id
    queues = [
        pulumi.Output.format("arn:aws:connect:{0}:{1}:instance/{2}/queue/*", region, account, args.context.instance_id)
        for region in regions
    ]
    return [Statement("ReadStaffedAgents", ["connect:GetCurrentMetricData"], queues)]


def build_failover(name: str, args: FailoverArgs, parent: pulumi.Resource) -> FailoverResources:
    """Alarms on AWS/Connect metrics combined into a region-health composite alarm; the controller, which
    may read both regions' health alarms and change every traffic group from either region; its triggers;
    and, on the primary stack, a reconcile when the desired split changes.

    Reserved concurrency 1 keeps one region's invocations from overlapping. The reconcile is the engine's
    synchronous Invoke: when it meets a running sweep, Lambda answers TooManyRequestsException, which the
    provider's AWS SDK retries as throttling (with backoff, many attempts) until the sweep is done; an
    evaluation takes seconds, and the sweep would apply the new split within a minute anyway."""
    health = _health_alarms(f"{name}-health", args, parent)
    regions = (args.context.region, args.context.other_region)
    tdg_arns = pulumi.Output.from_input(args.tdg_arns).apply(lambda arns: both_regions(arns, regions))
    alarm_arns = [_alarm_arn(region, health.alarm_name) for region in regions]
    via_dynamodb = {"StringEquals": {"kms:ViaService": f"dynamodb.{args.context.region}.amazonaws.com"}}
    controller = python_lambda(
        f"{name}-controller",
        LambdaSpec(
            function_name=pulumi.Output.concat(args.context.name_prefix, FAILOVER_CONTROLLER),
            source="failover_controller",
            region=args.context.region,
            description="Keeps calls on healthy regions; the only writer of the effective traffic split",
            timeout_seconds=60,
            environment={
                "OTHER_REGION": args.context.other_region,
                "HEALTH_ALARM": health.alarm_name,
                "ALERT_TOPIC_ARN": args.context.alarm_topic_arn,
                "CONFIG_TABLE": args.context.tables.name("config"),
                "INSTANCE_ID": args.context.instance_id,
                **decision_environment(args.settings, args.tie_breaker),
            },
            reserved_concurrency=1,
            statements=[
                *_staffing_statement(args, regions),
                Statement(
                    "TrafficDistribution",
                    ["connect:GetTrafficDistribution", "connect:UpdateTrafficDistribution"],
                    [tdg_arns],
                ),
                Statement("ReadRegionHealth", ["cloudwatch:DescribeAlarms"], alarm_arns),
                Statement("ConfigTable", ["dynamodb:GetItem", "dynamodb:PutItem"], [args.context.tables.arn("config")]),
                Statement(
                    "UseTableKey", ["kms:Decrypt", "kms:GenerateDataKey"], [args.context.tables.key_arn], via_dynamodb
                ),
                Statement("Alert", ["sns:Publish"], [args.context.alarm_topic_arn]),
            ],
        ),
        parent,
    ).function
    _triggers(name, args, controller, health.alarm_name, parent)
    _controller_alarms(name, args, controller, parent)
    if args.reconcile_on is not None:
        aws.lambda_.Invocation(
            f"{name}-reconcile",
            function_name=controller.name,
            input=pulumi.Output.from_input(args.reconcile_on).apply(
                lambda version: json.dumps({"trigger": "desired-split-changed", "version": version})
            ),
            triggers={"desiredSplitVersion": args.reconcile_on},
            region=args.context.region,
            opts=pulumi.ResourceOptions(parent=parent, depends_on=list(args.reconcile_after)),
        )
    return FailoverResources(controller=controller, health_alarm=health)
