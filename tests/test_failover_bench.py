"""The failover bench runs the controllers as the stacks configure them: the `failover` section validated
from Pulumi.yaml and the stack files, through the environment the component writes and the handler reads."""

from conftest import load_lambda

from bench.failover_rto import AlarmSettings, MetricDelay, configured, time_to_shift
from bench.failover_world import EAST, WEST
from deploy.plan import load_offline_stacks
from deploy.stack_files import validate_stack_file

load_lambda("failover_controller")


def test_the_bench_takes_the_configured_failover_section_through_the_deployed_conversion():
    stacks = {name: validate_stack_file(stack).stack for name, stack in load_offline_stacks().items()}
    failover = stacks["primary"].failover
    config = configured()
    for region in (EAST, WEST):
        settings = config.controllers[region]
        assert settings.healthy_evaluations_before_failback == failover.healthy_evaluations_before_failback
        assert settings.cooldown_seconds == failover.cooldown_minutes * 60
    source_breaks_ties = failover.tie_breaker == "source"
    assert (config.controllers[EAST].tie_breaker, config.controllers[WEST].tie_breaker) == (
        source_breaks_ties,
        not source_breaks_ties,
    )
    throttled = failover.alarms.throttled_calls
    assert config.alarm == AlarmSettings(
        throttled.threshold, throttled.evaluation_periods, throttled.datapoints_to_alarm
    )


def test_an_outage_in_the_bench_moves_traffic():
    shifts = time_to_shift(3, configured(), configured().alarm, MetricDelay(60, 90))
    assert all(shift != float("inf") for shift in shifts)
