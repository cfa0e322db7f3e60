"""Failover timing on a virtual clock, through the deployed controller code path, as configured.

Every invocation is `controller.evaluate` with its region's config table (state written and read back
between invocations as in Lambda), the traffic groups and alarms faked to botocore's models
(bench/failover_world.py). The settings are the stacks' `failover` section (Pulumi.yaml and the stack
files, validated as `pulumi up` does), turned into each controller's settings by the same code as the
deployed function (the component's environment, read back by the handler). The alarm model: the
ThrottledCalls alarm as configured, one throttled call per second of outage; AWS/Connect publishes one
datapoint per minute, visible a metric delay after its minute ends (the assumption varied below); each
alarm evaluates once a minute over the datapoints visible then (missing = not breaching); a state change
reaches both controllers through EventBridge within seconds (the other region's via forwarding); each
controller also sweeps every minute.
"""

import heapq
import random
import statistics
from dataclasses import dataclass, field

from bench.failover_world import DEFAULT_ARN, EAST, WEST, World, desired_document, other
from bench.failover_world import Settings as ControllerSettings
from bench.fake_aws import MemoryTable

THROTTLED_PER_SECOND = 1.0


@dataclass(frozen=True)
class AlarmSettings:
    threshold: float
    evaluation_periods: int
    datapoints_to_alarm: int

    def __str__(self) -> str:
        return f"{self.datapoints_to_alarm} of {self.evaluation_periods} above {self.threshold:g}"


@dataclass(frozen=True)
class Configured:
    """The stacks' failover settings: each region's controller settings and the ThrottledCalls alarm."""

    controllers: dict[str, ControllerSettings]
    alarm: AlarmSettings


def configured() -> Configured:
    """Both stacks' validated config; the source region's stack plays us-east-1 here, the replica's us-west-2."""
    from bench.lambda_modules import lambda_handler
    from components.failover import decision_environment
    from deploy.plan import load_offline_stacks
    from deploy.stack_files import validate_stack_file

    settings_from = lambda_handler("failover_controller").settings_from
    controllers, alarms = {}, set()
    for stack in load_offline_stacks().values():
        cfg = validate_stack_file(stack).stack
        tie_breaker = (cfg.failover.tie_breaker == "source") == cfg.is_primary
        region = EAST if cfg.is_primary else WEST
        controllers[region] = settings_from(decision_environment(cfg.failover, tie_breaker))
        throttled = cfg.failover.alarms.throttled_calls
        alarms.add(AlarmSettings(throttled.threshold, throttled.evaluation_periods, throttled.datapoints_to_alarm))
    (alarm,) = alarms
    return Configured(controllers, alarm)


@dataclass(frozen=True)
class MetricDelay:
    low: float
    high: float

    def __str__(self) -> str:
        return f"{self.low:.0f}-{self.high:.0f} s"


@dataclass
class Signal:
    """One region's breaching seconds per minute (the outage), datapoint delays, alarm evaluation offset."""

    bad_seconds: dict[int, float] = field(default_factory=dict)
    delays: dict[int, float] = field(default_factory=dict)
    evaluation_offset: float = 0.0


class Simulation:
    """Both regions' alarms driven by the metric model; both controllers run the deployed code path."""

    def __init__(self, seed: int, config: Configured, alarm: AlarmSettings, delay: MetricDelay) -> None:
        self.rng = random.Random(seed)
        self.alarm, self.delay = alarm, delay
        self.world = World({EAST: MemoryTable(), WEST: MemoryTable()}, config.controllers)
        self.world.write_desired(desired_document())
        self.signals = {region: Signal(evaluation_offset=self.rng.uniform(0, 60)) for region in (EAST, WEST)}
        self.events: list[tuple[float, int, str, str]] = []
        self.sequence = self.scheduled_minutes = 0

    def schedule(self, at: float, kind: str, region: str) -> None:
        self.sequence += 1
        heapq.heappush(self.events, (at, self.sequence, kind, region))

    def outage(self, region: str, start: float, end: float) -> None:
        for minute in range(int(start // 60), int(end // 60) + 1):
            overlap = min(end, (minute + 1) * 60) - max(start, minute * 60)
            if overlap > 0:
                self.signals[region].bad_seconds[minute] = overlap

    def _visible_breaches(self, region: str, now: float) -> list[bool]:
        signal, points = self.signals[region], []
        for minute in range(int(now // 60) - 1, int(now // 60) - 12, -1):
            delay = signal.delays.setdefault(minute, self.rng.uniform(self.delay.low, self.delay.high))
            if (minute + 1) * 60 + delay <= now:
                points.append(signal.bad_seconds.get(minute, 0.0) * THROTTLED_PER_SECOND > self.alarm.threshold)
            if len(points) == self.alarm.evaluation_periods:
                break
        return points

    def run(self, until: float) -> None:
        """Advance to `until`, scheduling alarm evaluations and sweeps for the minutes not yet scheduled."""
        for region in (EAST, WEST):
            for minute in range(self.scheduled_minutes, int(until // 60) + 2):
                self.schedule(minute * 60 + self.signals[region].evaluation_offset, "alarm", region)
                self.schedule(minute * 60 + 5 + self.rng.uniform(0, 2), "sweep", region)
        self.scheduled_minutes = max(self.scheduled_minutes, int(until // 60) + 2)
        while self.events and self.events[0][0] <= until:
            now, _, kind, region = heapq.heappop(self.events)
            self.world.now = now
            if kind == "alarm":
                state = "ALARM" if sum(self._visible_breaches(region, now)) >= self.alarm.datapoints_to_alarm else "OK"
                if state != self.world.alarms[region].state:
                    self.world.alarms[region].set(state, now)
                    self.schedule(now + self.rng.uniform(1, 5), "event", region)
                    self.schedule(now + self.rng.uniform(2, 8), "event", other(region))
            else:
                self.world.invoke(region)

    def changes(self) -> list[tuple[float, int]]:
        """(time, us-east-1 share) of every change of the default group's split."""
        return [(at, shares[EAST]) for at, _, arn, shares in self.world.connect.updates if arn == DEFAULT_ARN]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def time_to_shift(runs: int, config: Configured, alarm: AlarmSettings, delay: MetricDelay) -> list[float]:
    results = []
    for seed in range(runs):
        sim = Simulation(seed, config, alarm, delay)
        start = sim.rng.uniform(600, 660)
        sim.outage(EAST, start, start + 3600)
        sim.run(start + 900)
        away = [at for at, share in sim.changes() if share == 0]
        results.append(away[0] - start if away else float("inf"))
    return results


def flapping(config: Configured, alarm: AlarmSettings, delay: MetricDelay) -> int:
    """A signal bad one minute and fine the next, for 30 minutes: how many times the split changed."""
    sim = Simulation(99, config, alarm, delay)
    for minute in range(10, 40, 2):
        sim.signals[EAST].bad_seconds[minute] = 60
    sim.run(60 * 42)
    return len(sim.changes())


def single_spikes(runs: int, config: Configured, alarm: AlarmSettings, delay: MetricDelay) -> int:
    false_failovers = 0
    for seed in range(runs):
        sim = Simulation(10_000 + seed, config, alarm, delay)
        sim.signals[EAST].bad_seconds[12] = 60
        sim.run(60 * 25)
        false_failovers += bool(sim.changes())
    return false_failovers


def time_to_failback(runs: int, config: Configured, alarm: AlarmSettings, delay: MetricDelay) -> list[float]:
    results = []
    for seed in range(runs):
        sim = Simulation(20_000 + seed, config, alarm, delay)
        start = sim.rng.uniform(600, 660)
        end = start + 1200
        sim.outage(EAST, start, end)
        sim.run(end + 3600)
        back = [at for at, share in sim.changes() if share == 50 and at > end]
        results.append(back[0] - end if back else float("inf"))
    return results


def cut_link_changes(config: Configured, minutes: int = 15) -> int:
    """Both regions healthy, alarm reads across regions and replication cut: changes of the split."""
    sim = Simulation(7, config, config.alarm, MetricDelay(60, 90))
    sim.run(300)
    sim.world.cut()
    sim.run(300 + minutes * 60)
    return len(sim.changes())


def report(config: Configured, alarm: AlarmSettings, delay: MetricDelay, runs: int, full: bool) -> None:
    shifts = time_to_shift(runs, config, alarm, delay)
    print(
        f"  alarms {alarm}, metric delay {delay}: outage -> shift p50 {statistics.median(shifts):.0f} s, "
        f"p95 {percentile(shifts, 0.95):.0f} s, max {max(shifts):.0f} s ({runs} outages)"
    )
    if not full:
        return
    print(f"    a signal flapping every minute for 30 minutes: {flapping(config, alarm, delay)} change(s) of the split")
    spikes = single_spikes(runs // 4, config, alarm, delay)
    print(f"    single bad datapoints: {spikes} false failover(s) in {runs // 4} runs")
    failback = time_to_failback(runs // 10, config, alarm, delay)
    print(f"    recovery -> failback: p50 {statistics.median(failback):.0f} s, max {max(failback):.0f} s")


def main(runs: int = 400) -> None:
    config = configured()
    east, west = config.controllers[EAST], config.controllers[WEST]
    print("failover controller, deployed code path (state through the config table), virtual clock")
    print(
        f"  as configured: ThrottledCalls alarm {config.alarm}; failback after "
        f"{east.healthy_evaluations_before_failback} healthy sweeps and a {east.cooldown_seconds:.0f} s cooldown; "
        f"tie-breaker {EAST if east.tie_breaker else WEST if west.tie_breaker else 'none'}"
    )
    for delay in (MetricDelay(30, 60), MetricDelay(60, 90), MetricDelay(90, 150)):
        report(config, config.alarm, delay, runs, full=delay == MetricDelay(60, 90))
    one_of_one = AlarmSettings(config.alarm.threshold, 1, 1)
    report(config, one_of_one, MetricDelay(60, 90), runs, full=True)
    changes = cut_link_changes(config)
    print(f"  link between the regions cut for 15 minutes, both healthy: {changes} change(s) of the split")
