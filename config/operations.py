"""Operational tuning: data sync, failover controller, alarms, recordings and alerts."""

import json
import re
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator, model_validator

from config.base import ConfigModel


class DataSync(ConfigModel):
    """Kinesis streams and the stream_sync consumer; RPO = batching window + replication."""

    shard_count: Annotated[int, Field(ge=1, le=64)] = 1
    retention_hours: Annotated[int, Field(ge=24, le=8760)] = 24
    batch_size: Annotated[int, Field(ge=1, le=10000)] = 500
    batching_window_seconds: Annotated[int, Field(ge=0, le=1)] = 1
    parallelization_factor: Annotated[int, Field(ge=1, le=10)] = 2
    max_retries: Annotated[int, Field(ge=0, le=10)] = 10
    """stream_sync reports only transient failures (poison is dead-lettered), and each partial retry counts:
    `make bench` loses records under sustained throttling with 3, none with 10."""
    max_record_age_seconds: Annotated[int, Field(ge=60, le=604800)] = 3600
    iterator_age_alarm_seconds: Annotated[int, Field(ge=1, le=86400)] = 60
    replication_latency_alarm_ms: Annotated[int, Field(ge=100, le=3_600_000)] = 5000


class HealthAlarm(ConfigModel):
    """A CloudWatch alarm on an AWS/Connect metric: breaches when the sum over a minute exceeds it."""

    threshold: Annotated[float, Field(ge=0)]
    evaluation_periods: Annotated[int, Field(ge=1, le=10)] = 2
    datapoints_to_alarm: Annotated[int, Field(ge=1, le=10)] = 2

    @model_validator(mode="after")
    def _m_of_n(self) -> "HealthAlarm":
        if self.datapoints_to_alarm > self.evaluation_periods:
            raise ValueError(
                f"datapointsToAlarm ({self.datapoints_to_alarm}) cannot exceed "
                f"evaluationPeriods ({self.evaluation_periods})"
            )
        return self


class HealthAlarms(ConfigModel):
    """Thresholds for the region-health signals; any one in ALARM makes the region unhealthy."""

    throttled_calls: HealthAlarm = HealthAlarm(threshold=5)
    calls_breaching_concurrency_quota: HealthAlarm = HealthAlarm(threshold=5)
    contact_flow_fatal_errors: HealthAlarm = HealthAlarm(threshold=3)
    to_instance_packet_loss_rate: HealthAlarm = HealthAlarm(threshold=0.05)

    @field_validator("to_instance_packet_loss_rate")
    @classmethod
    def _rate_can_fire(cls, alarm: HealthAlarm) -> HealthAlarm:
        if not 0 < alarm.threshold < 1:
            raise ValueError(
                f"threshold {alarm.threshold} is a loss rate (0..1); it must be above 0 and below 1 to fire"
            )
        return alarm


class Override(ConfigModel):
    """Manual override: none, force all traffic to one region, or freeze the current split."""

    mode: Literal["none", "force", "freeze"] = "none"
    region: str | None = None

    @model_validator(mode="after")
    def _force_names_region(self) -> "Override":
        if (self.mode == "force") != (self.region is not None):
            raise ValueError("region is required with mode 'force' and only allowed with it")
        return self


IAM_PRINCIPAL_ARN = re.compile(r"^arn:aws[a-z-]*:iam::\d{12}:(root|(role|user)/[\w+=,.@/-]{1,512})$")
TRUST_POLICY_LIMIT = 2048
"""IAM's default limit on a role trust policy, in characters without whitespace."""


def approval_trust_policy(approvers: list[str]) -> dict[str, Any]:
    """The approval role's trust policy: only the named principals may assume it."""
    return {
        "Version": "2012-10-17",
        "Statement": [{"Effect": "Allow", "Principal": {"AWS": sorted(approvers)}, "Action": "sts:AssumeRole"}],
    }


class RegionSwitchApproval(ConfigModel):
    """Who approves a Region switch execution before it moves calls: IAM roles or users allowed to assume the
    plan's approval role. No approvers: the plan has no approval step."""

    approvers: Annotated[list[str], Field(max_length=20)] = []
    timeout_minutes: Annotated[int, Field(ge=1, le=1440)] = 60

    @field_validator("approvers")
    @classmethod
    def _principal_arns(cls, approvers: list[str]) -> list[str]:
        wrong = [arn for arn in approvers if not IAM_PRINCIPAL_ARN.match(arn)]
        if wrong:
            raise ValueError(
                f"{', '.join(repr(arn) for arn in wrong)}: each approver must be the ARN of an IAM role or user "
                "(arn:aws:iam::<12-digit account>:role/<name> or :user/<name>) or of an account (:root)"
            )
        if len(set(approvers)) != len(approvers):
            raise ValueError("each approver may be listed only once")
        size = len(json.dumps(approval_trust_policy(approvers), separators=(",", ":")))
        if size > TRUST_POLICY_LIMIT:
            raise ValueError(
                f"the approval role's trust policy naming them would be {size:,} characters; IAM allows "
                f"{TRUST_POLICY_LIMIT:,}: name fewer approvers, or a role they can all assume"
            )
        return approvers


class RegionSwitchTriggers(ConfigModel):
    """Start the plan when a region's health alarm is in ALARM (off: the failover controller already acts on
    the same alarms within seconds; see README, Region switch)."""

    enabled: bool = False
    min_delay_minutes_between_executions: Annotated[int, Field(ge=1, le=10080)] = 60


class RegionSwitch(ConfigModel):
    """An ARC Region switch plan that drives the failover controller: deactivating a region forces all calls
    to the other through an override in the desired item; activating it clears that override."""

    enabled: bool = False
    approval: RegionSwitchApproval = RegionSwitchApproval()
    triggers: RegionSwitchTriggers = RegionSwitchTriggers()
    await_timeout_minutes: Annotated[int, Field(ge=5, le=1440)] = 20
    """How long the plan waits for GetTrafficDistribution to show the split (failback may wait for the
    controller's hysteresis and cooldown)."""
    recovery_time_objective_minutes: Annotated[int, Field(ge=1, le=10080)] = 15


ONE_BURST_SECONDS = 90
"""Calls failing for one minute, their contact records counted over up to 30 s more (they arrive spread out):
the fast alarm's datapoints must span longer than that, so one such burst (one bad datapoint of the one-minute
alarms) or a signal failing every other minute cannot fire it (`make bench`)."""


class FastSignal(ConfigModel):
    """Calls failing in the region, seen within seconds: stream_sync counts the contact records of failed calls
    (`connectdr` FailedCalls, a high-resolution metric) and an alarm watches it over periods of 10-30 s. With
    `confirmation: alarms` it makes the region unhealthy only together with one breaching datapoint of the
    AWS/Connect signals within `confirmWithinMinutes` (two independent sources); with `none`, on its own."""

    enabled: bool = True
    threshold: Annotated[float, Field(ge=0)] = 2
    """Failed calls per period above which a period breaches."""
    period_seconds: Literal[10, 20, 30] = 10
    evaluation_periods: Annotated[int, Field(ge=1, le=60)] = 11
    datapoints_to_alarm: Annotated[int, Field(ge=1, le=60)] = 10
    confirmation: Literal["alarms", "none"] = "alarms"
    confirm_within_minutes: Annotated[int, Field(ge=1, le=10)] = 3

    @model_validator(mode="after")
    def _longer_than_a_minute(self) -> "FastSignal":
        if self.datapoints_to_alarm > self.evaluation_periods:
            raise ValueError(
                f"datapointsToAlarm ({self.datapoints_to_alarm}) cannot exceed "
                f"evaluationPeriods ({self.evaluation_periods})"
            )
        if (span := (self.datapoints_to_alarm - 1) * self.period_seconds) < ONE_BURST_SECONDS:
            raise ValueError(
                f"(datapointsToAlarm - 1) x periodSeconds is {span} s: it must be at least {ONE_BURST_SECONDS} s, so "
                "that calls failing for one minute (their contact records counted over up to 30 s more) cannot fire "
                "the alarm"
            )
        return self


class Failback(ConfigModel):
    """How a recovered region gets its share back: `stepPercent` more of each group's calls every
    `intervalMinutes` up to the desired split (100: all at once)."""

    step_percent: Annotated[int, Field(ge=10, le=100)] = 10
    interval_minutes: Annotated[int, Field(ge=1, le=60)] = 1

    @field_validator("step_percent")
    @classmethod
    def _tens(cls, step: int) -> int:
        if step % 10:
            raise ValueError("must be a multiple of 10 (traffic distribution moves in steps of 10%)")
        return step


class Failover(ConfigModel):
    """How the controller decides: hysteresis before failback, cooldown after each failover, and which
    region's controller acts when neither can see the other (the tie-breaker: `source` or `replica`)."""

    healthy_evaluations_before_failback: Annotated[int, Field(ge=1, le=60)] = 5
    cooldown_minutes: Annotated[int, Field(ge=0, le=1440)] = 10
    tie_breaker: Literal["source", "replica"] = "source"
    alarms: HealthAlarms = HealthAlarms()
    fast_signal: FastSignal = FastSignal()
    failback: Failback = Failback()
    override: Override = Override()
    region_switch: RegionSwitch = RegionSwitch()


class Recordings(ConfigModel):
    """Call recordings bucket lifecycle (days after creation)."""

    glacier_after_days: Annotated[int, Field(ge=1, le=3650)] = 30
    expire_after_days: Annotated[int, Field(ge=2, le=3650)] = 90

    @model_validator(mode="after")
    def _expire_after_transition(self) -> "Recordings":
        if self.expire_after_days <= self.glacier_after_days:
            raise ValueError(
                f"expireAfterDays ({self.expire_after_days}) must be after glacierAfterDays ({self.glacier_after_days})"
            )
        return self


class Alerts(ConfigModel):
    """Where alerts go: an e-mail subscribed to each region's SNS topic."""

    email: Annotated[str, Field(pattern=r"^[^@\s]+@[^@\s]+\.[A-Za-z]{2,}$")]
