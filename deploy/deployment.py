"""What the operator commands need to find the live resources, read from both stacks' outputs."""

from dataclasses import dataclass, field
from typing import Any

from deploy.backend import StackBackend
from deploy.errors import DriverError, ExitCode
from deploy.outputs_cache import save_outputs
from deploy.region_switch import PLAN_OUTPUT
from deploy.stack_pair import StackPair


@dataclass(frozen=True)
class Deployment:
    source: str
    replica: str
    instance_id: str
    default_tdg_arn: str
    tdg_arns: list[str]
    config_table: str
    health_alarm: str
    controllers: dict[str, str]
    consumers: dict[str, str]
    region_switch_plan: str | None = None
    """The Region switch plan's ARN (secondary stack output), when `failover.regionSwitch` is enabled."""

    @property
    def regions(self) -> tuple[str, str]:
        return (self.source, self.replica)

    def other(self, region: str) -> str:
        return self.replica if region == self.source else self.source


@dataclass
class RoleOutputs:
    """Stack outputs by role (`primary`, `secondary`) for the pair; optionally remembered in the outputs file."""

    source: StackBackend
    pair: StackPair
    remember: bool = False
    notes: list[str] = field(default_factory=list)
    """What keeping the outputs in the outputs file had to say (it could not, or replaced an unreadable file)."""

    def outputs(self, role: str) -> dict[str, Any]:
        stack = self.pair.of(role)
        outputs = self.source.outputs(stack)
        if self.remember and (note := save_outputs(stack, outputs)):
            self.notes.append(note)
        return outputs


def need(outputs: dict[str, Any], role: str, key: str) -> Any:
    if key not in outputs:
        raise DriverError(
            f"the {role} stack has no output {key!r}: run `python -m deploy up --stack {role}` first",
            ExitCode.ENVIRONMENT,
        )
    return outputs[key]


def load_deployment(backend: StackBackend) -> Deployment:
    """Both stacks' outputs; `backend.outputs` takes a role (a RoleOutputs)."""
    primary, secondary = backend.outputs("primary"), backend.outputs("secondary")
    source, replica = need(primary, "primary", "region"), need(secondary, "secondary", "region")
    return Deployment(
        source=source,
        replica=replica,
        instance_id=need(primary, "primary", "instanceId"),
        default_tdg_arn=need(primary, "primary", "defaultTdgArn"),
        tdg_arns=list(need(primary, "primary", "trafficDistributionGroupArns")),
        config_table=need(primary, "primary", "tableNames")["config"],
        health_alarm=need(primary, "primary", "healthAlarm"),
        controllers={
            source: need(primary, "primary", "failoverController"),
            replica: need(secondary, "secondary", "failoverController"),
        },
        consumers={
            source: need(primary, "primary", "streamSyncConsumer"),
            replica: need(secondary, "secondary", "streamSyncConsumer"),
        },
        region_switch_plan=secondary.get(PLAN_OUTPUT),
    )
