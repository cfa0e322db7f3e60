"""`split --direct REGION`: for when the primary region, and perhaps the Pulumi backend with it, is down.

Writes the desired split into REGION's replica of the config table and invokes REGION's controller.
It needs no Pulumi CLI: the table and controller names come from arguments, else from the outputs
file that `up` and `status` keep, and only then from the backend. Names from a file or the backend must be
the ones the primary's stack file gives (every name derives from the instance alias), so an outputs file
of another deployment cannot send the split to its table.
"""

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TextIO

from config.names import FAILOVER_CONTROLLER, name_prefix
from deploy.backend import StackBackend
from deploy.cloud import CloudClients
from deploy.deployment import need
from deploy.errors import DriverError, ExitCode
from deploy.split import CheckedSplit, path_values
from deploy.traffic_ops import invoke_controller, update_desired


@dataclass(frozen=True)
class DirectTargets:
    """What a direct split writes to and invokes in the surviving region, and where the names came from."""

    config_table: str
    controller: str
    source: str = "arguments"


def deployment_names(checked: CheckedSplit) -> DirectTargets | None:
    """The config table and controller names the program derives from the stack file's instance alias."""
    if checked.alias is None:
        return None
    prefix = name_prefix(checked.alias)
    return DirectTargets(f"{prefix}-config", f"{prefix}{FAILOVER_CONTROLLER}", "the stack file")


def _foreign(found: DirectTargets, expected: DirectTargets | None, given: DirectTargets) -> list[str]:
    """The names a source gave (not the arguments) that are not this deployment's."""
    if expected is None:
        return []
    checks = [
        ("config table", found.config_table, given.config_table, expected.config_table),
        ("controller", found.controller, given.controller, expected.controller),
    ]
    return [
        f"{name} is not this deployment's {what} ({want})"
        for what, name, arg, want in checks
        if not arg and name != want
    ]


def find_targets(
    region: str,
    checked: CheckedSplit,
    *,
    config_table: str | None,
    controller: str | None,
    sources: Sequence[tuple[str, Callable[[], StackBackend]]],
) -> DirectTargets:
    """Arguments first; what they leave open from the first source of role outputs that can say (each source
    is only opened when the ones before it could not)."""
    if config_table and controller:
        return DirectTargets(config_table, controller)
    role = "primary" if region == checked.regions[0] else "secondary"
    expected = deployment_names(checked)
    given = DirectTargets(config_table or "", controller or "")
    problems = []
    for label, open_source in sources:
        try:
            source = open_source()
            table = config_table or need(source.outputs("primary"), "primary", "tableNames")["config"]
            function = controller or need(source.outputs(role), role, "failoverController")
        except DriverError as error:
            problems.append(f"{label}: {error}")
            continue
        found = DirectTargets(table, function, label)
        if foreign := _foreign(found, expected, given):
            problems.append(f"{label}: {', '.join(foreign)}")
            continue
        return found
    hint = "pass --config-table and --controller"
    if expected is not None:
        hint = f"pass --config-table {expected.config_table} --controller {expected.controller} (the stack file's)"
    raise DriverError(
        f"cannot tell the config table and {region}'s controller ({'; '.join(problems)}); {hint}", ExitCode.ENVIRONMENT
    )


def run_split_direct(
    cloud: CloudClients,
    region: str,
    checked: CheckedSplit,
    targets: DirectTargets,
    *,
    primary_stack: str,
    out: TextIO = sys.stdout,
) -> int:
    ports = cloud.ports(region, targets.config_table)

    def with_split(document: dict[str, Any]) -> dict[str, Any]:
        default = dict(document["default"])
        if "telephony" in checked.changes:
            default["telephony"] = checked.traffic.telephony
        if "agents" in checked.changes or checked.traffic.agents is None:
            default["agents"] = checked.traffic.agent_split
        if "signIn" in checked.changes:
            default["signIn"] = checked.changes["signIn"]
        return {**document, "default": default}

    written = update_desired(ports.table, with_split) or {}
    result = invoke_controller(ports.lambda_client, targets.controller, "split-direct")
    print(
        f"desired split written in {region} to {targets.config_table} (names from {targets.source}, version "
        f"{written.get('version')}); {targets.controller}: {result.get('reason')}",
        file=out,
    )
    print("the primary stack's config no longer matches; once its region is back, run:", file=out)
    for key, value in path_values(checked.changes).items():
        print(f"  pulumi config set --path '{key}' {value} --stack {primary_stack}", file=out)
    print(f"  pulumi up --stack {primary_stack}", file=out)
    return ExitCode.OK
