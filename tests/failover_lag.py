"""Two controllers whose config tables replicate like a global table: every write reaches the other region
after a delay chosen per write (so items can arrive out of order), and a replica keeps the write with the
latest write time (last writer wins). Replication that is cut holds the writes and delivers them when the
link heals, as a global table catches up. A controller killed mid-evaluation (Lambda's timeout) is a
`LambdaTimeout`, which the controller cannot catch."""

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bench.failover_world import REGIONS, Invocation, World, other

Lag = Callable[[tuple[str, str], str], float]
"""(item key, writing region) -> seconds until the write reaches the other region."""


class LambdaTimeout(BaseException):
    """The function ran out of time: the process stops wherever it is."""


@dataclass(order=True)
class Pending:
    due: float
    written: float
    target: str = field(compare=False)
    item: dict[str, Any] = field(compare=False)


class ReplicatedTable:
    """One region's replica (moto or `MemoryTable`) whose own writes are queued for the other region."""

    def __init__(self, world: "LaggedWorld", region: str, table: Any) -> None:
        self.world, self.region, self.table = world, region, table
        self.written_at: dict[tuple[str, str], float] = {}

    def get_item(self, **params: Any) -> dict[str, Any]:
        return self.table.get_item(**params)

    def put_item(self, Item: dict[str, Any]) -> dict[str, Any]:
        self.table.put_item(Item=Item)
        key = (Item["pk"], Item["sk"])
        self.written_at[key] = self.world.now
        due = self.world.now + self.world.lag(key, self.region)
        self.world.in_flight.append(Pending(due, self.world.now, other(self.region), dict(Item)))
        return {}

    def receive(self, written: float, item: dict[str, Any]) -> None:
        key = (item["pk"], item["sk"])
        if self.written_at.get(key, float("-inf")) <= written:
            self.table.put_item(Item=item)
            self.written_at[key] = written


class LaggedWorld(World):
    """`World` with global-table replication of every item (the desired item, controller items, audit)."""

    def __init__(self, tables: dict[str, Any], settings: dict, lag: Lag = lambda _key, _region: 1.0) -> None:
        self.lag, self.in_flight = lag, []
        super().__init__({region: ReplicatedTable(self, region, tables[region]) for region in REGIONS}, settings)

    def replicate(self) -> None:
        due = sorted(p for p in self.in_flight if p.due <= self.now)
        for pending in due:
            source = other(pending.target)
            if pending.target in self.dark or not self.replicating.get((source, pending.target), True):
                pending.due = self.now + 1  # held until the link heals
                continue
            self.in_flight.remove(pending)
            self.tables[pending.target].table.receive(pending.written, pending.item)

    def write_desired(self, document: dict[str, Any], regions: tuple[str, ...] = ("us-east-1",)) -> None:
        """Pulumi (or `split --direct`) writes the desired item in one region; replication carries it."""
        for region in regions:
            self.tables[region].table.put_item(
                Item={
                    "pk": "traffic",
                    "sk": "desired",
                    "document": json.dumps(document),
                    "version": document["version"],
                }
            )

    def invoke_until_killed(self, region: str) -> Invocation:
        """One invocation that Lambda may stop half way (a `LambdaTimeout` raised by a fake)."""
        try:
            return self.invoke(region)
        except LambdaTimeout:
            self.replicate()
            invocation = Invocation(self.now, region, None, "Task timed out")
            self.log.append(invocation)
            return invocation
