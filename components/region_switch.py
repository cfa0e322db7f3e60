"""Failover as an AWS-managed, auditable runbook: an ARC Region switch plan whose steps drive the controller.

The plan is one resource: its ARN names no region, Region switch keeps it through a control plane in the
partition's leading region, and each of the plan's two regions runs its executions in its own data plane.
Each stack therefore declares the steps' function for its own region (custom-action steps name one function
per region and run the one in the activating region), and the secondary stack, deployed once both functions
exist, declares the plan, its execution role and its approval role.

The steps never call UpdateTrafficDistribution: they set or end an override in the desired item and invoke
the region's failover controller, which stays the only writer of the traffic split.
"""

import json
from collections.abc import Mapping
from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.data_sync import GLOBAL_TABLES
from components.failover import both_regions
from components.iam import Statement, assume_role_policy, policy_document
from components.lambda_function import LambdaSpec, python_lambda
from components.primary_link import PrimaryLink
from components.region_context import RegionContext
from config.names import REGION_HEALTH, REGION_SWITCH, region_switch_plan_name
from config.operations import RegionSwitch, approval_trust_policy
from config.stack import StackConfig

STEPS_SOURCE = "region_switch"
FUNCTION_TIMEOUT_SECONDS = 120
RETRY_INTERVAL_MINUTES = 3.0
"""Longer than the function's timeout, so Region switch never runs a step's invocations side by side."""
WRITE_STEP_TIMEOUT_MINUTES = 10
CHECK_STEP_TIMEOUT_MINUTES = 10
RUN_HERE = "activatingRegion"
"""Deactivating a region activates the other: the steps run where the calls go, never in the failing region."""

FORCE_HERE = "force-calls-here"
AWAIT_HERE = "await-calls-here"
CHECK_AFTER_DEACTIVATION = "check-after-deactivation"
END_OVERRIDE = "end-override"
AWAIT_DESIRED = "await-desired-split"
CHECK_AFTER_ACTIVATION = "check-after-activation"
APPROVE_DEACTIVATION = "approve-deactivation"
APPROVE_ACTIVATION = "approve-activation"
"""Step names: the function dispatches on the name Region switch sends (lambdas/region_switch/plan_steps.py)."""


def function_arn(region: str, account: pulumi.Input[str], name_prefix: pulumi.Input[str]) -> pulumi.Output[str]:
    """The steps' function in `region`: the same explicit name in both regions."""
    return pulumi.Output.format("arn:aws:lambda:{0}:{1}:function:{2}{3}", region, account, name_prefix, REGION_SWITCH)


def alarm_arn(region: str, account: pulumi.Input[str], name_prefix: pulumi.Input[str]) -> pulumi.Output[str]:
    """The region-health composite alarm in `region` (the same name in both regions)."""
    return pulumi.Output.format("arn:aws:cloudwatch:{0}:{1}:alarm:{2}{3}", region, account, name_prefix, REGION_HEALTH)


@dataclass
class RegionSwitchStepsArgs:
    context: RegionContext
    controller: aws.lambda_.Function
    health_alarm_name: pulumi.Input[str]
    tdg_arns: pulumi.Input[list[str]]
    consumer_name: pulumi.Input[str]
    iterator_age_limit_ms: float


def build_region_switch_steps(name: str, args: RegionSwitchStepsArgs, parent: pulumi.Resource) -> aws.lambda_.Function:
    """The function the plan's custom-action steps invoke in this region, allowed exactly what they do here:
    read and write the desired item, invoke this region's controller, read every group's split, this region's
    health alarm, the instance's replication status, the global tables and the consumer's lag."""
    context = args.context
    account = aws.get_caller_identity_output().account_id
    regions = (context.region, context.other_region)
    tdg_arns = pulumi.Output.from_input(args.tdg_arns).apply(lambda arns: both_regions(arns, regions))
    instance_arn = pulumi.Output.format(
        "arn:aws:connect:{0}:{1}:instance/{2}", context.region, account, context.instance_id
    )
    via_dynamodb = {"StringEquals": {"kms:ViaService": f"dynamodb.{context.region}.amazonaws.com"}}
    return python_lambda(
        name,
        LambdaSpec(
            function_name=pulumi.Output.concat(context.name_prefix, REGION_SWITCH),
            source=STEPS_SOURCE,
            region=context.region,
            description="Region switch steps: force or end the override, await the split, check the region",
            timeout_seconds=FUNCTION_TIMEOUT_SECONDS,
            environment={
                "CONFIG_TABLE": context.tables.name("config"),
                "CONTROLLER": args.controller.name,
                "HEALTH_ALARM": args.health_alarm_name,
                "INSTANCE_ID": context.instance_id,
                "GLOBAL_TABLES": pulumi.Output.all(*[context.tables.name(t) for t in GLOBAL_TABLES]).apply(",".join),
                "OTHER_REGION": context.other_region,
                "CONSUMER": args.consumer_name,
                "ITERATOR_AGE_LIMIT_MS": str(int(args.iterator_age_limit_ms)),
            },
            statements=[
                Statement("DesiredItem", ["dynamodb:GetItem", "dynamodb:PutItem"], [context.tables.arn("config")]),
                Statement(
                    "UseTableKey", ["kms:Decrypt", "kms:GenerateDataKey"], [context.tables.key_arn], via_dynamodb
                ),
                Statement("InvokeController", ["lambda:InvokeFunction"], [args.controller.arn]),
                Statement("ReadTraffic", ["connect:GetTrafficDistribution"], [tdg_arns]),
                Statement("ReadReplication", ["connect:DescribeInstance"], [instance_arn]),
                Statement(
                    "ReadHealth",
                    ["cloudwatch:DescribeAlarms"],
                    [alarm_arn(context.region, account, context.name_prefix)],
                ),
                Statement("ReadTables", ["dynamodb:DescribeTable"], [context.tables.arn(t) for t in GLOBAL_TABLES]),
                # CloudWatch has no resource-level permission for metric reads: "*" is the only form it accepts.
                Statement("ReadConsumerLag", ["cloudwatch:GetMetricStatistics"], ["*"]),
            ],
        ),
        parent,
    ).function


def _lambda_step(
    step: str, description: str, functions: list[pulumi.Input[str]], timeout: int, *, skip: bool = False
) -> aws.arcregionswitch.PlanWorkflowStepArgs:
    config = aws.arcregionswitch.PlanWorkflowStepCustomActionLambdaConfigArgs(
        region_to_run=RUN_HERE,
        retry_interval_minutes=RETRY_INTERVAL_MINUTES,
        timeout_minutes=timeout,
        lambdas=[aws.arcregionswitch.PlanWorkflowStepCustomActionLambdaConfigLambdaArgs(arn=arn) for arn in functions],
        ungracefuls=[aws.arcregionswitch.PlanWorkflowStepCustomActionLambdaConfigUngracefulArgs(behavior="skip")]
        if skip
        else None,
    )
    return aws.arcregionswitch.PlanWorkflowStepArgs(
        name=step,
        description=description,
        execution_block_type="CustomActionLambda",
        custom_action_lambda_configs=[config],
    )


def _approval_step(
    step: str, role_arn: pulumi.Input[str], timeout: int, what: str
) -> aws.arcregionswitch.PlanWorkflowStepArgs:
    return aws.arcregionswitch.PlanWorkflowStepArgs(
        name=step,
        description=f"An approver confirms {what}",
        execution_block_type="ManualApproval",
        execution_approval_configs=[
            aws.arcregionswitch.PlanWorkflowStepExecutionApprovalConfigArgs(
                approval_role=role_arn, timeout_minutes=timeout
            )
        ],
    )


def workflows(
    functions: list[pulumi.Input[str]], settings: RegionSwitch, approval_role: pulumi.Input[str] | None
) -> list[aws.arcregionswitch.PlanWorkflowArgs]:
    """Activate (return the region to service: end the override) and deactivate (take every call away from
    the region: force the other), in the order the provider reads them back, so a refresh shows no change."""
    wait = settings.await_timeout_minutes
    approve = settings.approval.timeout_minutes
    activate = [
        _lambda_step(
            END_OVERRIDE,
            "End the plan's override; the controller restores the desired split",
            functions,
            WRITE_STEP_TIMEOUT_MINUTES,
        ),
        _lambda_step(AWAIT_DESIRED, "Wait until every traffic group shows the desired split", functions, wait),
        _lambda_step(
            CHECK_AFTER_ACTIVATION,
            "Replication, global tables and stream consumer",
            functions,
            CHECK_STEP_TIMEOUT_MINUTES,
            skip=True,
        ),
    ]
    deactivate = [
        _lambda_step(
            FORCE_HERE, "Force every call to this region through the controller", functions, WRITE_STEP_TIMEOUT_MINUTES
        ),
        _lambda_step(AWAIT_HERE, "Wait until every traffic group sends all calls here", functions, wait),
        _lambda_step(
            CHECK_AFTER_DEACTIVATION,
            "Replication, global tables and stream consumer",
            functions,
            CHECK_STEP_TIMEOUT_MINUTES,
            skip=True,
        ),
    ]
    if approval_role is not None:
        activate.insert(
            0,
            _approval_step(
                APPROVE_ACTIVATION, approval_role, approve, "the region returns to its desired share of calls"
            ),
        )
        deactivate.insert(
            0, _approval_step(APPROVE_DEACTIVATION, approval_role, approve, "every call leaves the region")
        )
    return [
        aws.arcregionswitch.PlanWorkflowArgs(
            workflow_target_action="activate",
            workflow_description="Return the region to service: the desired split applies again",
            steps=activate,
        ),
        aws.arcregionswitch.PlanWorkflowArgs(
            workflow_target_action="deactivate",
            workflow_description="Take every call away from the region (run in the other region)",
            steps=deactivate,
        ),
    ]


def trigger_alarm_key(region: str) -> str:
    return f"health-{region}"


@dataclass
class RegionSwitchPlanArgs:
    name_prefix: pulumi.Input[str]
    regions: tuple[str, str]
    """(source, replica)."""
    region: str
    """The stack's region, where the provider manages the plan (Region switch routes it to its control plane)."""
    step_functions: Mapping[str, pulumi.Input[str]]
    """The steps' function ARN per region."""
    settings: RegionSwitch

    @classmethod
    def from_config(
        cls, cfg: StackConfig, link: PrimaryLink, own_function: pulumi.Input[str]
    ) -> "RegionSwitchPlanArgs":
        """The secondary stack: its own function, and the primary's by its explicit name in the source region."""
        account = aws.get_caller_identity_output().account_id
        functions = {
            cfg.region: own_function,
            cfg.other_region: function_arn(cfg.other_region, account, link.name_prefix),
        }
        return cls(link.name_prefix, cfg.regions.pair, cfg.region, functions, cfg.failover.region_switch)


class RegionSwitchPlan(pulumi.ComponentResource):
    """The ARC Region switch plan (active/active) of the deployment: deactivate a region to send every call to
    the other, activate it to return to the desired split; optional approval by named IAM principals,
    optional triggers on the regions' health alarms; the plan's execution role and the approvers' role."""

    plan_arn: pulumi.Output[str]
    plan_name: pulumi.Output[str]
    approval_role_arn: pulumi.Output[str] | None

    def __init__(self, name: str, args: RegionSwitchPlanArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("connectdr:failover:RegionSwitchPlan", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        account = aws.get_caller_identity_output().account_id
        settings = args.settings
        functions = [args.step_functions[region] for region in args.regions]
        alarms = {region: alarm_arn(region, account, args.name_prefix) for region in args.regions}
        execution_role = aws.iam.Role(
            f"{name}-execution-role",
            assume_role_policy=assume_role_policy("arc-region-switch.amazonaws.com"),
            opts=child,
        )
        approval_role = self._approval_role(name, settings, child)
        run = [
            Statement("InvokeSteps", ["lambda:GetFunction", "lambda:InvokeFunction"], functions),
            Statement(
                "PlanEvaluation",
                ["iam:SimulatePrincipalPolicy"],
                [execution_role.arn, *([approval_role.arn] if approval_role else [])],
            ),
        ]
        if settings.triggers.enabled:
            run.append(
                Statement(
                    "ReadTriggerAlarms",
                    ["cloudwatch:DescribeAlarmHistory", "cloudwatch:DescribeAlarms"],
                    list(alarms.values()),
                )
            )
        run_policy = aws.iam.RolePolicy(
            f"{name}-execution-policy", role=execution_role.id, policy=policy_document(run), opts=child
        )
        plan_name = pulumi.Output.from_input(args.name_prefix).apply(region_switch_plan_name)
        plan = aws.arcregionswitch.Plan(
            f"{name}-plan",
            name=plan_name,
            region=args.region,
            execution_role=execution_role.arn,
            recovery_approach="activeActive",
            regions=list(args.regions),
            primary_region=args.regions[0],
            description="connectdr failover runbook: drives the failover controller, never the traffic split itself",
            recovery_time_objective_minutes=settings.recovery_time_objective_minutes,
            workflows=workflows(functions, settings, approval_role.arn if approval_role else None),
            associated_alarms=[
                aws.arcregionswitch.PlanAssociatedAlarmArgs(
                    map_block_key=trigger_alarm_key(region), alarm_type="trigger", resource_identifier=arn
                )
                for region, arn in alarms.items()
            ]
            if settings.triggers.enabled
            else None,
            triggers=[
                aws.arcregionswitch.PlanTriggerArgs(
                    description=f"{region}'s health alarm in ALARM: take every call away from {region}",
                    target_region=region,
                    action="deactivate",
                    min_delay_minutes_between_executions=settings.triggers.min_delay_minutes_between_executions,
                    conditions=[
                        aws.arcregionswitch.PlanTriggerConditionArgs(
                            associated_alarm_name=trigger_alarm_key(region), condition="red"
                        )
                    ],
                )
                for region in args.regions
            ]
            if settings.triggers.enabled
            else None,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[run_policy]),
        )
        reads = [
            "arc-region-switch:GetPlan",
            "arc-region-switch:GetPlanExecution",
            "arc-region-switch:ListPlanExecutions",
        ]
        aws.iam.RolePolicy(
            f"{name}-execution-plan-policy",
            role=execution_role.id,
            policy=policy_document([Statement("ReadOwnPlan", reads, [plan.arn])]),
            opts=child,
        )
        if approval_role is not None:
            approve = [
                "arc-region-switch:ApprovePlanExecutionStep",
                "arc-region-switch:GetPlanExecution",
                "arc-region-switch:ListPlanExecutionEvents",
                "arc-region-switch:ListPlanExecutions",
            ]
            aws.iam.RolePolicy(
                f"{name}-approval-policy",
                role=approval_role.id,
                policy=policy_document([Statement("ApproveOwnPlan", approve, [plan.arn])]),
                opts=child,
            )
        self.plan_arn = plan.arn
        self.plan_name = plan_name
        self.approval_role_arn = approval_role.arn if approval_role else None
        self.register_outputs(
            {"plan_arn": self.plan_arn, "plan_name": self.plan_name, "approval_role_arn": self.approval_role_arn}
        )

    @staticmethod
    def _approval_role(name: str, settings: RegionSwitch, child: pulumi.ResourceOptions) -> aws.iam.Role | None:
        """The role an approver assumes to approve a step: only the configured principals may assume it."""
        if not settings.approval.approvers:
            return None
        trust = approval_trust_policy(settings.approval.approvers)
        return aws.iam.Role(f"{name}-approval-role", assume_role_policy=json.dumps(trust), opts=child)
