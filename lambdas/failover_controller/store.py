"""The controller's items in the config global table: the desired split (read), its own item, audit.

One writer per item: each controller writes only `pk=controller, sk=<its region>` and its own audit items,
so the global table's last-writer-wins never has two controllers' writes to choose between. Each reads the
other's item for the peer report and the shared shift record (the newest record wins). The own item is
read back on every invocation, so the deployed rules are the pure rules: it holds all of `Memory`, and the
last desired document the controller could use (a failover is made from it while the desired item is not).
"""

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from decisions import Fingerprint, Memory, PeerReport, ShiftRecord
from desired import DesiredInvalid

AUDIT_DAYS = 90
CONTROLLER_PK = "controller"
QUOTED_CHARS = 200
"""How much of a desired item that is not JSON its desired-invalid alert and audit quote."""
LAST_GOOD_MAX_BYTES = 64 * 1024
"""The largest desired document a controller keeps in its own item: far below DynamoDB's 400 KB item limit
(a PutItem over it fails, and with it the record written before every shift). A real document is a few KB."""


@dataclass(frozen=True)
class LastGood:
    """The last desired document this controller parsed and accepted: its JSON text and its version."""

    version: str
    document: str

    @staticmethod
    def of(document: Any, version: str) -> "LastGood | None":
        """The document to keep; None if it is over `LAST_GOOD_MAX_BYTES` (not kept, and the older one is not
        kept either: the controller never falls back to a document older than the newest it accepted)."""
        text = json.dumps(document, sort_keys=True)
        return LastGood(version, text) if len(text.encode()) <= LAST_GOOD_MAX_BYTES else None


@dataclass(frozen=True)
class OwnItem:
    """This controller's item as read back: its memory, the announcements an earlier evaluation did not get
    out (it was stopped or its alert failed after recording what it was about to do), its last good desired
    document."""

    memory: Memory
    unannounced: list[dict[str, Any]] | None
    last_good: LastGood | None


def shift_document(record: ShiftRecord) -> dict[str, Any]:
    return {
        "at": record.at,
        "lastShiftAt": record.last_shift_at,
        "failedAwayFrom": record.failed_away_from,
        "forced": record.forced,
        "stepping": record.stepping,
    }


def shift_record(document: dict[str, Any]) -> ShiftRecord:
    return ShiftRecord(
        at=document.get("at"),
        last_shift_at=document.get("lastShiftAt"),
        failed_away_from=document.get("failedAwayFrom"),
        forced=bool(document.get("forced", False)),
        stepping=bool(document.get("stepping", False)),
    )


def _fingerprint(document: Any) -> Fingerprint | None:
    """A fingerprint as stored ({ARN: split}); anything else (an older controller's string) is none."""
    return tuple(sorted(document.items())) if isinstance(document, dict) else None


def memory_document(memory: Memory) -> dict[str, Any]:
    return {
        "healthyStreak": dict(memory.healthy_streak),
        "countedAt": dict(memory.counted_at),
        "otherUnknownStreak": memory.other_unknown_streak,
        "unknownCountedAt": memory.unknown_counted_at,
        "alerted": memory.alerted,
        "seen": dict(memory.seen) if memory.seen is not None else None,
        "before": dict(memory.before) if memory.before is not None else None,
        "unexplainedSince": memory.unexplained_since,
        "desired": memory.desired,
        "desiredSince": memory.desired_since,
        "staffedShare": memory.staffed_share,
        "staffedAt": memory.staffed_at,
    }


def memory_from(document: dict[str, Any]) -> Memory:
    own = document.get("memory", {})
    return Memory(
        healthy_streak=tuple(sorted((region, int(n)) for region, n in own.get("healthyStreak", {}).items())),
        counted_at=tuple(sorted((region, float(at)) for region, at in own.get("countedAt", {}).items())),
        other_unknown_streak=int(own.get("otherUnknownStreak", 0)),
        unknown_counted_at=own.get("unknownCountedAt"),
        alerted=own.get("alerted"),
        shift=shift_record(document.get("shift", {})),
        seen=_fingerprint(own.get("seen")),
        before=_fingerprint(own.get("before")),
        unexplained_since=own.get("unexplainedSince"),
        desired=own.get("desired"),
        desired_since=own.get("desiredSince"),
        staffed_share=own.get("staffedShare"),
        staffed_at=own.get("staffedAt"),
    )


class ConfigTable:
    """Items with a JSON `document` attribute: pk=traffic sk=desired (Pulumi's), pk=controller sk=<region>
    (each controller's memory, report, shift record and what it has not announced yet), pk=audit
    sk=<time>#<region> (90-day TTL)."""

    def __init__(self, table: Any, region: str, peer_region: str) -> None:
        self.table, self.region, self.peer_region = table, region, peer_region

    def _get(self, pk: str, sk: str) -> dict[str, Any] | None:
        item = self.table.get_item(Key={"pk": pk, "sk": sk}, ConsistentRead=True).get("Item")
        return json.loads(item["document"]) if item else None

    def _put(self, pk: str, sk: str, document: dict[str, Any], **extra: Any) -> None:
        self.table.put_item(Item={"pk": pk, "sk": sk, "document": json.dumps(document, sort_keys=True), **extra})

    def desired(self) -> Any:
        """The desired item's document as Pulumi (or `split --direct`) wrote it; None if there is none."""
        item = self.table.get_item(Key={"pk": "traffic", "sk": "desired"}, ConsistentRead=True).get("Item")
        if item is None:
            return None
        try:
            return json.loads(item["document"])
        except (KeyError, TypeError, ValueError, RecursionError):  # RecursionError: nested past json's depth
            shown = repr(item.get("document"))  # its start: SNS takes 256 KB, an item 400 KB; this may be 400 KB
            shown = shown if len(shown) <= QUOTED_CHARS else f"{shown[:QUOTED_CHARS]}... ({len(shown)} characters)"
            raise DesiredInvalid(f"document = {shown}: must be a JSON document") from None

    def own(self) -> OwnItem:
        item = self.table.get_item(Key={"pk": CONTROLLER_PK, "sk": self.region}, ConsistentRead=True).get("Item")
        document = json.loads(item["document"]) if item else {}
        kept = item.get("lastGoodDesired") if item else None
        usable = isinstance(kept, str) and kept  # anything else (a hand edit) is no document: nothing to fall back on
        last_good = LastGood(str(item.get("lastGoodVersion", "")), kept) if usable else None
        return OwnItem(memory_from(document), document.get("unannounced"), last_good)

    def memory(self) -> Memory:
        return self.own().memory

    def peer(self) -> PeerReport | None:
        """The peer controller's latest report and shift record, as replicated to this region."""
        document = self._get(CONTROLLER_PK, self.peer_region)
        if not document or "report" not in document:
            return None
        report = document["report"]
        shift = shift_record(document.get("shift", {}))
        return PeerReport(report["health"], float(report["at"]), shift, report.get("viewOfPeer"), report.get("desired"))

    def save(
        self,
        memory: Memory,
        own_health: str,
        now: float,
        view_of_peer: str | None = None,
        unannounced: list[dict[str, Any]] | None = None,
        last_good: LastGood | None = None,
    ) -> None:
        """The controller's whole state, its report on its own region, how it sees the peer's and which
        desired split it reads, what it is about to announce, and its last good desired document. Written
        before any traffic change, so a change that takes effect is never missing from the record."""
        report = {"health": own_health, "at": now, "viewOfPeer": view_of_peer, "desired": memory.desired}
        document = {"report": report, "memory": memory_document(memory), "shift": shift_document(memory.shift)}
        if unannounced:
            document["unannounced"] = unannounced
        kept = {"lastGoodDesired": last_good.document, "lastGoodVersion": last_good.version} if last_good else {}
        self._put(CONTROLLER_PK, self.region, document, **kept)

    def audit(self, document: dict[str, Any], now: float) -> None:
        stamp = datetime.fromtimestamp(now, UTC).isoformat(timespec="milliseconds")
        self._put(
            "audit",
            f"{stamp}#{self.region}",
            {**document, "region": self.region},
            expiresAt=int(now) + AUDIT_DAYS * 86400,
        )
