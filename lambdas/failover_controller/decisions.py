"""The failover controller's decision rules: a pure function of what it observes and remembers.

One controller runs in each region. A controller only ever moves traffic toward its own healthy region
(failover) or restores the desired split; it never sends traffic to a region it sees unhealthy, never
shifts while its own region is unhealthy or its view is unclear, fails back only after N consecutive
healthy evaluations and a cooldown, and lets a manual override force or freeze the split.
"""

from dataclasses import dataclass, replace

HEALTHY, UNHEALTHY, UNKNOWN = "healthy", "unhealthy", "unknown"
NONE, FAILOVER, RESTORE, FORCE = "none", "failover", "restore", "force"


@dataclass(frozen=True)
class Split:
    """Where new contacts, agents and sign-ins go; percentages per region in steps of 10 summing to 100."""

    telephony: dict[str, int]
    agents: dict[str, int] | None = None
    sign_in: dict[str, bool] | None = None

    @staticmethod
    def all_to(region: str, regions: tuple[str, str]) -> "Split":
        """Every contact, agent and sign-in to one region."""
        share = {name: 100 if name == region else 0 for name in regions}
        return Split(telephony=share, agents=dict(share), sign_in={name: name == region for name in regions})

    def share_of(self, region: str) -> int:
        return self.telephony.get(region, 0)


@dataclass(frozen=True)
class Settings:
    healthy_evaluations_before_failback: int = 5
    cooldown_seconds: float = 600.0
    unknown_evaluations_as_unhealthy: int = 3
    peer_report_stale_seconds: float = 180.0
    evaluation_interval_seconds: float = 55.0
    """Healthy (and unknown) evaluations count at most once per interval (the one-minute sweep), so the
    extra invocations an alarm change causes do not shorten the hysteresis."""


@dataclass(frozen=True)
class Observation:
    """One evaluation's view: each region's health from its composite alarm, and the peer controller's own
    latest report on its region (written to the config table, so it survives this controller's view)."""

    own: str
    other: str
    other_unhealthy_since: float | None = None
    peer_report: str | None = None
    peer_report_at: float | None = None


@dataclass(frozen=True)
class Memory:
    """What the controller carries between evaluations (persisted in the config table)."""

    healthy_streak: tuple[tuple[str, int], ...] = ()
    counted_at: tuple[tuple[str, float], ...] = ()
    other_unknown_streak: int = 0
    unknown_counted_at: float | None = None
    last_shift_at: float | None = None
    failed_away_from: str | None = None
    forced: bool = False
    """The last shift was a manual override; ending the override restores at once (drills, maintenance)."""

    def streak(self, region: str) -> int:
        return dict(self.healthy_streak).get(region, 0)


@dataclass(frozen=True)
class Override:
    mode: str = "none"
    region: str | None = None


@dataclass(frozen=True)
class Decision:
    action: str
    target: Split | None
    reason: str
    alert: bool
    memory: Memory


def _observe(
    memory: Memory, own_region: str, other_region: str, observation: Observation, now: float, settings: Settings
) -> Memory:
    streaks, counted = dict(memory.healthy_streak), dict(memory.counted_at)
    for region, health in ((own_region, observation.own), (other_region, observation.other)):
        if health != HEALTHY:
            streaks[region] = 0
            counted.pop(region, None)
        elif region not in counted or now - counted[region] >= settings.evaluation_interval_seconds:
            streaks[region] = streaks.get(region, 0) + 1
            counted[region] = now
    unknown, unknown_at = 0, None
    if observation.other == UNKNOWN:
        due = (
            memory.unknown_counted_at is None or now - memory.unknown_counted_at >= settings.evaluation_interval_seconds
        )
        unknown = memory.other_unknown_streak + 1 if due else memory.other_unknown_streak
        unknown_at = now if due else memory.unknown_counted_at
    return replace(
        memory,
        healthy_streak=tuple(sorted(streaks.items())),
        counted_at=tuple(sorted(counted.items())),
        other_unknown_streak=unknown,
        unknown_counted_at=unknown_at,
    )


def _peer_disputes(observation: Observation, now: float, settings: Settings) -> bool:
    """The peer reported its region healthy after our alarm says it went bad, and recently: wait."""
    if observation.peer_report != HEALTHY or observation.peer_report_at is None:
        return False
    fresh = now - observation.peer_report_at <= settings.peer_report_stale_seconds
    after_alarm = (
        observation.other_unhealthy_since is None or observation.peer_report_at > observation.other_unhealthy_since
    )
    return fresh and after_alarm


def decide(
    *,
    desired: Split,
    current: Split,
    own_region: str,
    other_region: str,
    observation: Observation,
    memory: Memory,
    override: Override,
    now: float,
    settings: Settings,
) -> Decision:
    """The new split (or none) for the default traffic distribution group, with the reason."""
    regions = (own_region, other_region)
    memory = _observe(memory, own_region, other_region, observation, now, settings)

    def hold(reason: str, alert: bool = False) -> Decision:
        return Decision(NONE, None, reason, alert, memory)

    def shift(action: str, target: Split, reason: str, failed_away_from: str | None) -> Decision:
        if target == current:
            return Decision(NONE, None, f"{reason} (already in effect)", action == FAILOVER, memory)
        moved = replace(memory, last_shift_at=now, failed_away_from=failed_away_from, forced=action == FORCE)
        return Decision(action, target, reason, action in (FAILOVER, FORCE), moved)

    if override.mode == "freeze":
        return hold("split frozen by override", alert=current != desired)
    if observation.own != HEALTHY:
        return hold(
            f"{own_region} is {observation.own}; a controller only moves traffic toward its own healthy region", True
        )

    other = observation.other
    if other == UNKNOWN and memory.other_unknown_streak >= settings.unknown_evaluations_as_unhealthy:
        other = UNHEALTHY
    if other == UNHEALTHY and _peer_disputes(observation, now, settings):
        return hold(f"{other_region} alarms say unhealthy but its controller reports it healthy since; waiting", True)

    if override.mode == "force":
        if override.region != own_region:
            return hold(f"override forces traffic to {override.region}; its controller applies that")
        return shift(FORCE, Split.all_to(own_region, regions), f"override: all traffic to {own_region}", None)

    if other == UNHEALTHY:
        reason = f"{other_region} unhealthy: all traffic to {own_region}"
        if current.share_of(own_region) == 100 and desired != current:
            reason += "; the desired split waits until it recovers"
        return shift(FAILOVER, Split.all_to(own_region, regions), reason, other_region)
    if other == UNKNOWN:
        count = f"{memory.other_unknown_streak}/{settings.unknown_evaluations_as_unhealthy}"
        return hold(f"health of {other_region} unknown ({count}); no change", True)

    if current == desired:
        return Decision(
            NONE, None, "desired split in effect", False, replace(memory, failed_away_from=None, forced=False)
        )
    if memory.forced:
        return shift(RESTORE, desired, "override ended, both regions healthy: desired split", None)
    failed = memory.failed_away_from
    needed = settings.healthy_evaluations_before_failback
    if failed is not None and memory.streak(failed) < needed:
        return hold(f"{failed} healthy for {memory.streak(failed)}/{needed} evaluations; failback waits")
    if memory.last_shift_at is not None and now - memory.last_shift_at < settings.cooldown_seconds:
        remaining = settings.cooldown_seconds - (now - memory.last_shift_at)
        return hold(f"cooldown after the last shift: {remaining:.0f} s left")
    return shift(RESTORE, desired, "both regions healthy: desired split", None)
