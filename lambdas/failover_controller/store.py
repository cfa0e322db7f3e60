"""The controller's items in the config global table: desired split, memory, the shared shift record, audit."""

import json
from dataclasses import asdict
from datetime import UTC, datetime
from typing import Any

from decisions import Decision, Memory

AUDIT_DAYS = 90


class ConfigTable:
    """Items under pk traffic/controller/audit; values are JSON in a `document` attribute."""

    def __init__(self, table: Any, region: str) -> None:
        self.table, self.region = table, region

    def _get(self, pk: str, sk: str) -> dict[str, Any] | None:
        item = self.table.get_item(Key={"pk": pk, "sk": sk}, ConsistentRead=True).get("Item")
        return json.loads(item["document"]) if item else None

    def _put(self, pk: str, sk: str, document: dict[str, Any], **extra: Any) -> None:
        self.table.put_item(Item={"pk": pk, "sk": sk, "document": json.dumps(document, sort_keys=True), **extra})

    def desired(self) -> dict[str, Any]:
        document = self._get("traffic", "desired")
        if document is None:
            raise LookupError("no desired split in the config table (pk=traffic, sk=desired)")
        return document

    def memory(self) -> Memory:
        """Own streaks, plus the shared record of the last shift (either controller may have made it)."""
        own = self._get("controller", self.region) or {}
        shared = self._get("traffic", "effective") or {}
        return Memory(
            healthy_streak=tuple(
                sorted((region, int(count)) for region, count in own.get("healthyStreak", {}).items())
            ),
            other_unknown_streak=int(own.get("otherUnknownStreak", 0)),
            unknown_counted_at=own.get("unknownCountedAt"),
            last_shift_at=shared.get("lastShiftAt"),
            failed_away_from=shared.get("failedAwayFrom"),
            forced=bool(shared.get("forced", False)),
        )

    def peer_report(self, peer_region: str) -> tuple[str | None, float | None]:
        peer = self._get("controller", peer_region) or {}
        return peer.get("selfReport"), peer.get("reportedAt")

    def remember(self, memory: Memory, self_report: str, now: float) -> None:
        self._put(
            "controller",
            self.region,
            {
                "healthyStreak": dict(memory.healthy_streak),
                "countedAt": dict(memory.counted_at),
                "otherUnknownStreak": memory.other_unknown_streak,
                "unknownCountedAt": memory.unknown_counted_at,
                "selfReport": self_report,
                "reportedAt": now,
            },
        )

    def record_shared(self, memory: Memory, decision: Decision, now: float) -> None:
        self._put(
            "traffic",
            "effective",
            {
                "lastShiftAt": memory.last_shift_at,
                "failedAwayFrom": memory.failed_away_from,
                "forced": memory.forced,
                "action": decision.action,
                "by": self.region,
                "at": now,
                "target": asdict(decision.target) if decision.target else None,
            },
        )

    def audit(self, decision: Decision, now: float, details: dict[str, Any]) -> None:
        stamp = datetime.fromtimestamp(now, UTC).isoformat(timespec="milliseconds")
        document = {"action": decision.action, "reason": decision.reason, "region": self.region, **details}
        self._put("audit", f"{stamp}#{self.region}", document, expiresAt=int(now) + AUDIT_DAYS * 86400)
