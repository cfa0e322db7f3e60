"""How a broken stack config is reported: one line per problem, naming key, value and rule."""

from dataclasses import dataclass
from typing import Any

import pulumi

NAMESPACE = "connectdr"
SECRET_PLACEHOLDER = "[secret]"


class _NotShown:
    """Marks a problem whose value is a whole section or a file: the line names the key and the rule only."""

    def __repr__(self) -> str:
        return "NOT_SHOWN"


NOT_SHOWN: Any = _NotShown()


@dataclass(frozen=True)
class Problem:
    """One broken rule: the config key path (or file), the offending value and the rule it breaks."""

    key: str
    value: Any
    rule: str
    secret: bool = False
    """A secret's value is never kept: the problem holds `[secret]` instead, so no repr, log or traceback shows it."""

    def __post_init__(self) -> None:
        if self.secret and self.value is not NOT_SHOWN:
            object.__setattr__(self, "value", SECRET_PLACEHOLDER)

    def __str__(self) -> str:
        if self.value is NOT_SHOWN:
            return f"{self.key}: {self.rule}"
        shown = SECRET_PLACEHOLDER if self.secret else repr(self.value)
        return f"{self.key} = {shown}: {self.rule}"


class ConfigError(pulumi.RunError):
    """Raised before any resource is declared; the engine prints it without a traceback."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        lines = "\n".join(f"  - {problem}" for problem in problems)
        super().__init__(f"invalid stack config ({len(problems)} problem(s)):\n{lines}")


def key_path(*parts: str | int) -> str:
    """`connectdr:network.legs.us-east-1.vpcCidr` from ("network", "legs", "us-east-1", "vpcCidr")."""
    head, *rest = parts
    path = f"{NAMESPACE}:{head}"
    for part in rest:
        path += f"[{part}]" if isinstance(part, int) else f".{part}"
    return path
