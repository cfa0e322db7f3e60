"""A region that fails again while it gets its calls back: how many calls it receives before the split moves
away again, with failback in steps (as configured) and in one step.

The same deployed path and signal model as bench/failover_rto.py: us-east-1 fails for 20 minutes and recovers;
once the failback begins (its first move), us-east-1 fails again at a moment drawn within the next five
minutes. Calls sent to it from then until the split sends it nothing are calls that meet the failure.
"""

import statistics
from dataclasses import replace

from bench.failover_rto import Configured, Delay, Simulation, configured, percentile
from bench.failover_world import EAST

CALLS_PER_SECOND = 10.0
"""New calls per second across both regions (a mid-sized contact center)."""
RELAPSE_WITHIN = 300.0


def share_seconds(changes: list[tuple[float, int]], start: float, end: float) -> float:
    """The integral of us-east-1's share (0..1) over [start, end), from the split's changes (50% before any)."""
    share, total, at = 0.5, 0.0, start
    for moment, percent in changes:
        if moment <= start:
            share = percent / 100
            continue
        if moment >= end:
            break
        total += share * (moment - at)
        share, at = percent / 100, moment
    return total + share * (end - at)


def relapse(seed: int, config: Configured, step_percent: int) -> tuple[float, float] | None:
    """(calls sent to the relapsed region, seconds until the split sent it nothing) for one run; None if the
    failback never began."""
    controllers = {region: replace(s, failback_step_percent=step_percent) for region, s in config.controllers.items()}
    sim = Simulation(seed, replace(config, controllers=controllers), config.detection, Delay(60, 90))
    start = sim.rng.uniform(600, 660)
    recovered = start + 1200
    sim.outage(EAST, start, recovered)
    moment, first_back = recovered, None
    while first_back is None and moment < recovered + 3600:
        moment += 10
        sim.run(moment)
        first_back = next((at for at, share in sim.changes() if at > recovered and share > 0), None)
    if first_back is None:
        return None
    failed_again = first_back + sim.rng.uniform(0, RELAPSE_WITHIN)
    sim.outage(EAST, failed_again, failed_again + 3600)
    sim.run(failed_again + 900)
    changes = sim.changes()
    away = next((at for at, share in changes if at > failed_again and share == 0), sim.world.now)
    calls = CALLS_PER_SECOND * share_seconds(changes, failed_again, away)
    return calls, away - failed_again


def main(runs: int = 200) -> None:
    config = configured()
    configured_step = config.controllers[EAST].failback_step_percent
    interval = config.controllers[EAST].failback_interval_seconds
    print(f"failback into a relapse ({CALLS_PER_SECOND:g} new calls/s in all; us-east-1 fails again within")
    print(f"{RELAPSE_WITHIN:.0f} s of its first failback move), deployed code path, as configured otherwise:")
    for step in sorted({configured_step, 100}):
        results = [r for r in (relapse(seed, config, step) for seed in range(runs)) if r is not None]
        calls = [calls for calls, _ in results]
        away = [seconds for _, seconds in results]
        label = f"{step}% per {interval:.0f} s" if step < 100 else "one step"
        print(
            f"  {label}: calls sent to the failing region p50 {statistics.median(calls):.0f}, p95 "
            f"{percentile(calls, 0.95):.0f}, mean {statistics.mean(calls):.0f}; relapse -> all calls away p50 "
            f"{statistics.median(away):.0f} s, p95 {percentile(away, 0.95):.0f} s ({len(results)} runs)"
        )
