"""The failover controller's decision rules: a pure function of what it observes and remembers.

One controller runs in each region and both apply these rules. A controller only moves traffic toward its
own healthy region (failover) or to the desired split (restore); it never adds traffic to a region it does
not see healthy and never shifts while its own region is unhealthy or unknown. A peer region whose alarms
cannot be read and whose controller is silent (a dark region, or a cut link: the two look alike) counts as
failed only for the designated tie-breaker, so two controllers that cannot see each other never both act.
A controller never undoes a change it cannot explain: after seeing the split changed by someone else, it
moves traffic only by a failover until the peer's record of that change is readable, and while the peer
reads another desired split (the config tables replicate items in no set order) it moves traffic only by
a failover. Traffic goes back to a region it was failed away from only after N healthy evaluations and a
cooldown, also when the region carrying it fails in turn; a new desired split applies at once. Failback can
be gradual: the recovered region's own controller gives it its share back in steps, one per interval, and
the other controller fails over again at the first unhealthy signal (a desired split that gives the region
no more than it has is no step: it applies at once). In follow-the-agents mode the default
group's telephony split follows where agents are staffed, in steps of 10 within the operator's bounds,
moved by one controller only (the tie-breaker) and only while both regions are healthy. A manual override
forces all traffic to one region or freezes the split. Every outcome carries its reason in words, and a
condition code so that alerts go out when the condition changes, not every minute.
"""

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace

HEALTHY, UNHEALTHY, UNKNOWN = "healthy", "unhealthy", "unknown"
DISPUTED, SILENT, REPORTED_HEALTHY = "disputed", "silent", "healthy by its report only"
"""Views of the peer region beyond the three alarm states: its alarm and its controller disagree; its alarm
is unreadable and its controller silent (and this controller is not the tie-breaker); or its alarm is
unreadable and only its controller's report says healthy (not enough to send it more calls)."""
NONE, FAILOVER, RESTORE, FORCE = "none", "failover", "restore", "force"
FAILBACK_STEP, FOLLOW = "failback-step", "follow-agents"
STEP = 10
"""Traffic distribution moves in steps of 10%."""
SWEEP_JITTER_SECONDS = 5.0
"""How much earlier than a whole interval after the last failback or follow-the-agents step a sweep may run and
still take the next (the one-minute schedule and Lambda's start are not exact; the healthy streaks allow as much)."""


@dataclass(frozen=True)
class Split:
    """Where new contacts, agents and sign-ins go; percentages per region in steps of 10 summing to 100."""

    telephony: dict[str, int]
    agents: dict[str, int] | None = None
    sign_in: dict[str, bool] | None = None

    @staticmethod
    def all_to(region: str, regions: tuple[str, str], *, with_sign_in: bool = True) -> "Split":
        """Every contact and agent (and sign-in, on the default group) to one region."""
        share = {name: 100 if name == region else 0 for name in regions}
        sign_in = {name: name == region for name in regions} if with_sign_in else None
        return Split(telephony=share, agents=dict(share), sign_in=sign_in)

    def share_of(self, region: str) -> int:
        return self.telephony.get(region, 0)

    def stepped_from(self, current: "Split", region: str, step: int) -> "Split":
        """This split, except that the region's telephony and agent shares rise by at most `step` points from
        `current`'s (a share this split gives the region that is not above `current`'s is taken as it is)."""

        def toward(wanted: dict[str, int], had: dict[str, int] | None) -> dict[str, int]:
            share = wanted.get(region, 0)
            if had is not None and share > had.get(region, 0):
                share = min(share, had.get(region, 0) + step)
            return {name: share if name == region else 100 - share for name in wanted}

        agents = toward(self.agents, current.agents) if self.agents is not None else None
        return Split(telephony=toward(self.telephony, current.telephony), agents=agents, sign_in=self.sign_in)

    def in_effect(self, current: "Split") -> bool:
        """Whether `current`, as GetTrafficDistribution reports it, already carries this split. Only the
        parts this split sets are compared (the controller writes nothing else), and a part the service does
        not report is not held against it."""
        if current.telephony != self.telephony:
            return False
        agents_differ = self.agents is not None and current.agents is not None and current.agents != self.agents
        sign_in_differs = self.sign_in is not None and current.sign_in is not None and current.sign_in != self.sign_in
        return not (agents_differ or sign_in_differs)


@dataclass(frozen=True)
class Traffic:
    """The split of every traffic distribution group of the instance, by ARN; only the default group takes
    sign-in. The controller moves all groups together, so no group is left on a failed region."""

    default_arn: str
    splits: tuple[tuple[str, Split], ...]

    @staticmethod
    def of(default_arn: str, splits: Mapping[str, Split]) -> "Traffic":
        return Traffic(default_arn, tuple(sorted(splits.items())))

    @property
    def default(self) -> Split:
        return self.split(self.default_arn)

    def split(self, arn: str) -> Split:
        return dict(self.splits)[arn]

    def all_to(self, region: str, regions: tuple[str, str]) -> "Traffic":
        return Traffic.of(
            self.default_arn,
            {arn: Split.all_to(region, regions, with_sign_in=arn == self.default_arn) for arn, _ in self.splits},
        )

    def adds_to(self, region: str, current: "Traffic") -> bool:
        """Whether this target gives the region a larger telephony share than `current` in any group."""
        found = dict(current.splits)
        return any(
            arn not in found or split.share_of(region) > found[arn].share_of(region) for arn, split in self.splits
        )

    def carries(self, region: str) -> bool:
        """Whether any group sends contacts to the region."""
        return any(split.share_of(region) > 0 for _, split in self.splits)

    def fingerprint(self) -> "Fingerprint":
        """Every group's telephony split, to notice a change between two evaluations (telephony is what
        every write changes and what the service always reports)."""
        return tuple(
            (arn, ",".join(f"{region}={share}" for region, share in sorted(split.telephony.items())))
            for arn, split in self.splits
        )

    def only(self, arns: tuple[str, ...]) -> "Traffic":
        """The groups among `arns`."""
        return Traffic.of(self.default_arn, {arn: split for arn, split in self.splits if arn in arns})

    def with_writes(self, target: "Traffic", arns: tuple[str, ...]) -> "Traffic":
        """This traffic once `target`'s split is written to the groups `arns`."""
        return Traffic.of(self.default_arn, {**dict(self.splits), **{arn: target.split(arn) for arn in arns}})

    def stepped_from(self, current: "Traffic", region: str, step: int) -> "Traffic":
        """This traffic reached from `current` by one step of at most `step` points more for the region in
        every group (a group `current` does not show is taken as it is)."""
        found = dict(current.splits)
        stepped = {arn: split.stepped_from(found[arn], region, step) for arn, split in self.splits if arn in found}
        return Traffic.of(self.default_arn, {**dict(self.splits), **stepped})

    def with_default_telephony(self, telephony: dict[str, int]) -> "Traffic":
        """This traffic with another telephony split for the default group (its agents and sign-in kept)."""
        default = replace(self.default, telephony=telephony)
        return Traffic.of(self.default_arn, {**dict(self.splits), self.default_arn: default})

    def pending_in(self, current: "Traffic") -> tuple[str, ...]:
        """The groups whose split `current` does not carry yet: what a write must change."""
        found = dict(current.splits)
        return tuple(arn for arn, split in self.splits if arn not in found or not split.in_effect(found[arn]))


Fingerprint = tuple[tuple[str, str], ...]
"""(group ARN, its telephony split in words) for every group: `Traffic.fingerprint`."""


@dataclass(frozen=True)
class Settings:
    healthy_evaluations_before_failback: int = 5
    cooldown_seconds: float = 600.0
    unknown_evaluations_as_unhealthy: int = 3
    peer_report_stale_seconds: float = 150.0
    """The peer sweeps every minute: a report older than two and a half sweeps means a silent controller."""
    evaluation_interval_seconds: float = 55.0
    """Healthy and unknown evaluations count at most once per interval (the one-minute sweep), so the extra
    invocations an alarm change, a retry or a reconcile causes do not shorten the hysteresis."""
    streak_gap_seconds: float = 150.0
    """A streak counts consecutive sweeps: a longer gap (the controller or its region was down) restarts it."""
    tie_breaker: bool = False
    """Whether this controller acts on a peer region it can neither read nor hear from. Exactly one of the
    two controllers is the tie-breaker; in follow-the-agents mode it is also the one that follows."""
    failback_step_percent: int = 100
    """How much more of each group's calls a recovered region gets back per step (100: all at once)."""
    failback_interval_seconds: float = 60.0
    """Time between two failback steps."""


@dataclass(frozen=True)
class FollowAgents:
    """Follow-the-agents mode, as the desired item sets it: the default group's telephony split follows the
    share of agents staffed in each region, smoothed, within each region's `min_percent`..`max_percent`."""

    min_percent: int = 20
    max_percent: int = 80
    smoothing_seconds: float = 300.0
    interval_seconds: float = 120.0

    def bounds(self) -> tuple[int, int]:
        """The lowest and highest share either region can have (each region keeps at least `min_percent` and
        gets at most `max_percent`, so the other's bounds narrow it too)."""
        return max(self.min_percent, 100 - self.max_percent), min(self.max_percent, 100 - self.min_percent)


@dataclass(frozen=True)
class Staffing:
    """How many agents each region has staffed (GetCurrentMetricData in each region), as this evaluation
    measured them."""

    counts: tuple[tuple[str, float], ...]

    def share_of(self, region: str) -> float | None:
        """The region's percentage of all agents counted; None when no region counts any."""
        total = sum(count for _, count in self.counts)
        return 100.0 * dict(self.counts).get(region, 0.0) / total if total > 0 else None


@dataclass(frozen=True)
class ShiftRecord:
    """The last shift and why, kept by both controllers: each writes its own copy, the newest (`at`) wins."""

    at: float | None = None
    last_shift_at: float | None = None
    failed_away_from: str | None = None
    forced: bool = False
    """The last shift was a manual override: ending it restores at once (drills, maintenance)."""
    stepping: bool = False
    """The last shift was a failback step: the next one waits for the failback interval, not the cooldown."""

    def newer_than(self, other: "ShiftRecord") -> bool:
        return self.at is not None and (other.at is None or self.at > other.at)


@dataclass(frozen=True)
class PeerReport:
    """The peer controller's latest own item, read from the config table (replicated from its region)."""

    health: str
    """Its reading of its own region's health alarm."""
    at: float
    shift: ShiftRecord = ShiftRecord()
    view_of_you: str | None = None
    """How it sees this controller's region (`peer_view` from its side): traffic is not moved back here
    while the peer would count this region as failed and move it away again."""
    desired: str | None = None
    """The desired split it read (`Observation.desired`); None from a controller that does not say."""


@dataclass(frozen=True)
class Observation:
    """One evaluation's view: each region's composite health alarm, the peer's report, and when the
    service says the traffic distribution last changed (GetTrafficDistribution's LastFailoverTime)."""

    own: str
    other: str
    other_unhealthy_since: float | None = None
    peer: PeerReport | None = None
    traffic_changed_at: float | None = None
    desired: str | None = None
    """Which desired split this controller read (its version and the schedule window in force): the two
    regions' config tables can hold different desired items while replication lags."""
    staffing: Staffing | None = None
    """Agents staffed per region, measured by the controller that follows the agents; None otherwise."""


@dataclass(frozen=True)
class Memory:
    """What the controller carries between evaluations (persisted in its own item of the config table)."""

    healthy_streak: tuple[tuple[str, int], ...] = ()
    counted_at: tuple[tuple[str, float], ...] = ()
    other_unknown_streak: int = 0
    unknown_counted_at: float | None = None
    alerted: str | None = None
    """The condition the last alert was about; an alert goes out when the condition changes."""
    shift: ShiftRecord = ShiftRecord()
    seen: Fingerprint | None = None
    """The traffic distribution as this controller last saw or made it."""
    before: Fingerprint | None = None
    """The distribution before the shift this controller made in its last evaluation: a split between
    `before` and `seen` group by group is that shift left half done (the invocation was stopped), not a
    change by someone else."""
    unexplained_since: float | None = None
    """When this controller found the distribution changed by someone else and has not yet seen a report of
    the peer written after that: the peer records every shift before making it, so that report explains it."""
    desired: str | None = None
    desired_since: float | None = None
    """The desired split this controller reads (`Observation.desired`) and since when it reads it."""
    staffed_share: float | None = None
    staffed_at: float | None = None
    """This region's share of the staffed agents, smoothed over `FollowAgents.smoothing_seconds`, and when it
    was last measured (follow-the-agents mode, on the controller that follows)."""

    def streak(self, region: str) -> int:
        return dict(self.healthy_streak).get(region, 0)


@dataclass(frozen=True)
class Override:
    mode: str = "none"
    region: str | None = None


@dataclass(frozen=True)
class Decision:
    action: str
    target: Traffic | None
    writes: tuple[str, ...]
    """The groups to write (ARNs): those whose current split differs from the target."""
    other_view: str
    """How this controller sees the peer region (reported to the peer as its `view_of_you`)."""
    reason: str
    condition: str | None
    """What needs an operator's attention, as a stable code; None when nothing does."""
    alert: bool
    """The condition is new: tell the operator (a shift is always reported, by whoever writes it)."""
    memory: Memory


def _fresh(peer: PeerReport | None, now: float, settings: Settings) -> bool:
    return peer is not None and now - peer.at <= settings.peer_report_stale_seconds


def _merge_peer_shift(memory: Memory, peer: PeerReport | None) -> Memory:
    return replace(memory, shift=peer.shift) if peer is not None and peer.shift.newer_than(memory.shift) else memory


def _due(counted_at: float | None, now: float, settings: Settings) -> bool:
    return counted_at is None or now - counted_at >= settings.evaluation_interval_seconds


def _next(streak: int, counted_at: float | None, now: float, settings: Settings) -> int:
    """A streak grows by one per interval; after a gap (no evaluation ran) it starts again at one."""
    consecutive = counted_at is not None and now - counted_at <= settings.streak_gap_seconds
    return streak + 1 if consecutive else 1


def _count(
    memory: Memory, regions: tuple[str, str], observation: Observation, now: float, settings: Settings
) -> Memory:
    """Healthy streaks from the alarms (positive evidence only), and for how many sweeps the peer's alarm
    has been unreadable."""
    streaks, counted = dict(memory.healthy_streak), dict(memory.counted_at)
    for region, health in zip(regions, (observation.own, observation.other), strict=True):
        if health != HEALTHY:
            streaks[region] = 0
            counted.pop(region, None)
        elif _due(counted.get(region), now, settings):
            streaks[region] = _next(streaks.get(region, 0), counted.get(region), now, settings)
            counted[region] = now
    unknown, unknown_at = 0, None
    if observation.other == UNKNOWN:
        last = memory.unknown_counted_at
        due = _due(last, now, settings)
        unknown = _next(memory.other_unknown_streak, last, now, settings) if due else memory.other_unknown_streak
        unknown_at = now if due else last
    return replace(
        memory,
        healthy_streak=tuple(sorted(streaks.items())),
        counted_at=tuple(sorted(counted.items())),
        other_unknown_streak=unknown,
        unknown_counted_at=unknown_at,
    )


def _left_half_done(memory: Memory, seen: Fingerprint) -> bool:
    """Whether every group is either as before this controller's last shift or as that shift made it."""
    if memory.before is None or memory.seen is None:
        return False
    before, made = dict(memory.before), dict(memory.seen)
    return all(split in (before.get(arn), made.get(arn)) for arn, split in seen if arn in made)


def _changed(memory: Memory, seen: Fingerprint) -> bool:
    """Whether a group seen last time has another split now (a group added to the desired item, or one
    that could not be read, is no change)."""
    previous = dict(memory.seen or ())
    return any(arn in previous and previous[arn] != split for arn, split in seen)


def _notice_changes(memory: Memory, current: Traffic, observation: Observation, now: float) -> Memory:
    seen, unexplained, peer = current.fingerprint(), memory.unexplained_since, observation.peer
    if _changed(memory, seen) and not _left_half_done(memory, seen):
        unexplained = now
    if unexplained is not None and peer is not None and peer.at > unexplained:
        unexplained = None
    since = memory.desired_since if observation.desired == memory.desired else now
    return replace(
        memory,
        seen=seen,
        before=None,
        unexplained_since=unexplained,
        desired=observation.desired,
        desired_since=since,
    )


def _peer_reads_another_desired(memory: Memory, peer: PeerReport | None) -> str | None:
    """The desired split the peer reads, if it has reported since this controller began reading its own
    that it reads another one (replication has not carried the newer item both ways yet)."""
    if peer is None or peer.desired is None or memory.desired is None or peer.desired == memory.desired:
        return None
    return peer.desired if memory.desired_since is not None and peer.at >= memory.desired_since else None


def _recovering(memory: Memory, observation: Observation, now: float, settings: Settings) -> str | None:
    """Why the region traffic was failed away from may not take traffic back yet (its N healthy sweeps, then
    the cooldown after the last change), in words; None once it may."""
    failed, needed = memory.shift.failed_away_from, settings.healthy_evaluations_before_failback
    if failed is None:
        return None
    if memory.streak(failed) < needed:
        return f"{failed} healthy for {memory.streak(failed)}/{needed} evaluations"
    if memory.shift.stepping:
        return None  # failback has begun: its steps follow the failback interval
    changed = [t for t in (memory.shift.last_shift_at, observation.traffic_changed_at) if t is not None]
    if changed and now - max(changed) < settings.cooldown_seconds:
        return f"cooldown after the failover: {settings.cooldown_seconds - (now - max(changed)):.0f} s left"
    return None


def _smooth_staffing(
    memory: Memory, staffing: Staffing | None, region: str, now: float, follow: FollowAgents | None
) -> Memory:
    """The region's share of staffed agents, smoothed exponentially with the mode's time constant (a first
    measurement, or one after a long gap, counts in full)."""
    share = staffing.share_of(region) if follow is not None and staffing is not None else None
    if share is None:
        return memory
    last, at = memory.staffed_share, memory.staffed_at
    if last is None or at is None:
        return replace(memory, staffed_share=share, staffed_at=now)
    weight = 1 - math.exp(-max(now - at, 0.0) / follow.smoothing_seconds) if follow is not None else 1.0
    return replace(memory, staffed_share=last + weight * (share - last), staffed_at=max(now, at))


def _follow_agents(
    desired: Traffic,
    current: Traffic,
    follow: FollowAgents | None,
    memory: Memory,
    regions: tuple[str, str],
    may_step: bool,
    now: float,
) -> tuple[Traffic, str | None]:
    """The desired traffic with the default group's telephony split as follow-the-agents keeps it: the current
    one within the bounds, or, on the controller that follows and measured the agents now (`may_step`), one step
    of 10 toward the smoothed share of staffed agents when it is at least three quarters of a step away and the
    interval since the last change has passed. The reason in words when this is such a step."""
    if follow is None or desired.default_arn not in dict(current.splits):
        return desired, None
    own, other = regions
    low, high = follow.bounds()
    had = current.default.share_of(own)
    share, reason = min(max(had, low), high), None
    last = memory.shift.last_shift_at
    due = last is None or now - last >= follow.interval_seconds - SWEEP_JITTER_SECONDS
    wanted = memory.staffed_share
    if may_step and due and wanted is not None and share == had:
        if wanted >= had + 0.75 * STEP and had + STEP <= high:
            share = had + STEP
        elif wanted <= had - 0.75 * STEP and had - STEP >= low:
            share = had - STEP
        if share != had:
            reason = (
                f"follow the agents: {own} has {wanted:.0f}% of the staffed agents (smoothed): {own} "
                f"{had}% -> {share}% of the default group's calls (bounds {low}-{high}%)"
            )
    return desired.with_default_telephony({own: share, other: 100 - share}), reason


def peer_view(observation: Observation, memory: Memory, now: float, settings: Settings) -> tuple[str, str]:
    """The peer region's health as this controller may act on it, and the evidence in words."""
    peer = observation.peer
    fresh = _fresh(peer, now, settings)
    if observation.other == UNHEALTHY:
        since = observation.other_unhealthy_since
        if fresh and peer is not None and peer.health == HEALTHY and (since is None or peer.at > since):
            return DISPUTED, "its alarm is in ALARM but its controller has reported it healthy since"
        return UNHEALTHY, "its health alarm is in ALARM"
    if observation.other == HEALTHY:
        return HEALTHY, "its health alarm is OK"
    if fresh and peer is not None:
        return peer.health, f"its alarm is unreadable; its controller reports it {peer.health}"
    count = f"{memory.other_unknown_streak}/{settings.unknown_evaluations_as_unhealthy}"
    if memory.other_unknown_streak < settings.unknown_evaluations_as_unhealthy:
        return UNKNOWN, f"alarm unreadable ({count} evaluations) and controller silent"
    if settings.tie_breaker:
        return UNHEALTHY, f"alarm unreadable and controller silent ({count}); this controller is the tie-breaker"
    return SILENT, f"alarm unreadable and controller silent ({count})"


def decide(
    *,
    desired: Traffic,
    current: Traffic,
    own_region: str,
    other_region: str,
    observation: Observation,
    memory: Memory,
    override: Override,
    now: float,
    settings: Settings,
    follow: FollowAgents | None = None,
    failover_only: bool = False,
) -> Decision:
    """The target split of every traffic distribution group (or none), with the reason. `failover_only`: the
    desired split is the last valid one remembered (the desired item is unusable), which moves traffic only by
    a failover; any other shift is held."""
    regions = (own_region, other_region)
    memory = _count(_merge_peer_shift(memory, observation.peer), regions, observation, now, settings)
    memory = _notice_changes(memory, current, observation, now)
    memory = _smooth_staffing(memory, observation.staffing, own_region, now, follow)
    other, evidence = peer_view(observation, memory, now, settings)
    both_healthy = observation.own == HEALTHY and observation.other == HEALTHY
    measured = observation.staffing is not None and observation.staffing.share_of(own_region) is not None
    follows = settings.tie_breaker and both_healthy and override.mode == "none" and measured
    may_step = follows and memory.shift.failed_away_from is None
    desired, followed = _follow_agents(desired, current, follow, memory, regions, may_step, now)

    def outcome(
        action: str, target: Traffic | None, reason: str, condition: str | None, remembered: Memory
    ) -> Decision:
        writes = target.pending_in(current) if target is not None else ()
        alert = condition is not None and condition != remembered.alerted
        remembered = replace(remembered, alerted=condition)
        view = REPORTED_HEALTHY if other == HEALTHY and observation.other != HEALTHY else other
        return Decision(action, target, writes, view, reason, condition, alert, remembered)

    def hold(reason: str, condition: str | None = None) -> Decision:
        return outcome(NONE, None, reason, condition, memory)

    def shift(
        action: str, target: Traffic, reason: str, condition: str | None, failed_away_from: str | None
    ) -> Decision:
        if failover_only and action != FAILOVER:
            return hold(f"only a failover is made from the last valid desired item: held {action} ({reason})")
        record = replace(
            memory.shift, failed_away_from=failed_away_from, forced=action == FORCE, stepping=action == FAILBACK_STEP
        )
        if not target.pending_in(current):
            kept = memory if record == memory.shift else replace(memory, shift=replace(record, at=now))
            return outcome(NONE, None, f"{reason} (already in effect)", condition, kept)
        if action != FAILOVER and memory.unexplained_since is not None:
            return hold(
                f"the split changed at {memory.unexplained_since:.0f} without a record readable here (the "
                f"{other_region} controller has not reported since): nothing is undone until it has",
                "unrecorded-change",
            )
        peer_desired = _peer_reads_another_desired(memory, observation.peer)
        if action != FAILOVER and peer_desired is not None:
            return hold(
                f"the {other_region} controller reads the desired split {peer_desired} and this region "
                f"{memory.desired}: the config table has not replicated it both ways yet; nothing moves but "
                f"a failover until both read the same",
                "desired-differs",
            )
        made = current.with_writes(target, target.pending_in(current)).fingerprint()
        moved = replace(
            memory, seen=made, before=current.fingerprint(), shift=replace(record, at=now, last_shift_at=now)
        )
        return outcome(action, target, reason, condition, moved)

    if override.mode == "freeze":
        failing = [r for r, h in ((own_region, observation.own), (other_region, other)) if h != HEALTHY]
        at_risk = [r for r in failing if current.carries(r)]
        if at_risk:
            return hold(
                f"split frozen by override while {', '.join(at_risk)} carries traffic and is not healthy",
                "frozen-on-unhealthy",
            )
        return hold("split frozen by override", "frozen-off-desired" if desired.pending_in(current) else None)
    if observation.own != HEALTHY:
        return hold(
            f"{own_region} is {observation.own}; a controller only moves traffic toward its own healthy region",
            f"own-{observation.own}",
        )
    if other == DISPUTED:
        return hold(f"{other_region}: {evidence}; waiting", "peer-disputes")
    if override.mode == "force" and override.region == own_region:
        return shift(FORCE, desired.all_to(own_region, regions), f"override: all traffic to {own_region}", None, None)
    if override.mode == "force":
        if other != HEALTHY:
            return hold(
                f"override forces all traffic to {other_region}, which is {other} ({evidence}): calls there may "
                f"fail; end the override or force {own_region}",
                "forced-region-unhealthy",
            )
        return hold(f"override forces traffic to {other_region}; its controller applies it")
    if other == UNHEALTHY:
        target = desired.all_to(own_region, regions)
        recovering = _recovering(memory, observation, now, settings)
        if memory.shift.failed_away_from == own_region and recovering and target.pending_in(current):
            return hold(
                f"{other_region} unhealthy ({evidence}), but traffic was failed away from {own_region} and "
                f"{recovering}: moving it all back before then would swing it between two failing regions; "
                f"to move it now, set an override forcing {own_region}",
                "both-failing",
            )
        reason = f"{other_region} unhealthy ({evidence}): all traffic to {own_region}"
        return shift(FAILOVER, target, reason, "other-unhealthy", other_region)
    if other in (UNKNOWN, SILENT):
        condition = "other-unknown" if other == UNKNOWN else "other-silent"
        if desired.pending_in(current) and not desired.carries(other_region):
            reason = f"the desired split sends nothing to {other_region} ({evidence}): applied"
            return shift(RESTORE, desired, reason, condition, memory.shift.failed_away_from)
        if other == UNKNOWN:
            return hold(f"health of {other_region} unknown ({evidence}); no change", condition)
        return hold(
            f"{other_region}: {evidence}; it may be down or only unreachable, and only the tie-breaker acts on "
            f"that: to move traffic here, set an override forcing {own_region} in the desired item of this "
            f"region's config table (or a desired split sending nothing to {other_region})",
            condition,
        )
    if not desired.pending_in(current):
        cleared = replace(memory.shift, failed_away_from=None, forced=False, stepping=False)
        kept = memory if cleared == memory.shift else replace(memory, shift=replace(cleared, at=now))
        return outcome(NONE, None, "desired split in effect", None, kept)
    if not _fresh(observation.peer, now, settings):
        return hold(
            f"both regions healthy, but the {other_region} controller has not reported for "
            f"{settings.peer_report_stale_seconds:.0f} s: the split changes once its record is readable",
            "peer-silent",
        )
    seen_from_peer = observation.peer.view_of_you if observation.peer else None
    if desired.adds_to(own_region, current) and seen_from_peer not in (None, HEALTHY):
        return hold(
            f"the {other_region} controller sees {own_region} as {seen_from_peer}: traffic comes back here once "
            f"it reads this region's alarm as healthy (else it would move it away again)",
            "peer-sees-us-failed",
        )
    if desired.adds_to(other_region, current) and observation.other != HEALTHY:
        return hold(f"{other_region} is {REPORTED_HEALTHY}: it gets more calls once its alarm is readable")
    if desired.adds_to(own_region, current) and observation.other != HEALTHY and not settings.tie_breaker:
        return hold(
            f"{other_region} is {REPORTED_HEALTHY}: if the link is cut, its controller (the tie-breaker) counts "
            f"{own_region} as failed and takes back any calls given to it now; {own_region} gets more calls once "
            f"the {other_region} alarm is readable"
        )
    if memory.shift.forced:
        return shift(RESTORE, desired, "override ended, both regions healthy: desired split", None, None)
    if recovering := _recovering(memory, observation, now, settings):
        return hold(f"{recovering}; failback waits")
    failed = memory.shift.failed_away_from
    if failed is not None and settings.failback_step_percent < 100 and desired.adds_to(failed, current):
        return _failback_step(failed, desired, current, own_region, observation, memory, now, settings, shift, hold)
    if followed is not None and desired.pending_in(current) == (desired.default_arn,):
        return shift(FOLLOW, desired, followed, None, None)
    reason = "failback: both regions healthy" if failed else "both regions healthy: the desired split applies"
    return shift(RESTORE, desired, reason, None, None)


def _failback_step(
    failed: str,
    desired: Traffic,
    current: Traffic,
    own_region: str,
    observation: Observation,
    memory: Memory,
    now: float,
    settings: Settings,
    shift: Callable[[str, Traffic, str, str | None, str | None], Decision],
    hold: Callable[[str], Decision],
) -> Decision:
    """Gradual failback: the recovered region's own controller (the only one that moves traffic toward it, so
    two controllers never both step) gives it at most `failback_step_percent` more of each group's calls per
    `failback_interval_seconds`, up to the desired split. The other controller holds, and fails over again at
    the region's first unhealthy signal (the failover rule, which comes first)."""
    step = settings.failback_step_percent
    if failed != own_region:
        return hold(f"failback in progress: the {failed} controller gives {failed} its share back, {step}% per step")
    if memory.shift.stepping:
        changed = [t for t in (memory.shift.last_shift_at, observation.traffic_changed_at) if t is not None]
        due_in = settings.failback_interval_seconds - SWEEP_JITTER_SECONDS
        if changed and (wait := due_in - (now - max(changed))) > 0:
            return hold(f"failback in progress: next step of {step}% in {wait:.0f} s")
    target = desired.stepped_from(current, own_region, step)
    had, gets = dict(current.splits).get(desired.default_arn), target.split(desired.default_arn)
    before = f"{had.share_of(own_region)}%" if had is not None else "?"
    reason = (
        f"failback step: {own_region} {before} -> {gets.share_of(own_region)}% of the default group's calls "
        f"(desired {desired.default.share_of(own_region)}%, {step}% per step)"
    )
    return shift(FAILBACK_STEP, target, reason, None, failed)
