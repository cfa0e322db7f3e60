"""`split --direct REGION`: for when the primary region, and perhaps the Pulumi backend with it, is down.

Writes the desired split into REGION's replica of the config table and invokes REGION's controller.
It needs no Pulumi CLI: the table and controller names come from arguments, else from the outputs
file that `up` and `status` keep, and only then from the backend.
"""

import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TextIO

from deploy.backend import StackBackend
from deploy.cloud import CloudClients
from deploy.deployment import need
from deploy.errors import DriverError, ExitCode
from deploy.split import CheckedSplit, path_values
from deploy.traffic_ops import invoke_controller, read_desired, write_desired


@dataclass(frozen=True)
class DirectTargets:
    """What a direct split writes to and invokes in the surviving region."""

    config_table: str
    controller: str


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
    problems = []
    for label, open_source in sources:
        try:
            source = open_source()
            table = config_table or need(source.outputs("primary"), "primary", "tableNames")["config"]
            function = controller or need(source.outputs(role), role, "failoverController")
            return DirectTargets(table, function)
        except DriverError as error:
            problems.append(f"{label}: {error}")
    raise DriverError(
        f"cannot tell the config table and {region}'s controller ({'; '.join(problems)}); "
        "pass --config-table and --controller",
        ExitCode.ENVIRONMENT,
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
    document = read_desired(ports.table)
    default = dict(document["default"])
    if "telephony" in checked.changes:
        default["telephony"] = checked.traffic.telephony
    if "agents" in checked.changes or checked.traffic.agents is None:
        default["agents"] = checked.traffic.agent_split
    if "signIn" in checked.changes:
        default["signIn"] = checked.changes["signIn"]
    written = write_desired(ports.table, {**document, "default": default})
    result = invoke_controller(ports.lambda_client, targets.controller, "split-direct")
    print(
        f"desired split written in {region} (version {written['version']}); controller: {result.get('reason')}",
        file=out,
    )
    print("the primary stack's config no longer matches; once its region is back, run:", file=out)
    for key, value in path_values(checked.changes).items():
        print(f"  pulumi config set --path '{key}' {value} --stack {primary_stack}", file=out)
    print(f"  pulumi up --stack {primary_stack}", file=out)
    return ExitCode.OK
