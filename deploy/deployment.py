"""What the operator commands need to find the live resources, read from both stacks' outputs."""

from dataclasses import dataclass
from typing import Any

from deploy.backend import EXIT_ENVIRONMENT, DriverError, StackBackend


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

    @property
    def regions(self) -> tuple[str, str]:
        return (self.source, self.replica)

    def other(self, region: str) -> str:
        return self.replica if region == self.source else self.source


def _need(outputs: dict[str, Any], stack: str, key: str) -> Any:
    if key not in outputs:
        raise DriverError(
            f"stack {stack} has no output {key!r}: run `python -m deploy up --stack {stack}` first", EXIT_ENVIRONMENT
        )
    return outputs[key]


def load_deployment(backend: StackBackend) -> Deployment:
    primary, secondary = backend.outputs("primary"), backend.outputs("secondary")
    source, replica = _need(primary, "primary", "region"), _need(secondary, "secondary", "region")
    return Deployment(
        source=source,
        replica=replica,
        instance_id=_need(primary, "primary", "instanceId"),
        default_tdg_arn=_need(primary, "primary", "defaultTdgArn"),
        tdg_arns=list(_need(primary, "primary", "trafficDistributionGroupArns")),
        config_table=_need(primary, "primary", "tableNames")["config"],
        health_alarm=_need(primary, "primary", "healthAlarm"),
        controllers={
            source: _need(primary, "primary", "failoverController"),
            replica: _need(secondary, "secondary", "failoverController"),
        },
        consumers={
            source: _need(primary, "primary", "streamSyncConsumer"),
            replica: _need(secondary, "secondary", "streamSyncConsumer"),
        },
    )
