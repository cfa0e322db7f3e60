"""The synced tables' layout: one item per key and writing region, so every item has exactly one writer.

Global tables settle concurrent writes to one item by last writer wins, and a condition is checked only
against the local replica. So each region's stream_sync writes its own item per contact or agent (sort key
`writerRegion`), conditionally on `version` being older: conditions only ever race within that region,
where they are atomic, and replication only copies the owner's writes. A reader queries the key and takes
the item with the newest `version` (`newest`), whichever region wrote last.
"""

from collections.abc import Iterable
from decimal import Decimal
from typing import Any

CONTACTS, AGENT_STATE = "contacts", "agent_state"
KEY_ATTRIBUTE = {CONTACTS: "contactId", AGENT_STATE: "agentId"}
WRITER_ATTRIBUTE = "writerRegion"
VERSION_ATTRIBUTE = "version"
MAX_ITEM_BYTES = 400 * 1024
MAX_KEY_BYTES = 2048
LONGEST_REGION = "ap-southeast-5x"
"""Stands in for the writing region when an item's size is checked before the region is known."""


def item_of(table: str, key: str, version: str, attributes: dict[str, Any], region: str) -> dict[str, Any]:
    """The item as stored: the change's attributes, its key, the writing region and the version."""
    return {**attributes, KEY_ATTRIBUTE[table]: key, WRITER_ATTRIBUTE: region, VERSION_ATTRIBUTE: version}


def _value_bytes(value: Any) -> int:
    """DynamoDB's item size rules (numbers counted at their 21-byte maximum)."""
    if isinstance(value, str):
        return len(value.encode("utf-8"))
    if isinstance(value, bool) or value is None:
        return 1
    if isinstance(value, int | float | Decimal):
        return 21
    if isinstance(value, bytes):
        return len(value)
    if isinstance(value, dict):
        return 3 + sum(len(k.encode("utf-8")) + _value_bytes(v) + 1 for k, v in value.items())
    if isinstance(value, list | tuple):
        return 3 + sum(_value_bytes(v) + 1 for v in value)
    raise TypeError(f"no DynamoDB type for {type(value).__name__}")


def item_bytes(item: dict[str, Any]) -> int:
    return sum(len(name.encode("utf-8")) + _value_bytes(value) for name, value in item.items())


def newest(items: Iterable[dict[str, Any]]) -> dict[str, Any] | None:
    """The reading rule: of one key's items (one per writing region), the one with the newest version; equal
    versions written in two regions are settled by region name, so every replica's reader picks the same item."""
    return max(items, key=lambda item: (item[VERSION_ATTRIBUTE], item[WRITER_ATTRIBUTE]), default=None)
