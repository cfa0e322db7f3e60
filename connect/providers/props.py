"""Dynamic resource inputs from an Args dataclass, without deep-copying the Outputs inside it."""

from dataclasses import fields
from typing import Any


def props_of(args: Any, *outputs: str) -> dict[str, Any]:
    """The dataclass fields by name (as `asdict` would, but shallow), plus output names set to None so the
    engine exposes them as attributes."""
    return {**{field.name: getattr(args, field.name) for field in fields(args)}, **dict.fromkeys(outputs)}
