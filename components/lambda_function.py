"""A Python Lambda from a folder under lambdas/, with its own role, log group and least-privilege policy."""

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import pulumi
import pulumi_aws as aws

from components.iam import Statement, assume_role_policy, policy_document

LAMBDAS_DIR = Path(__file__).resolve().parent.parent / "lambdas"
RUNTIME = "python3.12"
LOG_RETENTION_DAYS = 90


@dataclass
class LambdaSpec:
    """What differs between the product's functions."""

    function_name: pulumi.Input[str]
    source: str
    """Folder under lambdas/ holding handler.py (stdlib + boto3 only)."""
    region: str
    statements: Sequence[Statement]
    environment: Mapping[str, pulumi.Input[str]] = field(default_factory=dict)
    timeout_seconds: int = 30
    memory_mb: int = 256
    description: str = ""
    reserved_concurrency: int | None = None
    """At most this many invocations at once (None: the account's unreserved pool)."""


@dataclass(frozen=True)
class DeployedLambda:
    function: aws.lambda_.Function
    role: aws.iam.Role


def source_archive(folder: str) -> pulumi.AssetArchive:
    """Only the folder's Python sources: no bytecode caches, so the archive changes only with the code."""
    return pulumi.AssetArchive(
        {path.name: pulumi.FileAsset(str(path)) for path in sorted((LAMBDAS_DIR / folder).glob("*.py"))}
    )


def python_lambda(name: str, spec: LambdaSpec, parent: pulumi.Resource) -> DeployedLambda:
    """Role (assumable by Lambda only), inline policy (the spec's statements plus writing its own logs),
    a log group with retention, and the function with an explicit name (the same in both regions)."""
    child = pulumi.ResourceOptions(parent=parent)
    log_group = aws.cloudwatch.LogGroup(
        f"{name}-logs",
        name=pulumi.Output.concat("/aws/lambda/", spec.function_name),
        region=spec.region,
        retention_in_days=LOG_RETENTION_DAYS,
        opts=child,
    )
    role = aws.iam.Role(f"{name}-role", assume_role_policy=assume_role_policy("lambda.amazonaws.com"), opts=child)
    logs = Statement(
        "WriteOwnLogs", ["logs:CreateLogStream", "logs:PutLogEvents"], [log_group.arn.apply(lambda arn: f"{arn}:*")]
    )
    policy = aws.iam.RolePolicy(
        f"{name}-policy", role=role.id, policy=policy_document([*spec.statements, logs]), opts=child
    )
    function = aws.lambda_.Function(
        name,
        name=spec.function_name,
        region=spec.region,
        role=role.arn,
        runtime=RUNTIME,
        architectures=["arm64"],
        handler="handler.handler",
        code=source_archive(spec.source),
        timeout=spec.timeout_seconds,
        memory_size=spec.memory_mb,
        reserved_concurrent_executions=spec.reserved_concurrency,
        description=spec.description,
        environment=aws.lambda_.FunctionEnvironmentArgs(variables=dict(spec.environment)) if spec.environment else None,
        logging_config=aws.lambda_.FunctionLoggingConfigArgs(log_format="JSON", log_group=log_group.name),
        opts=pulumi.ResourceOptions(parent=parent, depends_on=[policy, log_group]),
    )
    return DeployedLambda(function=function, role=role)
