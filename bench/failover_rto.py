"""Failover timing on a virtual clock: outage -> traffic shift, flapping, single bad datapoints, failback.

The model: AWS/Connect publishes one datapoint per minute, visible 60-90 s after its minute ends; each
alarm evaluates once a minute over the datapoints visible then (missing = not breaching); a state change
reaches each region's controller through EventBridge within seconds (the other region's via forwarding);
each controller also sweeps every minute. Decisions come from the controller's own `decide`.
"""

import heapq
import random
import statistics
import sys
from dataclasses import dataclass, field, replace
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "lambdas" / "failover_controller"))
from decisions import HEALTHY, UNHEALTHY, Memory, Observation, Override, Settings, Split, decide

EAST, WEST = "us-east-1", "us-west-2"
THROTTLED_PER_SECOND = 1.0


@dataclass(frozen=True)
class AlarmSettings:
    threshold: float = 5
    evaluation_periods: int = 2
    datapoints_to_alarm: int = 2


@dataclass
class Region:
    """One region's breaching seconds per minute (the outage), datapoint delays and alarm evaluation offset."""

    bad_seconds: dict[int, float] = field(default_factory=dict)
    delays: dict[int, float] = field(default_factory=dict)
    evaluation_offset: float = 0.0
    alarm: str = HEALTHY
    alarm_since: float = 0.0


def visible_breaches(region: Region, now: float, alarm: AlarmSettings, rng: random.Random) -> list[bool]:
    minute = int(now // 60)
    points = []
    for m in range(minute - 1, minute - 10, -1):
        delay = region.delays.setdefault(m, rng.uniform(60, 90))
        if (m + 1) * 60 + delay <= now:
            points.append(region.bad_seconds.get(m, 0.0) * THROTTLED_PER_SECOND > alarm.threshold)
        if len(points) == alarm.evaluation_periods:
            break
    return points


class Simulation:
    """Two regions, two controllers, one shared split, on a virtual clock."""

    def __init__(self, seed: int, settings: Settings, alarm: AlarmSettings) -> None:
        self.rng = random.Random(seed)
        self.settings, self.alarm_settings = settings, alarm
        self.desired = Split({EAST: 50, WEST: 50}, {EAST: 50, WEST: 50}, {EAST: True, WEST: True})
        self.current = self.desired
        self.regions = {r: Region(evaluation_offset=self.rng.uniform(0, 60)) for r in (EAST, WEST)}
        self.memory = {EAST: Memory(), WEST: Memory()}
        self.shared: tuple[float | None, str | None] = (None, None)
        self.reports: dict[str, tuple[str, float]] = {}
        self.shifts: list[tuple[float, str, str]] = []
        self.events: list[tuple[float, int, str, str]] = []
        self.sequence = 0

    def schedule(self, at: float, kind: str, region: str) -> None:
        self.sequence += 1
        heapq.heappush(self.events, (at, self.sequence, kind, region))

    def run(self, until: float) -> None:
        for region in self.regions:
            for minute in range(int(until // 60) + 2):
                self.schedule(minute * 60 + self.regions[region].evaluation_offset, "evaluate-alarm", region)
                self.schedule(minute * 60 + 5 + self.rng.uniform(0, 2), "sweep", region)
        while self.events and self.events[0][0] <= until:
            now, _, kind, region = heapq.heappop(self.events)
            if kind == "evaluate-alarm":
                self.evaluate_alarm(region, now)
            else:
                self.invoke(region, now)

    def evaluate_alarm(self, region: str, now: float) -> None:
        state = self.regions[region]
        points = visible_breaches(state, now, self.alarm_settings, self.rng)
        alarm = UNHEALTHY if sum(points) >= self.alarm_settings.datapoints_to_alarm else HEALTHY
        if alarm != state.alarm:
            state.alarm, state.alarm_since = alarm, now
            self.schedule(now + self.rng.uniform(1, 5), "event", region)
            other = WEST if region == EAST else EAST
            self.schedule(now + self.rng.uniform(2, 8), "event", other)

    def invoke(self, region: str, now: float) -> None:
        other = WEST if region == EAST else EAST
        memory = replace(self.memory[region], last_shift_at=self.shared[0], failed_away_from=self.shared[1])
        report, at = self.reports.get(other, (None, None))
        observation = Observation(
            self.regions[region].alarm, self.regions[other].alarm, self.regions[other].alarm_since, report, at
        )
        decision = decide(
            desired=self.desired,
            current=self.current,
            own_region=region,
            other_region=other,
            observation=observation,
            memory=memory,
            override=Override(),
            now=now,
            settings=self.settings,
        )
        self.memory[region] = decision.memory
        self.reports[region] = (self.regions[region].alarm, now + 1.0)
        if decision.target is not None:
            self.current = decision.target
            self.shared = (decision.memory.last_shift_at, decision.memory.failed_away_from)
            self.shifts.append((now + 1.0, region, decision.action))


def outage(sim: Simulation, region: str, start: float, end: float) -> None:
    for minute in range(int(start // 60), int(end // 60) + 1):
        overlap = min(end, (minute + 1) * 60) - max(start, minute * 60)
        if overlap > 0:
            sim.regions[region].bad_seconds[minute] = overlap


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(share * len(ordered)))]


def time_to_shift(runs: int, settings: Settings, alarm: AlarmSettings) -> list[float]:
    results = []
    for seed in range(runs):
        sim = Simulation(seed, settings, alarm)
        start = sim.rng.uniform(600, 660)
        outage(sim, EAST, start, start + 3600)
        sim.run(start + 900)
        away = [at for at, region, action in sim.shifts if action == "failover" and region == WEST]
        results.append(away[0] - start if away else float("inf"))
    return results


def flapping(settings: Settings, alarm: AlarmSettings) -> tuple[int, int]:
    """A signal that is bad one minute and fine the next, for 30 minutes."""
    sim = Simulation(99, settings, alarm)
    for minute in range(10, 40, 2):
        sim.regions[EAST].bad_seconds[minute] = 60
    flapping_until = 60 * 42
    sim.run(flapping_until)
    away = sum(1 for _, region, action in sim.shifts if action == "failover" and region == WEST)
    back = sum(1 for _, _, action in sim.shifts if action == "restore")
    return away, back


def single_spikes(runs: int, settings: Settings, alarm: AlarmSettings) -> int:
    false_failovers = 0
    for seed in range(runs):
        sim = Simulation(10_000 + seed, settings, alarm)
        sim.regions[EAST].bad_seconds[12] = 60
        sim.run(60 * 25)
        false_failovers += any(action == "failover" for _, _, action in sim.shifts)
    return false_failovers


def time_to_failback(runs: int, settings: Settings, alarm: AlarmSettings) -> list[float]:
    results = []
    for seed in range(runs):
        sim = Simulation(20_000 + seed, settings, alarm)
        start = sim.rng.uniform(600, 660)
        end = start + 1200
        outage(sim, EAST, start, end)
        sim.run(end + 3600)
        back = [at for at, _, action in sim.shifts if action == "restore" and at > end]
        results.append(back[0] - end if back else float("inf"))
    return results


def report(label: str, settings: Settings, alarm: AlarmSettings, runs: int) -> None:
    shifts = time_to_shift(runs, settings, alarm)
    away, back = flapping(settings, alarm)
    false = single_spikes(runs // 4, settings, alarm)
    failback = time_to_failback(runs // 4, settings, alarm)
    print(f"  {label}")
    print(
        f"    outage -> shift over {len(shifts)} outages: p50 {statistics.median(shifts):.0f} s, "
        f"p95 {percentile(shifts, 0.95):.0f} s, max {max(shifts):.0f} s (target p95 <= 150 s; promise < 300 s)"
    )
    print(f"    flapping every minute for 30 min: {away} shift(s) away, {back} failback(s) (target <= 1 and 0)")
    print(f"    single bad datapoints: {false} false failover(s) in {runs // 4} runs")
    hysteresis = f"{settings.healthy_evaluations_before_failback} healthy evaluations"
    print(
        f"    recovery -> failback: p50 {statistics.median(failback):.0f} s, max {max(failback):.0f} s "
        f"({hysteresis}, {settings.cooldown_seconds:.0f} s cooldown)"
    )


def main(runs: int = 1000) -> None:
    defaults = Settings(healthy_evaluations_before_failback=5, cooldown_seconds=600)
    print("failover controller (virtual clock; datapoints visible 60-90 s after their minute)")
    report("defaults: alarms 2 of 2 datapoints over 1-minute periods", defaults, AlarmSettings(), runs)
    report(
        "faster variant: alarms 1 of 1 datapoint",
        defaults,
        AlarmSettings(evaluation_periods=1, datapoints_to_alarm=1),
        runs,
    )
