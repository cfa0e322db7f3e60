"""The CrossGuard policies: each rule of rules.py wrapped for the engine (constructed, never served, here)."""

from pulumi_policy import (
    EnforcementLevel,
    PolicyResource,
    ReportViolation,
    ResourceValidationArgs,
    ResourceValidationPolicy,
    StackValidationArgs,
    StackValidationPolicy,
)
from rules import RESOURCE_RULES, STACK_RULES, ResourceRule, ResourceView, StackRule


def view_of(args: ResourceValidationArgs | PolicyResource) -> ResourceView:
    """What CrossGuard hands a policy, as the rules' view. Inputs arrive with secrets already unwrapped,
    so secretness is unknown here (the tests check it on the offline plans, where it is known). The
    properties are passed as CrossGuard's own mappings, not copied: in a preview, reading a value that is not
    known yet raises (CrossGuard then reports that policy as not run), so only what a rule reads may be unknown."""
    return ResourceView(
        type=args.resource_type,
        name=args.name,
        inputs=args.props,
        protect=bool(args.opts.protect),
        secret_inputs=None,
        provider_inputs=args.provider.props if args.provider is not None else None,
    )


def _resource_policy(name: str, description: str, rule: ResourceRule) -> ResourceValidationPolicy:
    def validate(args: ResourceValidationArgs, report: ReportViolation) -> None:
        for violation in rule(view_of(args)):
            report(violation, args.urn)

    return ResourceValidationPolicy(name=name, description=description, validate=validate)


def _stack_policy(name: str, description: str, rule: StackRule) -> StackValidationPolicy:
    def validate(args: StackValidationArgs, report: ReportViolation) -> None:
        for violation in rule([view_of(resource) for resource in args.resources]):
            report(violation, None)

    return StackValidationPolicy(name=name, description=description, validate=validate)


def build_policies() -> list[ResourceValidationPolicy | StackValidationPolicy]:
    return [
        *[_resource_policy(name, description, rule) for name, (description, rule) in RESOURCE_RULES.items()],
        *[_stack_policy(name, description, rule) for name, (description, rule) in STACK_RULES.items()],
    ]


ENFORCEMENT = EnforcementLevel.MANDATORY
