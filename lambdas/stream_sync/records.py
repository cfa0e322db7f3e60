"""Decoding Amazon Connect's Kinesis records into state changes, and coalescing them per key (pure)."""

import base64
import json
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

CONTACTS, AGENT_STATE = "contacts", "agent_state"
KEY_ATTRIBUTE = {CONTACTS: "contactId", AGENT_STATE: "agentId"}


@dataclass(frozen=True)
class Change:
    """The newest known state of one item: which table, its key, an ordering version and the attributes."""

    table: str
    key: str
    version: str
    attributes: dict[str, Any]
    sequence_numbers: tuple[str, ...]
    ordered_by_partition: bool
    """True when the record's Kinesis partition key is the item key: Lambda then never processes two
    batches holding this key at once, so an unconditional batch write after a version check is safe."""


@dataclass(frozen=True)
class Poison:
    """A record that cannot be decoded; it goes to the dead-letter queue, the rest of the batch lands."""

    sequence_number: str
    reason: str
    data: str


@dataclass(frozen=True)
class Skipped:
    """A well-formed record that carries no state change (HEART_BEAT)."""

    sequence_number: str


@dataclass
class Decoded:
    changes: list[Change] = field(default_factory=list)
    poison: list[Poison] = field(default_factory=list)
    skipped: list[Skipped] = field(default_factory=list)


def _epoch_millis(timestamp: str) -> int:
    return int(datetime.fromisoformat(timestamp.replace("Z", "+00:00")).timestamp() * 1000)


def version_of(timestamp: str, tiebreak: str = "") -> str:
    """Sortable as a string: zero-padded epoch milliseconds, then a tiebreak for equal instants."""
    return f"{_epoch_millis(timestamp):015d}#{tiebreak}"


def _region_of(arn: str | None) -> str:
    parts = (arn or "").split(":")
    return parts[3] if len(parts) > 3 else ""


def _contact_change(body: dict[str, Any], sequence: str, partition_key: str) -> Change:
    contact_id = body["ContactId"]
    agent = body.get("Agent") or {}
    queue = body.get("Queue") or {}
    attributes = {
        "contactId": contact_id,
        "initialContactId": body.get("InitialContactId"),
        "previousContactId": body.get("PreviousContactId"),
        "channel": body.get("Channel"),
        "initiationMethod": body.get("InitiationMethod"),
        "initiationTimestamp": body.get("InitiationTimestamp"),
        "disconnectTimestamp": body.get("DisconnectTimestamp"),
        "lastUpdateTimestamp": body["LastUpdateTimestamp"],
        "agentArn": agent.get("ARN"),
        "queueName": queue.get("Name"),
        "handledInRegion": _region_of(body.get("InstanceARN")),
    }
    return Change(
        table=CONTACTS,
        key=contact_id,
        version=version_of(body["LastUpdateTimestamp"]),
        attributes={name: value for name, value in attributes.items() if value is not None},
        sequence_numbers=(sequence,),
        ordered_by_partition=partition_key == contact_id,
    )


def _agent_change(body: dict[str, Any], sequence: str, partition_key: str) -> Change | Skipped:
    if body["EventType"] == "HEART_BEAT":
        return Skipped(sequence)
    agent_arn = body["AgentARN"]
    agent_id = agent_arn.rsplit("/", 1)[-1]
    snapshot = body.get("CurrentAgentSnapshot") or {}
    configuration = snapshot.get("Configuration") or {}
    status = "Offline" if body["EventType"] == "LOGOUT" else (snapshot.get("AgentStatus") or {}).get("Name")
    attributes = {
        "agentId": agent_id,
        "agentArn": agent_arn,
        "status": status,
        "username": configuration.get("Username"),
        "routingProfile": (configuration.get("RoutingProfile") or {}).get("Name"),
        "activeContacts": len(snapshot.get("Contacts") or []),
        "lastEventType": body["EventType"],
        "eventTimestamp": body["EventTimestamp"],
        "activeRegion": _region_of(body.get("InstanceARN")),
    }
    return Change(
        table=AGENT_STATE,
        key=agent_id,
        version=version_of(body["EventTimestamp"], body["EventId"]),
        attributes={name: value for name, value in attributes.items() if value is not None},
        sequence_numbers=(sequence,),
        ordered_by_partition=partition_key in (agent_arn, agent_id),
    )


def decode(record: dict[str, Any]) -> Change | Poison | Skipped:
    """One Kinesis record of the CTR or agent-event stream; never raises."""
    kinesis = record.get("kinesis") or {}
    sequence = str(kinesis.get("sequenceNumber", ""))
    data = str(kinesis.get("data", ""))
    try:
        body = json.loads(base64.b64decode(data, validate=True))
        if not isinstance(body, dict):
            raise ValueError("record is not a JSON object")
        partition_key = str(kinesis.get("partitionKey", ""))
        if "ContactId" in body:
            return _contact_change(body, sequence, partition_key)
        if "AgentARN" in body:
            return _agent_change(body, sequence, partition_key)
        raise ValueError("neither a contact trace record nor an agent event")
    except (ValueError, KeyError, TypeError, AttributeError) as error:
        return Poison(sequence, f"{type(error).__name__}: {error}", data)


def decode_batch(records: list[dict[str, Any]]) -> Decoded:
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
            table=winner.table,
            key=winner.key,
            version=winner.version,
            attributes=winner.attributes,
            sequence_numbers=current.sequence_numbers + change.sequence_numbers,
            ordered_by_partition=current.ordered_by_partition and change.ordered_by_partition,
        )
    return list(newest.values())
