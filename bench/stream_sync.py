"""stream_sync: DynamoDB write requests against a PutItem-per-event baseline, and consumer CPU throughput."""

import sys
import time
from pathlib import Path

from bench.memory_dynamodb import MemoryDynamoDB
from bench.workload import AgentWorkload, kinesis_record

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "lambdas" / "stream_sync"))
from records import coalesce, decode_batch
from writer import DynamoStore, apply_changes

TABLES = {"contacts": "contacts", "agent_state": "agent_state"}
REPLICATION_SECONDS = 1.0
BATCH_SIZE = 500
BATCHING_WINDOW_SECONDS = 1


def run() -> dict[str, float]:
    bodies = AgentWorkload(agents=200, events=10_000, seed=7).generate()
    records = [kinesis_record(body, index) for index, body in enumerate(bodies)]
    client = MemoryDynamoDB({"contacts": "contactId", "agent_state": "agentId"})
    store = DynamoStore(client, TABLES, "us-east-1", sleep=lambda _seconds: None)
    cpu_core = cpu_total = 0.0
    for start in range(0, len(records), BATCH_SIZE):
        batch = records[start : start + BATCH_SIZE]
        began = time.process_time()
        changes = coalesce(decode_batch(batch).changes)
        decoded = time.process_time()
        apply_changes(changes, store)
        cpu_core += decoded - began
        cpu_total += time.process_time() - began
    began = time.process_time()
    for _ in range(3):
        for start in range(0, len(records), BATCH_SIZE):
            coalesce(decode_batch(records[start : start + BATCH_SIZE]).changes)
    cpu_repeat = (time.process_time() - began) / 3
    naive = len(records)
    return {
        "events": len(records),
        "agents": 200,
        "batch_size": BATCH_SIZE,
        "requests": client.requests,
        "naive_requests": naive,
        "events_per_cpu_second": len(records) / max(min(cpu_core, cpu_repeat), 1e-9),
        "events_per_cpu_second_with_writes": len(records) / max(cpu_total, 1e-9),
    }


def main() -> None:
    figures = run()
    per_thousand = 1000 * figures["requests"] / figures["events"]
    naive_per_thousand = 1000 * figures["naive_requests"] / figures["events"]
    print("stream_sync (200 agents, 10,000 agent events, bursts of state changes, batches of 500)")
    print(
        f"  DynamoDB requests per 1,000 events: {per_thousand:.1f} (naive PutItem per event: {naive_per_thousand:.0f})"
    )
    print(f"  share of naive: {100 * per_thousand / naive_per_thousand:.1f}% (target <= 15%)")
    core = figures["events_per_cpu_second"]
    print(f"  consumer core (decode + coalesce): {core:,.0f} events per CPU-second (target >= 20,000)")
    print(
        f"  with write planning and item serialization (in-memory table): "
        f"{figures['events_per_cpu_second_with_writes']:,.0f} events per CPU-second"
    )
    budget = BATCHING_WINDOW_SECONDS + REPLICATION_SECONDS
    print(
        f"  RPO budget: batching window {BATCHING_WINDOW_SECONDS} s + global table replication "
        f"~{REPLICATION_SECONDS:.0f} s = ~{budget:.0f} s"
    )
    print("  (plus the consumer's run time; IteratorAge and ReplicationLatency alarms watch both terms)")
