"""Follow the agents: queue wait and abandoned calls when staffing shifts between the regions, with the default
group's telephony split fixed at 50/50 and with the split following the agents (the deployed controllers,
GetCurrentMetricData faked to botocore's model and answering the simulated staffing).

The contact center: 100 agents, calls arriving at random (Poisson) at `CALLS_PER_SECOND`, handled in
`HANDLE_SECONDS` on average (exponential), callers hanging up after `PATIENCE_SECONDS` on average (exponential)
if no agent answered. Each region's calls are answered only by the agents signed in there, first come first
served. Staffing is 50/50 for the first 30 minutes, then agents move from us-east-1 to us-west-2 over 20
minutes (a shift change across time zones) to 20/80, and stay so for 70 minutes. The split follows with the
`traffic.followAgents` settings as configured (turned on); the controllers sweep every minute.
"""

import heapq
import random
import statistics
from collections import deque
from dataclasses import dataclass, field

from bench.failover_rto import configured, percentile
from bench.failover_world import DEFAULT_ARN, EAST, REGIONS, WEST, Settings, World, desired_document
from bench.fake_aws import MemoryTable

AGENTS = 100
CALLS_PER_SECOND = 0.28
HANDLE_SECONDS = 300.0
PATIENCE_SECONDS = 90.0
SHIFT_START, SHIFT_END, END = 30 * 60.0, 50 * 60.0, 120 * 60.0
EAST_BEFORE, EAST_AFTER = 50, 20


def east_agents(now: float) -> int:
    """Agents staffed in us-east-1 at `now` (the rest in us-west-2)."""
    if now <= SHIFT_START:
        return EAST_BEFORE
    progress = min(1.0, (now - SHIFT_START) / (SHIFT_END - SHIFT_START))
    return round(EAST_BEFORE + (EAST_AFTER - EAST_BEFORE) * progress)


@dataclass
class Region:
    agents: int = 0
    busy: int = 0
    queue: deque = field(default_factory=deque)
    """(arrival, give-up time) of callers waiting."""


@dataclass
class Outcome:
    waits: list[float] = field(default_factory=list)
    abandoned: int = 0
    offered: int = 0


def follow_settings() -> dict:
    """The configured `traffic.followAgents` section of the primary stack, turned on."""
    from deploy.plan import load_offline_stacks
    from deploy.stack_files import validate_stack_file

    stacks = [validate_stack_file(stack).stack for stack in load_offline_stacks().values()]
    follow = next(cfg.traffic for cfg in stacks if cfg.is_primary).follow_agents
    return {
        "metric": follow.metric,
        "minPercent": follow.min_percent,
        "maxPercent": follow.max_percent,
        "smoothingMinutes": follow.smoothing_minutes,
        "intervalMinutes": follow.interval_minutes,
    }


def simulate(seed: int, controllers: dict[str, Settings], follow: dict | None) -> Outcome:
    """One run; calls arriving after the staffing shift began are counted."""
    rng = random.Random(seed)
    world = World({EAST: MemoryTable(), WEST: MemoryTable()}, controllers)
    world.write_desired(desired_document(follow_agents=follow))
    regions = {EAST: Region(), WEST: Region()}
    events: list[tuple[float, int, str, str]] = []
    sequence = iter(range(10**9))

    def at(moment: float, kind: str, region: str = "") -> None:
        heapq.heappush(events, (moment, next(sequence), kind, region))

    def serve(region: str, now: float, outcome: Outcome) -> None:
        place = regions[region]
        while place.queue and place.busy < place.agents:
            arrival, gives_up = place.queue.popleft()
            if gives_up < now:
                outcome.abandoned += arrival >= SHIFT_START
                continue
            place.busy += 1
            outcome.waits += [now - arrival] if arrival >= SHIFT_START else []
            at(now + rng.expovariate(1 / HANDLE_SECONDS), "done", region)

    outcome = Outcome()
    at(rng.expovariate(CALLS_PER_SECOND), "call")
    for minute in range(int(END // 60) + 1):
        at(minute * 60.0, "staff")
        for offset, region in enumerate(REGIONS):
            at(minute * 60.0 + 5 + 20 * offset, "sweep", region)
    while events:
        now, _, kind, region = heapq.heappop(events)
        world.now = now
        if kind == "call" and now < END:
            east = world.connect.groups[DEFAULT_ARN].telephony[EAST]
            region = EAST if rng.random() * 100 < east else WEST
            regions[region].queue.append((now, now + rng.expovariate(1 / PATIENCE_SECONDS)))
            outcome.offered += now >= SHIFT_START
            serve(region, now, outcome)
            at(now + rng.expovariate(CALLS_PER_SECOND), "call")
        elif kind == "done":
            regions[region].busy -= 1
            serve(region, now, outcome)
        elif kind == "staff":
            regions[EAST].agents = east_agents(now)
            regions[WEST].agents = AGENTS - regions[EAST].agents
            world.connect.staffed = {name: float(place.agents) for name, place in regions.items()}
            for name in REGIONS:
                serve(name, now, outcome)
        elif kind == "sweep":
            world.invoke(region)
    for place in regions.values():  # callers still waiting at the end gave up or will: count them as waiting
        outcome.abandoned += sum(arrival >= SHIFT_START and gives_up < END for arrival, gives_up in place.queue)
    return outcome


def main(runs: int = 5) -> None:
    follow, controllers = follow_settings(), configured().controllers
    print(
        f"follow the agents: {AGENTS} agents, {CALLS_PER_SECOND:g} calls/s, {HANDLE_SECONDS:.0f} s per call, callers "
        f"give up after {PATIENCE_SECONDS:.0f} s on average; staffing moves from {EAST_BEFORE}/{100 - EAST_BEFORE} to "
        f"{EAST_AFTER}/{100 - EAST_AFTER} (us-east-1/us-west-2) over 20 minutes; calls from the shift's start on, "
        f"{runs} runs"
    )
    following = (
        f"following {follow['metric']} within {follow['minPercent']}-{follow['maxPercent']}%, smoothed over "
        f"{follow['smoothingMinutes']} min, a step at most every {follow['intervalMinutes']} min"
    )
    for label, mode in (("fixed 50/50", None), (following, follow)):
        outcomes = [simulate(seed, controllers, mode) for seed in range(runs)]
        waits = [wait for outcome in outcomes for wait in outcome.waits]
        abandoned = sum(o.abandoned for o in outcomes) / sum(o.offered for o in outcomes)
        print(
            f"  {label}: answered calls waited mean {statistics.mean(waits):.0f} s, "
            f"p90 {percentile(waits, 0.9):.0f} s; {abandoned:.1%} abandoned"
        )
