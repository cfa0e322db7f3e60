"""IAM policy documents built from statements whose resources may be Outputs."""

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi


@dataclass(frozen=True)
class Statement:
    """One Allow statement: explicit actions (never `*`) on explicit resources."""

    sid: str
    actions: Sequence[str]
    resources: Sequence[pulumi.Input[str] | pulumi.Input[list[str]]]
    """ARNs; an Output that resolves to a list of ARNs counts as all of them."""
    conditions: dict[str, dict[str, object]] = field(default_factory=dict)


def policy_document(statements: Sequence[Statement]) -> pulumi.Output[str]:
    """The JSON policy document, resolved once every resource ARN is known."""

    def flatten(resources: list[str | list[str]]) -> list[str]:
        return [arn for item in resources for arn in ([item] if isinstance(item, str) else item)]

    def render(resolved: list[list[str | list[str]]]) -> str:
        body = []
        for statement, nested in zip(statements, resolved, strict=True):
            resources = flatten(nested)
            entry: dict[str, object] = {
                "Sid": statement.sid,
                "Effect": "Allow",
                "Action": sorted(statement.actions),
                "Resource": sorted(set(resources)),
            }
            if statement.conditions:
                entry["Condition"] = statement.conditions
            body.append(entry)
        return json.dumps({"Version": "2012-10-17", "Statement": body})

    return pulumi.Output.all(*[pulumi.Output.all(*statement.resources) for statement in statements]).apply(render)


def assume_role_policy(service: str) -> str:
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [{"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}],
        }
    )
