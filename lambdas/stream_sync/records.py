"""Decoding Amazon Connect's Kinesis records into state changes, and coalescing them per key (pure).

`decode` never raises: a record that is not a usable contact trace record or agent event becomes Poison
with the reason in words, and goes to the dead-letter queue while the rest of the batch lands.
"""

import base64
import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from items import (
    AGENT_STATE,
    CONTACTS,
    LONGEST_REGION,
    MAX_ITEM_BYTES,
    MAX_KEY_BYTES,
    item_bytes,
    item_of,
)

AGENT_EVENT_TYPES = ("LOGIN", "LOGOUT", "STATE_CHANGE", "HEART_BEAT")
UNDECODABLE, UNUSABLE, TOO_LARGE = "undecodable", "unusable", "too-large"
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


class Unusable(ValueError):
    """A record that decodes but cannot become an item; the message says why."""


class TooLarge(Unusable):
    """A record whose item would exceed DynamoDB's item size limit."""


@dataclass(frozen=True)
class Record:
    """One Kinesis record as Lambda delivers it: where it sits in the stream, and its payload (base64)."""

    sequence_number: str
    shard: str
    stream: str
    partition_key: str
    data: str

    @staticmethod
    def of(raw: Any) -> "Record":
        """Whatever the event holds; missing or odd fields become empty strings (never raises)."""
        raw = raw if isinstance(raw, dict) else {}
        kinesis = raw.get("kinesis") if isinstance(raw.get("kinesis"), dict) else {}
        return Record(
            sequence_number=str(kinesis.get("sequenceNumber", "")),
            shard=str(raw.get("eventID", "")).split(":", 1)[0],
            stream=str(raw.get("eventSourceARN", "")),
            partition_key=str(kinesis.get("partitionKey", "")),
            data=str(kinesis.get("data", "")),
        )


@dataclass(frozen=True)
class Change:
    """The newest known state of one item: which table, its key, an ordering version and the attributes,
    and every record it stands for (their sequence numbers are what a failed write reports)."""

    table: str
    key: str
    version: str
    attributes: dict[str, Any]
    records: tuple[Record, ...]
    failed_at: float | None = None
    """When the call failed (epoch seconds), for a contact record of a call that failed in its region
    (`failed_call`): what the fast health signal counts, if it is recent (`failing_now`)."""

    @property
    def sequence_numbers(self) -> tuple[str, ...]:
        return tuple(record.sequence_number for record in self.records)


@dataclass(frozen=True)
class Poison:
    """A record that can never be written; it is dead-lettered with the reason."""

    record: Record
    reason: str
    kind: str


@dataclass(frozen=True)
class Skipped:
    """A well-formed record that carries no state change (HEART_BEAT, a configuration change while Offline)."""

    record: Record


@dataclass
class Decoded:
    changes: list[Change] = field(default_factory=list)
    poison: list[Poison] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


def _text(body: dict[str, Any], name: str) -> str:
    value = body.get(name)
    if not isinstance(value, str) or not value:
        shown = "missing" if value is None else f"a {type(value).__name__}" if not isinstance(value, str) else "empty"
        raise Unusable(f"{name} must be a non-empty string, and is {shown}")
    return value


def _optional_text(body: dict[str, Any], name: str) -> str | None:
    value = body.get(name)
    return value if isinstance(value, str) and value else None


def _mapping(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _key(name: str, value: str) -> str:
    if len(value.encode("utf-8")) > MAX_KEY_BYTES:
        raise Unusable(f"{name} is longer than DynamoDB's {MAX_KEY_BYTES}-byte key limit")
    return value


def _epoch_millis(name: str, timestamp: str) -> int:
    try:
        moment = datetime.fromisoformat(timestamp.replace("Z", "+00:00"))
    except ValueError:
        raise Unusable(f"{name} {timestamp[:40]!r} is not an ISO 8601 timestamp") from None
    # whole milliseconds by integer arithmetic: a float of epoch seconds times 1000 can land just below
    millis = ((moment if moment.tzinfo else moment.replace(tzinfo=UTC)) - EPOCH) // timedelta(milliseconds=1)
    if not 0 <= millis < 10**15:
        raise Unusable(f"{name} {timestamp[:40]!r} is out of range")
    return millis


def version_of(name: str, timestamp: str, tiebreak: str) -> str:
    """Sortable as a string: zero-padded epoch milliseconds, then a tiebreak for equal instants."""
    return f"{_epoch_millis(name, timestamp):015d}#{tiebreak}"


def _stream_position(sequence_number: str) -> str:
    """A sequence number sortable as a string: its length first (Kinesis's are decimal, up to 129 digits)."""
    return f"{len(sequence_number):03d}{sequence_number}"


def _region_of(arn: Any) -> str | None:
    parts = arn.split(":") if isinstance(arn, str) else []
    return parts[3] if len(parts) > 3 and parts[3] else None


def _emitting_region(body: dict[str, Any], record: Record) -> str | None:
    """The region whose instance published the record: its stream's (only that instance writes to it). An
    agent event's InstanceARN names where the agent's account was created, which with Global Resiliency
    need not be where the agent works; it is used only when the stream is unknown."""
    return _region_of(record.stream) or _region_of(body.get("InstanceARN"))


def _present(attributes: dict[str, Any]) -> dict[str, Any]:
    return {name: value for name, value in attributes.items() if value is not None}


FAILED_DISCONNECT_REASONS = ("TELECOM_PROBLEM",)
"""Contact record DisconnectReason values that mean the call failed (admin guide, contact records data model:
"disconnected due to an issue with connecting the call from the carrier, network congestion, network error")."""


def failed_call(body: dict[str, Any]) -> bool:
    """A voice contact that failed: disconnected for a telecom problem, or an inbound call that ended without
    ever connecting to the system (no ConnectedToSystemTimestamp)."""
    if body.get("Channel") != "VOICE":
        return False
    if body.get("DisconnectReason") in FAILED_DISCONNECT_REASONS:
        return True
    inbound = body.get("InitiationMethod") == "INBOUND"
    return inbound and bool(body.get("DisconnectTimestamp")) and not body.get("ConnectedToSystemTimestamp")


FAILING_NOW_SECONDS = 300
"""How recently a call must have failed for its record to count as calls failing now: records reach stream_sync
seconds after the call ends, but also much later (a backlog caught up, a record Connect republishes with new
information), and those say nothing about the region now."""


def _failed_at(body: dict[str, Any]) -> float | None:
    """When the call failed, if it did: its DisconnectTimestamp, else (missing or unreadable) LastUpdateTimestamp."""
    if not failed_call(body):
        return None
    for name in ("DisconnectTimestamp", "LastUpdateTimestamp"):
        stamp = _optional_text(body, name)
        try:
            return _epoch_millis(name, stamp) / 1000 if stamp else None
        except Unusable:
            continue
    return None


def failing_now(change: Change, now: float) -> bool:
    """Whether the change is the record of a call that failed within the last FAILING_NOW_SECONDS."""
    return change.failed_at is not None and now - change.failed_at <= FAILING_NOW_SECONDS


def _contact_change(body: dict[str, Any], record: Record) -> Change:
    """A contact trace record; LastUpdateTimestamp (one-second precision) orders its versions, and the
    Kinesis sequence number breaks ties within a second (a later publication of the same contact wins)."""
    contact_id = _key("ContactId", _text(body, "ContactId"))
    updated = _text(body, "LastUpdateTimestamp")
    agent, queue = _mapping(body.get("Agent")), _mapping(body.get("Queue"))
    attributes = {
        "initialContactId": _optional_text(body, "InitialContactId"),
        "previousContactId": _optional_text(body, "PreviousContactId"),
        "channel": _optional_text(body, "Channel"),
        "initiationMethod": _optional_text(body, "InitiationMethod"),
        "initiationTimestamp": _optional_text(body, "InitiationTimestamp"),
        "disconnectTimestamp": _optional_text(body, "DisconnectTimestamp"),
        "lastUpdateTimestamp": updated,
        "agentArn": _optional_text(agent, "ARN"),
        "queueName": _optional_text(queue, "Name"),
        "handledInRegion": _emitting_region(body, record),
    }
    version = version_of("LastUpdateTimestamp", updated, _stream_position(record.sequence_number))
    return Change(CONTACTS, contact_id, version, _present(attributes), (record,), _failed_at(body))


def _agent_contact(contact: dict[str, Any]) -> dict[str, Any]:
    return _present(
        {
            "contactId": _optional_text(contact, "ContactId"),
            "channel": _optional_text(contact, "Channel"),
            "state": _optional_text(contact, "State"),
            "stateSince": _optional_text(contact, "StateStartTimestamp"),
            "queue": _optional_text(_mapping(contact.get("Queue")), "Name"),
        }
    )


def _unchanged_while_offline(body: dict[str, Any]) -> bool:
    """A STATE_CHANGE that shows the agent Offline with no contacts, before and after: a configuration change
    (routing profile, queues, ...), which Connect also publishes for an agent who signed out (the CCP sets
    Offline at logout). It cannot tell whether the agent is signed in, so it must not replace the state."""
    current, previous = _mapping(body.get("CurrentAgentSnapshot")), _mapping(body.get("PreviousAgentSnapshot"))
    status = _mapping(current.get("AgentStatus"))
    if status.get("Type") != "OFFLINE" or current.get("Contacts") or previous.get("Contacts"):
        return False
    return _mapping(previous.get("AgentStatus")) == status


def _agent_change(body: dict[str, Any], record: Record) -> Change | Skipped:
    """An agent event. `status` is AgentStatus.Name, the status the agent chose in the CCP (Available,
    Break, ...); `contacts` are the snapshot's contacts with their own states (CONNECTING, CONNECTED,
    ENDED = after-contact work, ...); `signedIn` is false after LOGOUT, until the next LOGIN or change of
    status or contacts (a configuration change of an agent Offline before and after is skipped)."""
    event_type = _text(body, "EventType")
    if event_type not in AGENT_EVENT_TYPES:
        raise Unusable(f"EventType {event_type[:40]!r} is not one of {', '.join(AGENT_EVENT_TYPES)}")
    if event_type == "HEART_BEAT" or (event_type == "STATE_CHANGE" and _unchanged_while_offline(body)):
        return Skipped(record)
    agent_arn = _text(body, "AgentARN")
    agent_id = _key("AgentARN", agent_arn.rsplit("/", 1)[-1])
    if not agent_id:
        raise Unusable("AgentARN ends without an agent id")
    snapshot = _mapping(body.get("CurrentAgentSnapshot"))
    status, configuration = _mapping(snapshot.get("AgentStatus")), _mapping(snapshot.get("Configuration"))
    contacts = snapshot.get("Contacts") if isinstance(snapshot.get("Contacts"), list) else []
    timestamp = _text(body, "EventTimestamp")
    attributes = {
        "agentArn": agent_arn,
        "signedIn": event_type != "LOGOUT",
        "status": _optional_text(status, "Name"),
        "statusType": _optional_text(status, "Type"),
        "statusSince": _optional_text(status, "StartTimestamp"),
        "contacts": [_agent_contact(contact) for contact in contacts if isinstance(contact, dict)],
        "username": _optional_text(configuration, "Username"),
        "routingProfile": _optional_text(_mapping(configuration.get("RoutingProfile")), "Name"),
        "lastEventType": event_type,
        "eventTimestamp": timestamp,
        "activeRegion": _emitting_region(body, record),
    }
    version = version_of("EventTimestamp", timestamp, _text(body, "EventId"))
    return Change(AGENT_STATE, agent_id, version, _present(attributes), (record,))


def _fits(change: Change) -> Change:
    size = item_bytes(item_of(change.table, change.key, change.version, change.attributes, LONGEST_REGION))
    if size > MAX_ITEM_BYTES:
        raise TooLarge(f"the item would be {size:,} bytes, over DynamoDB's {MAX_ITEM_BYTES:,}-byte item limit")
    return change


def decode(record: Record) -> Change | Poison | Skipped:
    """One Kinesis record of the contact trace record or agent event stream; never raises."""
    try:
        body = json.loads(base64.b64decode(record.data, validate=True))
    except Exception as error:  # any payload at all must end as a decision, never an exception
        return Poison(record, f"not base64-encoded JSON: {type(error).__name__}: {str(error)[:200]}", UNDECODABLE)
    try:
        if not isinstance(body, dict):
            raise Unusable(f"the record is a JSON {type(body).__name__}, not an object")
        if "ContactId" in body:
            return _fits(_contact_change(body, record))
        if "AgentARN" in body or "EventType" in body:
            result = _agent_change(body, record)
            return _fits(result) if isinstance(result, Change) else result
        raise Unusable("neither a contact trace record (ContactId) nor an agent event (AgentARN)")
    except Unusable as error:
        return Poison(record, str(error), TOO_LARGE if isinstance(error, TooLarge) else UNUSABLE)
    except Exception as error:  # a shape no rule above foresaw is still one bad record, not a failed batch
        return Poison(record, f"unusable record: {type(error).__name__}: {str(error)[:200]}", UNUSABLE)


def decode_batch(records: list[Record]) -> Decoded:
    decoded = Decoded()
    for record in records:
        result = decode(record)
        if isinstance(result, Change):
            decoded.changes.append(result)
        elif isinstance(result, Poison):
            decoded.poison.append(result)
        else:
            decoded.skipped.append(result)
    return decoded


def coalesce(changes: list[Change]) -> list[Change]:
    """Only the newest state per (table, key); the records it stands for travel with it."""
    newest: dict[tuple[str, str], Change] = {}
    for change in changes:
        slot = (change.table, change.key)
        current = newest.get(slot)
        if current is None:
            newest[slot] = change
            continue
        winner = change if change.version > current.version else current
        newest[slot] = Change(
            winner.table,
            winner.key,
            winner.version,
            winner.attributes,
            current.records + change.records,
            winner.failed_at,
        )
    return list(newest.values())
