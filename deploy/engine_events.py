"""What `--json` reports per stack from the engine's event stream: each resource operation and how it ended,
error diagnostics, and policy violations. Collected as events arrive, so a failed run reports them too."""

import re
from dataclasses import dataclass, field
from typing import Any

from pulumi.automation import EngineEvent, OpType

COLOR_MARKUP = re.compile(r"<\{%[^%]*%\}>")


@dataclass
class ResourceEvents:
    """Collects, per URN, the step the engine planned or took and how it ended; error diagnostics; and
    policy violations (CrossGuard, with `--policy-pack`)."""

    steps: dict[str, dict[str, Any]] = field(default_factory=dict)
    errors: list[str] = field(default_factory=list)
    violations: list[dict[str, Any]] = field(default_factory=list)

    def __call__(self, event: EngineEvent) -> None:
        if event.resource_pre_event is not None:
            pre = event.resource_pre_event
            self._note(pre.metadata, "planned" if pre.planning else "started")
        if event.res_outputs_event is not None:
            done = event.res_outputs_event
            self._note(done.metadata, "planned" if done.planning else "done")
        if event.res_op_failed_event is not None:
            self._note(event.res_op_failed_event.metadata, "failed")
        diagnostic = event.diagnostic_event
        if diagnostic is not None and diagnostic.severity == "error":
            self.errors.append(COLOR_MARKUP.sub("", diagnostic.message).strip())
        policy = event.policy_event
        if policy is not None:
            self.violations.append(
                {
                    "policy": policy.policy_name,
                    "pack": policy.policy_pack_name,
                    "enforcement": policy.enforcement_level,
                    "urn": policy.resource_urn,
                    "message": COLOR_MARKUP.sub("", policy.message).strip(),
                }
            )

    def _note(self, metadata: Any, status: str) -> None:
        if metadata.op == OpType.SAME or not metadata.urn:
            return
        self.steps[metadata.urn] = {
            "urn": metadata.urn,
            "type": metadata.type,
            "op": metadata.op.value,
            "status": status,
        }

    def operations(self) -> list[dict[str, Any]]:
        """Every resource the operation touched (not `same`), sorted by URN."""
        return [self.steps[urn] for urn in sorted(self.steps)]
