"""Failover timing on a virtual clock, through the deployed controller code path, as configured.

Every invocation is `controller.evaluate` with its region's config table (state written and read back
between invocations as in Lambda), the traffic groups and alarms faked to botocore's models
(bench/failover_world.py). The settings are the stacks' `failover` section (Pulumi.yaml and the stack
files, validated as `pulumi up` does), turned into each controller's settings by the same code as the
deployed function (the component's environment, read back by the handler).

The signal model. An outage throttles one call per second (AWS/Connect ThrottledCalls) and fails one call per
second (the contact records stream_sync counts as FailedCalls). AWS/Connect publishes one datapoint per minute,
visible a metric delay after its minute ends (the assumption varied below); its alarms (the sustained one as
configured, and the confirming one on one datapoint within the confirmation window) evaluate once a minute over
the datapoints visible then (missing = not breaching). A failed call reaches the FailedCalls metric a contact-
record delay after it ends (stream_sync's one-second batching window included; an assumption varied below),
stamped with the time stream_sync writes it, and is visible to the high-resolution alarm INGEST_SECONDS later;
that alarm evaluates every period. The region's composite health alarm is the health rule of the component
(components/health_rule.py) over its children's states and changes as soon as a child does; a change reaches
both controllers through EventBridge within seconds (the other region's via forwarding); each controller also
sweeps every minute.
"""

import bisect
import heapq
import random
import statistics
from dataclasses import dataclass, field, replace

from bench.failover_world import DEFAULT_ARN, EAST, WEST, World, desired_document, other
from bench.failover_world import Settings as ControllerSettings
from bench.fake_aws import MemoryTable
from components.health_rule import HealthRule

THROTTLED_PER_SECOND = 1.0
FAILED_PER_SECOND = 1.0
INGEST_SECONDS = 3.0
"""From stream_sync's log line to a datapoint the high-resolution alarm reads (CloudWatch Logs extracting the
embedded metrics): an assumption, small beside the contact-record delay."""


@dataclass(frozen=True)
class AlarmSettings:
    threshold: float
    evaluation_periods: int
    datapoints_to_alarm: int

    def __str__(self) -> str:
        return f"{self.datapoints_to_alarm} of {self.evaluation_periods} above {self.threshold:g}"


@dataclass(frozen=True)
class Delay:
    """Seconds, drawn uniformly between `low` and `high`."""

    low: float
    high: float

    def __str__(self) -> str:
        return f"{self.low:.0f}-{self.high:.0f} s"


MetricDelay = Delay
"""AWS/Connect's datapoint delay after its minute ends."""


@dataclass(frozen=True)
class FastSignal:
    """The high-resolution FailedCalls alarm and how the health rule uses it."""

    threshold: float
    period: int
    evaluation_periods: int
    datapoints_to_alarm: int
    confirm_minutes: int | None
    """The confirmation window (one AWS/Connect datapoint breaching within it); None: the fast alarm alone."""

    def __str__(self) -> str:
        how = f"confirmed within {self.confirm_minutes} min" if self.confirm_minutes else "alone"
        return f"fast {self.datapoints_to_alarm} of {self.evaluation_periods} x {self.period} s, {how}"


@dataclass(frozen=True)
class Detection:
    """What makes a region unhealthy: the AWS/Connect alarm, and the fast signal (None: the alarm alone) with the
    contact-record delay assumed for it."""

    alarm: AlarmSettings
    fast: FastSignal | None
    record_delay: Delay = Delay(5, 30)

    def __str__(self) -> str:
        alarm = f"alarms {self.alarm}"
        return f"{alarm}; {self.fast}, contact-record delay {self.record_delay}" if self.fast else alarm


@dataclass(frozen=True)
class Configured:
    """The stacks' failover settings: each region's controller settings and the health signals."""

    controllers: dict[str, ControllerSettings]
    alarm: AlarmSettings
    fast: FastSignal | None

    @property
    def detection(self) -> Detection:
        return Detection(self.alarm, self.fast)


def configured() -> Configured:
    """Both stacks' validated config; the source region's stack plays us-east-1 here, the replica's us-west-2."""
    from bench.lambda_modules import lambda_handler
    from components.failover import decision_environment
    from deploy.plan import load_offline_stacks
    from deploy.stack_files import validate_stack_file

    settings_from = lambda_handler("failover_controller").settings_from
    controllers, alarms, fasts = {}, set(), set()
    for stack in load_offline_stacks().values():
        cfg = validate_stack_file(stack).stack
        tie_breaker = (cfg.failover.tie_breaker == "source") == cfg.is_primary
        region = EAST if cfg.is_primary else WEST
        controllers[region] = settings_from(decision_environment(cfg.failover, tie_breaker))
        throttled, fast = cfg.failover.alarms.throttled_calls, cfg.failover.fast_signal
        alarms.add(AlarmSettings(throttled.threshold, throttled.evaluation_periods, throttled.datapoints_to_alarm))
        confirm = fast.confirm_within_minutes if fast.confirmation == "alarms" else None
        signal = FastSignal(
            fast.threshold, fast.period_seconds, fast.evaluation_periods, fast.datapoints_to_alarm, confirm
        )
        fasts.add(signal if fast.enabled else None)
    ((alarm,), (fast,)) = alarms, fasts
    return Configured(controllers, alarm, fast)


@dataclass
class Signal:
    """One region's sources: breaching seconds of ThrottledCalls per minute, AWS/Connect datapoint delays, the
    metric times of failed calls (sorted), and when its alarms evaluate."""

    bad_seconds: dict[int, float] = field(default_factory=dict)
    delays: dict[int, float] = field(default_factory=dict)
    failed: list[float] = field(default_factory=list)
    evaluation_offset: float = 0.0
    fast_offset: float = 0.0


class Simulation:
    """Both regions' health alarms driven by the signal model; both controllers run the deployed code path."""

    def __init__(self, seed: int, config: Configured, detection: Detection, delay: Delay) -> None:
        self.rng = random.Random(seed)
        self.detection, self.delay = detection, delay
        self.world = World({EAST: MemoryTable(), WEST: MemoryTable()}, config.controllers)
        self.world.write_desired(desired_document())
        fast = detection.fast
        self.rule = HealthRule(
            ("sustained",),
            "fast" if fast else None,
            ("confirming",) if fast and fast.confirm_minutes else (),
            fast_alone=bool(fast and not fast.confirm_minutes),
        )
        self.signals = {
            region: Signal(
                evaluation_offset=self.rng.uniform(0, 60), fast_offset=self.rng.uniform(0, fast.period if fast else 60)
            )
            for region in (EAST, WEST)
        }
        self.alarming: dict[str, set[str]] = {EAST: set(), WEST: set()}
        self.events: list[tuple[float, int, str, str]] = []
        self.sequence = self.scheduled_until = 0

    def schedule(self, at: float, kind: str, region: str) -> None:
        self.sequence += 1
        heapq.heappush(self.events, (at, self.sequence, kind, region))

    def throttle(self, region: str, start: float, end: float) -> None:
        """Calls throttled (AWS/Connect ThrottledCalls) from `start` to `end`."""
        for minute in range(int(start // 60), int(end // 60) + 1):
            overlap = min(end, (minute + 1) * 60) - max(start, minute * 60)
            if overlap > 0:
                self.signals[region].bad_seconds[minute] = self.signals[region].bad_seconds.get(minute, 0) + overlap

    def fail_calls(self, region: str, start: float, end: float) -> None:
        """Calls failing from `start` to `end`: each counted a contact-record delay after it ends."""
        record, times = self.detection.record_delay, []
        at = start + self.rng.uniform(0, 1 / FAILED_PER_SECOND)
        while at < end:
            times.append(at + self.rng.uniform(record.low, record.high))
            at += 1 / FAILED_PER_SECOND
        self.signals[region].failed = sorted(self.signals[region].failed + times)

    def outage(self, region: str, start: float, end: float) -> None:
        self.throttle(region, start, end)
        self.fail_calls(region, start, end)

    def _minutes_breaching(self, region: str, now: float, count: int) -> list[bool]:
        """The newest `count` AWS/Connect datapoints visible at `now` (missing ones are not breaching)."""
        signal, points = self.signals[region], []
        for minute in range(int(now // 60) - 1, int(now // 60) - 12, -1):
            delay = signal.delays.setdefault(minute, self.rng.uniform(self.delay.low, self.delay.high))
            if (minute + 1) * 60 + delay <= now:
                points.append(
                    signal.bad_seconds.get(minute, 0.0) * THROTTLED_PER_SECOND > self.detection.alarm.threshold
                )
            if len(points) == count:
                break
        return points

    def _fast_breaching(self, region: str, now: float, fast: FastSignal) -> int:
        """How many of the newest complete periods the alarm can read at `now` have more failed calls than the
        threshold."""
        failed, breaching = self.signals[region].failed, 0
        newest_end = (now - INGEST_SECONDS) // fast.period * fast.period
        for index in range(fast.evaluation_periods):
            end = newest_end - index * fast.period
            count = bisect.bisect_left(failed, end) - bisect.bisect_left(failed, end - fast.period)
            breaching += count > fast.threshold
        return breaching

    def _set(self, region: str, name: str, on: bool, now: float) -> None:
        """A child alarm's state; the composite follows at once, and its changes reach both controllers."""
        children = self.alarming[region]
        children.add(name) if on else children.discard(name)
        state = "ALARM" if self.rule.in_alarm(children) else "OK"
        if state != self.world.alarms[region].state:
            self.world.alarms[region].set(state, now)
            self.schedule(now + self.rng.uniform(1, 5), "event", region)
            self.schedule(now + self.rng.uniform(2, 8), "event", other(region))

    def run(self, until: float) -> None:
        """Advance to `until`, scheduling alarm evaluations and sweeps not scheduled yet."""
        fast = self.detection.fast
        for region in (EAST, WEST):
            signal = self.signals[region]
            for minute in range(self.scheduled_until // 60, int(until // 60) + 2):
                self.schedule(minute * 60 + signal.evaluation_offset, "alarm", region)
                self.schedule(minute * 60 + 5 + self.rng.uniform(0, 2), "sweep", region)
                for tick in range(0, 60, fast.period if fast else 60):
                    if fast:
                        self.schedule(minute * 60 + tick + signal.fast_offset, "fast", region)
        self.scheduled_until = max(self.scheduled_until, (int(until // 60) + 2) * 60)
        alarm = self.detection.alarm
        while self.events and self.events[0][0] <= until:
            now, _, kind, region = heapq.heappop(self.events)
            self.world.now = now
            if kind == "alarm":
                points = self._minutes_breaching(region, now, max(alarm.evaluation_periods, self._confirm_minutes()))
                self._set(
                    region, "sustained", sum(points[: alarm.evaluation_periods]) >= alarm.datapoints_to_alarm, now
                )
                if self._confirm_minutes():
                    self._set(region, "confirming", any(points[: self._confirm_minutes()]), now)
            elif kind == "fast" and fast is not None:
                self._set(region, "fast", self._fast_breaching(region, now, fast) >= fast.datapoints_to_alarm, now)
            else:
                self.world.invoke(region)

    def _confirm_minutes(self) -> int:
        fast = self.detection.fast
        return (fast.confirm_minutes or 0) if fast else 0

    def changes(self) -> list[tuple[float, int]]:
        """(time, us-east-1 share) of every change of the default group's split."""
        return [(at, shares[EAST]) for at, _, arn, shares in self.world.connect.updates if arn == DEFAULT_ARN]


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def time_to_shift(
    runs: int, config: Configured, alarm: AlarmSettings, delay: Delay, detection: Detection | None = None
) -> list[float]:
    """Outage start -> the split sending nothing to the failed region, per run (`detection` defaults to the
    AWS/Connect alarm `alarm` alone)."""
    detection = detection or Detection(alarm, None)
    results = []
    for seed in range(runs):
        sim = Simulation(seed, config, detection, delay)
        start = sim.rng.uniform(600, 660)
        sim.outage(EAST, start, start + 3600)
        sim.run(start + 900)
        away = [at for at, share in sim.changes() if share == 0]
        results.append(away[0] - start if away else float("inf"))
    return results


def flapping(config: Configured, detection: Detection, delay: Delay) -> int:
    """Calls failing one minute and fine the next, for 30 minutes: how many times the split changed."""
    sim = Simulation(99, config, detection, delay)
    for minute in range(10, 40, 2):
        sim.outage(EAST, minute * 60, minute * 60 + 60)
    sim.run(60 * 42)
    return len(sim.changes())


NOISE = {
    "single bad AWS/Connect datapoints": lambda sim: sim.throttle(EAST, 720, 780),
    "one minute of failing calls (both sources)": lambda sim: sim.outage(EAST, 720 + sim.rng.uniform(0, 60), 780),
    "3 minutes of failed-call records alone (a noisy fast source)": lambda sim: sim.fail_calls(EAST, 720, 900),
}


def false_failovers(runs: int, config: Configured, detection: Detection, delay: Delay, noise: str) -> int:
    moved = 0
    for seed in range(runs):
        sim = Simulation(10_000 + seed, config, detection, delay)
        NOISE[noise](sim)
        sim.run(60 * 25)
        moved += bool(sim.changes())
    return moved


def time_to_failback(runs: int, config: Configured, detection: Detection, delay: Delay) -> list[float]:
    """Recovery -> the desired split back in full."""
    results = []
    for seed in range(runs):
        sim = Simulation(20_000 + seed, config, detection, delay)
        start = sim.rng.uniform(600, 660)
        end = start + 1200
        sim.outage(EAST, start, end)
        sim.run(end + 3600)
        back = [at for at, share in sim.changes() if share == 50 and at > end]
        results.append(back[0] - end if back else float("inf"))
    return results


def cut_link_changes(config: Configured, minutes: int = 15) -> int:
    """Both regions healthy, alarm reads across regions and replication cut: changes of the split."""
    sim = Simulation(7, config, config.detection, Delay(60, 90))
    sim.run(300)
    sim.world.cut()
    sim.run(300 + minutes * 60)
    return len(sim.changes())


def shift_line(label: str, shifts: list[float]) -> str:
    slowest = max(shifts)
    shown = "never" if slowest == float("inf") else f"{slowest:.0f} s"
    return (
        f"  {label}: outage -> shift p50 {statistics.median(shifts):.0f} s, p95 {percentile(shifts, 0.95):.0f} s, "
        f"max {shown} ({len(shifts)} outages)"
    )


def report(config: Configured, detection: Detection, delay: Delay, runs: int, full: bool) -> None:
    shifts = time_to_shift(runs, config, detection.alarm, delay, detection)
    print(shift_line(f"{detection}, metric delay {delay}", shifts))
    if not full:
        return
    print(f"    calls failing every other minute for 30 minutes: {flapping(config, detection, delay)} change(s)")
    for noise in NOISE:
        moved = false_failovers(runs // 4, config, detection, delay, noise)
        print(f"    {noise}: {moved} false failover(s) in {runs // 4} runs")


def main(runs: int = 400) -> None:
    config = configured()
    east, west = config.controllers[EAST], config.controllers[WEST]
    tie_breaker = EAST if east.tie_breaker else WEST if west.tie_breaker else "none"
    print("failover controller, deployed code path (state through the config table), virtual clock")
    print(
        f"  as configured: {config.detection}; failback after {east.healthy_evaluations_before_failback} healthy "
        f"sweeps and a {east.cooldown_seconds:.0f} s cooldown, {east.failback_step_percent}% per "
        f"{east.failback_interval_seconds:.0f} s; tie-breaker {tie_breaker}"
    )
    alarms_alone = Detection(config.alarm, None)
    report(config, alarms_alone, Delay(60, 90), runs, full=True)
    for delay in (Delay(30, 60), Delay(60, 90), Delay(90, 150)):
        report(config, config.detection, delay, runs, full=delay == Delay(60, 90))
    if config.fast is not None:
        print("  sensitivity to the contact-record delay (AWS publishes no figure), metric delay 60-90 s:")
        alone = replace(config.fast, confirm_minutes=None)
        for record in (Delay(5, 15), Delay(15, 45), Delay(45, 90)):
            report(config, replace(config.detection, record_delay=record), Delay(60, 90), runs // 2, full=False)
        for record in (Delay(5, 15), Delay(5, 30), Delay(15, 45), Delay(45, 90)):
            fast_alone = Detection(config.alarm, alone, record)
            report(config, fast_alone, Delay(60, 90), runs // 2, full=record == Delay(5, 30))
    one_of_one = Detection(AlarmSettings(config.alarm.threshold, 1, 1), None)
    report(config, one_of_one, Delay(60, 90), runs, full=True)
    step = east.failback_step_percent
    for label, percent in ((f"{step}% per {east.failback_interval_seconds:.0f} s", step), ("one step", 100)):
        stepped = {region: replace(s, failback_step_percent=percent) for region, s in config.controllers.items()}
        back = time_to_failback(
            max(runs // 10, 5), replace(config, controllers=stepped), config.detection, Delay(60, 90)
        )
        print(
            f"  recovery -> desired split back in full, {label}: p50 {statistics.median(back):.0f} s, "
            f"max {max(back):.0f} s"
        )
    changes = cut_link_changes(config)
    print(f"  link between the regions cut for 15 minutes, both healthy: {changes} change(s) of the split")
