"""When a region counts as unhealthy, over the states of its alarms (pure: the component turns it into the
rule of the region's composite health alarm, and the bench evaluates the same rule).

Sources: the AWS/Connect alarms as configured (M of N one-minute datapoints, `sustained`), each of the same
signals on one breaching datapoint within the confirmation window (`confirming`), and the high-resolution
failed-calls alarm fed by the contact-record stream (`fast`). Any sustained alarm makes the region unhealthy,
as before. The fast alarm does too, but by default only together with a confirming alarm: two independent
sources (Connect's metrics, and the contact records stream_sync counts) must agree, so one noisy source
cannot fail a region over. `fast_alone` lets the fast alarm act by itself (faster, at that risk).
"""

from collections.abc import Collection
from dataclasses import dataclass


@dataclass(frozen=True)
class HealthRule:
    sustained: tuple[str, ...]
    fast: str | None = None
    confirming: tuple[str, ...] = ()
    fast_alone: bool = False

    def __post_init__(self) -> None:
        if not self.sustained:
            raise ValueError("a health rule needs at least one sustained alarm")
        if self.fast is not None and not self.fast_alone and not self.confirming:
            raise ValueError("a fast alarm that needs confirmation needs confirming alarms")

    def expression(self) -> str:
        """The composite alarm rule (CloudWatch's rule syntax)."""

        def any_of(names: tuple[str, ...]) -> str:
            return " OR ".join(f'ALARM("{name}")' for name in names)

        rule = any_of(self.sustained)
        if self.fast is None:
            return rule
        if self.fast_alone:
            return f'{rule} OR ALARM("{self.fast}")'
        return f'{rule} OR (ALARM("{self.fast}") AND ({any_of(self.confirming)}))'

    def in_alarm(self, alarming: Collection[str]) -> bool:
        """Whether the composite is in ALARM when exactly the alarms named in `alarming` are."""
        if any(name in alarming for name in self.sustained):
            return True
        if self.fast is None or self.fast not in alarming:
            return False
        return self.fast_alone or any(name in alarming for name in self.confirming)

    @property
    def alarms(self) -> tuple[str, ...]:
        return (*self.sustained, *([self.fast] if self.fast else []), *self.confirming)
