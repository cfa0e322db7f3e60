"""stream_sync as deployed: the stack's shards, batching window, lanes and retry limits replayed over a
contact center's real event mix, with each write path's DynamoDB requests and capacity units.

Write paths compared (all but the last keep "an older state never overwrites a newer one"):
- conditional put: one conditional PutItem per coalesced key (the deployed path), with the container's
  version cache skipping redelivered records it knows are stale;
- conditional put, no cache: the same without the cache;
- read, then conditional put: a consistent BatchGetItem first, PutItem only for keys not stale;
- read, then batch write (the first build's path): unconditional BatchWriteItem, unsafe under concurrency.
Cost is in DynamoDB's on-demand units: a write unit per started KB (a failed condition costs it too), a
replicated write unit per started KB in the other region for every write that lands, a read unit per
started 4 KB of a strongly consistent read. Priced alike, as on-demand is billed (a read unit costs a
fifth of a write unit), the cheapest safe path per load is chosen.
"""

import statistics
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from boto3.dynamodb.types import TypeSerializer

from bench.event_source import Mapping, lane_of, replay
from bench.fake_aws import FakeSqs
from bench.lambda_modules import lambda_handler
from bench.memory_dynamodb import MemoryDynamoDB, Usage
from bench.workload import ContactCenterDay, to_shards

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "lambdas" / "stream_sync"))
from dead_letters import DeadLetterQueue
from records import Change, Record, coalesce, decode_batch
from writer import DynamoStore, VersionCache, apply_changes

LOADS = (100, 1_000, 5_000)
FEWER_RETRIES = 3
"""Replayed at the largest load to show why the mapping retries 10 times: a retry that lands in another
container has no version cache, so throttled batches repeat more and can run out of retries."""
SECONDS = 600.0
READ_UNIT_PRICE = 0.2
"""On-demand prices (us-east-1, from November 2024): $0.125 per million read units, $0.625 per million
write and replicated write units."""
REQUEST_SECONDS = {"dynamodb": 0.008, "invocation": 0.025}
"""Assumed latency of one DynamoDB request from Lambda in the region, and a warm invocation's overhead."""
REPLICATION_SECONDS = 1.0
AGENT_STREAM = "arn:aws:kinesis:us-east-1:123456789012:stream/connectdr-agent-events"
CTR_STREAM = "arn:aws:kinesis:us-east-1:123456789012:stream/connectdr-ctr"
KEYS = {"contacts": ("contactId", "writerRegion"), "agent_state": ("agentId", "writerRegion"), "ledger": ("record",)}
TABLES = {"contacts": "contacts", "agent_state": "agent_state"}
_serializer = TypeSerializer()


def configured_mapping() -> tuple[Mapping, int]:
    """The event source mapping and shard count the primary stack configures."""
    from deploy.plan import load_offline_stacks
    from deploy.stack_files import validate_stack_file

    sync = validate_stack_file(load_offline_stacks()["primary"]).stack.data_sync
    mapping = Mapping(
        batch_size=sync.batch_size,
        batching_window_seconds=sync.batching_window_seconds,
        parallelization_factor=sync.parallelization_factor,
        max_retries=sync.max_retries,
        max_record_age_seconds=sync.max_record_age_seconds,
    )
    return mapping, sync.shard_count


def _read_first(store: DynamoStore, client: MemoryDynamoDB, changes: list[Change], conditional: bool) -> list[Change]:
    """Consistent BatchGetItem of this region's items; returns the changes newer than what is stored."""
    newer = []
    for start in range(0, len(changes), 100):
        chunk = changes[start : start + 100]
        request: dict[str, Any] = {}
        for change in chunk:
            key_name = KEYS[change.table][0]
            request.setdefault(change.table, {"Keys": [], "ConsistentRead": True})["Keys"].append(
                {key_name: {"S": change.key}, "writerRegion": {"S": store.region}}
            )
        found = client.batch_get_item(RequestItems=request)["Responses"]
        stored = {(t, item[KEYS[t][0]]["S"]): item["version"]["S"] for t, items in found.items() for item in items}
        newer += [c for c in chunk if stored.get((c.table, c.key), "") < c.version]
    if conditional:
        return newer
    for start in range(0, len(newer), 25):
        request = {}
        for change in newer[start : start + 25]:
            item = {
                **change.attributes,
                KEYS[change.table][0]: change.key,
                "writerRegion": store.region,
                "version": change.version,
            }
            serialized = {name: _serializer.serialize(value) for name, value in item.items()}
            request.setdefault(change.table, []).append({"PutRequest": {"Item": serialized}})
        client.batch_write_item(RequestItems=request)
        client.usage.replicated_write_units += sum(1 for entries in request.values() for _ in entries)
    return []


@dataclass(frozen=True)
class WritePath:
    name: str
    safe: bool
    run: Callable[[MemoryDynamoDB, DynamoStore, DeadLetterQueue, Mapping], Callable]


def _deployed(cached: bool) -> Callable:
    def make(client: MemoryDynamoDB, store: DynamoStore, queue: DeadLetterQueue, mapping: Mapping) -> Callable:
        caches: dict[tuple[str, str, int], VersionCache] = {}

        def function(batch: list[dict[str, Any]]) -> dict[str, Any]:
            lane = lane_of(batch[0], mapping.parallelization_factor)  # a lane's retries find its warm container
            cache = caches.setdefault(lane, VersionCache()) if cached else None
            return lambda_handler("stream_sync").process({"Records": batch}, store, queue, cache)[0]

        return function

    return make


def _reading(conditional: bool) -> Callable:
    def make(client: MemoryDynamoDB, store: DynamoStore, queue: DeadLetterQueue, mapping: Mapping) -> Callable:
        def function(batch: list[dict[str, Any]]) -> dict[str, Any]:
            changes = coalesce(decode_batch([Record.of(record) for record in batch]).changes)
            result = apply_changes(_read_first(store, client, changes, conditional), store)
            failed = sorted({s for change in result.failed for s in change.sequence_numbers})
            return {"batchItemFailures": [{"itemIdentifier": s} for s in failed]}

        return function

    return make


PATHS = (
    WritePath("conditional put (deployed)", True, _deployed(cached=True)),
    WritePath("conditional put, no cache", True, _deployed(cached=False)),
    WritePath("read, then conditional put", True, _reading(conditional=True)),
    WritePath("read, then batch write (unsafe)", False, _reading(conditional=False)),
)


@dataclass
class Outcome:
    events: int
    usage: Usage
    done_after: list[float]
    discarded: int
    invocations: int

    def per_thousand(self, value: float) -> float:
        return 1000 * value / self.events

    @property
    def cost(self) -> float:
        """Write-unit equivalents per 1,000 events (a read unit priced at a fifth of a write unit)."""
        usage = self.usage
        return self.per_thousand(usage.write_units + usage.replicated_write_units + READ_UNIT_PRICE * usage.read_units)


def run_path(path: WritePath, shards: list, mapping: Mapping, throttle_share: float, events: int) -> Outcome:
    client = MemoryDynamoDB(KEYS, throttle_share=throttle_share)
    store = DynamoStore(client, TABLES, "us-east-1")
    queue = DeadLetterQueue(
        FakeSqs(), "https://sqs.us-east-1.amazonaws.com/123456789012/dead-letters", client, "ledger"
    )
    function = path.run(client, store, queue, mapping)

    def timed(batch: list[dict[str, Any]]) -> tuple[dict[str, Any] | None, float]:
        before = client.usage.requests
        response = function(batch)
        ran = REQUEST_SECONDS["invocation"] + REQUEST_SECONDS["dynamodb"] * (client.usage.requests - before)
        return response, ran

    outcome = replay(shards, mapping, timed)
    return Outcome(events, client.usage, outcome.done_after, len(outcome.discarded), outcome.invocations)


def consumer_cpu(shards: list, mapping: Mapping) -> float:
    """Events per CPU-second in decode and coalesce (the consumer's own work, no I/O)."""
    batches = [
        [record for _, record in shard[i : i + mapping.batch_size]]
        for shard in shards
        for i in range(0, len(shard), mapping.batch_size)
    ]
    began = time.process_time()
    count = 0
    for batch in batches:
        coalesce(decode_batch([Record.of(record) for record in batch]).changes)
        count += len(batch)
    return count / max(time.process_time() - began, 1e-9)


def main() -> None:
    mapping, shards_count = configured_mapping()
    print(
        f"stream_sync as deployed: {shards_count} shards per stream, batches of up to {mapping.batch_size}, "
        f"{mapping.batching_window_seconds} s batching window, {mapping.parallelization_factor} lanes per shard, "
        f"{mapping.max_retries} retries; {SECONDS / 60:.0f} minutes of a contact center's events with ~1% "
        "duplicates and arrival jitter; cost per 1,000 events delivered"
    )
    for agents in LOADS:
        day = ContactCenterDay(agents=agents, seconds=SECONDS, seed=agents).generate()
        shards = to_shards([p for p in day if "AgentARN" in p.body], shards_count, AGENT_STREAM) + to_shards(
            [p for p in day if "ContactId" in p.body], shards_count, CTR_STREAM
        )
        rate = len(day) / SECONDS
        print(f"\n  {agents:,} agents: {len(day):,} events ({rate:.1f}/s)")
        for throttle in (0.0, 0.02):
            print(f"    {'with 2% of writes throttled past botocore retries' if throttle else 'no faults'}:")
            print(
                f"    {'write path':<34}{'requests':>9}{'read u':>8}{'write u':>9}{'repl u':>8}{'cost':>7}"
                "   arrival->written p50/p99/max"
            )
            results = []
            for path in PATHS:
                if throttle and not path.safe:
                    continue
                outcome = run_path(path, shards, mapping, throttle, len(day))
                usage, done = outcome.usage, sorted(outcome.done_after)
                results.append((path, outcome))
                p99 = done[int(0.99 * (len(done) - 1))]
                units = (usage.requests, usage.read_units, usage.write_units, usage.replicated_write_units)
                per = [outcome.per_thousand(value) for value in units]
                print(
                    f"    {path.name:<34}{per[0]:>9.0f}{per[1]:>8.0f}{per[2]:>9.0f}{per[3]:>8.0f}{outcome.cost:>7.0f}"
                    f"   {statistics.median(done):.2f} / {p99:.2f} / {done[-1]:.2f} s"
                    + (f"  ({outcome.discarded} discarded)" if outcome.discarded else "")
                )
            safe = [(path, outcome) for path, outcome in results if path.safe]
            cheapest = min(safe, key=lambda pair: pair[1].cost)
            print(f"    cheapest safe path: {cheapest[0].name}")
        if agents == LOADS[-1]:
            print(f"    with 2% throttled and {FEWER_RETRIES} retries instead of {mapping.max_retries}:")
            fewer = replace(mapping, max_retries=FEWER_RETRIES)
            for path in PATHS[:2]:
                discarded = run_path(path, shards, fewer, 0.02, len(day)).discarded
                print(f"    {path.name:<34}{discarded:>9} records discarded")
        print(f"    consumer core (decode + coalesce): {consumer_cpu(shards, mapping):,.0f} events per CPU-second")
    print(
        f"\n  RPO: arrival -> written (above, with {REQUEST_SECONDS['dynamodb'] * 1000:.0f} ms per DynamoDB request "
        f"and {REQUEST_SECONDS['invocation'] * 1000:.0f} ms per invocation assumed) + global table replication "
        f"(~{REPLICATION_SECONDS:.0f} s, alarmed by ReplicationLatency); IteratorAge is alarmed at 60 s"
    )
