"""Lambda's Kinesis event source mapping, replayed on a virtual clock: how records reach stream_sync.

Per shard, records are split into `parallelization_factor` lanes by partition key (one key's records stay
in order, lanes run concurrently); a lane invokes the function with up to `batch_size` records, and no more
than the 6 MB a synchronous invocation carries, once its oldest waiting record has waited the batching
window (at once when the batch is full or a backlog waits).
A partial batch response (ReportBatchItemFailures) retries from the lowest failed sequence number and
counts as a retry; a function error bisects the batch (bisection uses no retries; one record alone is
retried); an empty or unknown item identifier fails the whole batch. Records past MaximumRetryAttempts or
MaximumRecordAgeInSeconds are discarded: the on-failure destination receives only their metadata.
Invocations of all lanes run in time order, so their writes interleave as they would.
"""

import heapq
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bench.workload import shard_of

Function = Callable[[list[dict[str, Any]]], tuple[dict[str, Any] | None, float]]
"""The function under test: a batch in, (response or None for an error, seconds it ran) out."""


@dataclass(frozen=True)
class Mapping:
    batch_size: int
    batching_window_seconds: float
    parallelization_factor: int
    max_retries: int
    max_record_age_seconds: float
    bisect_on_error: bool = True
    payload_limit_bytes: int = 6 * 1024 * 1024
    """A batch is what one synchronous invocation carries at most (the records as the event holds them)."""


@dataclass
class Replay:
    invocations: int = 0
    retries: int = 0
    bisections: int = 0
    discarded: list[dict[str, Any]] = field(default_factory=list)
    """Records the mapping gave up on (their metadata would reach the on-failure destination)."""
    done_after: list[float] = field(default_factory=list)
    """Seconds from each record's arrival to the end of the invocation that settled it."""


def _sequence(record: dict[str, Any]) -> tuple[int, str]:
    sequence = record["kinesis"]["sequenceNumber"]
    return len(sequence), sequence


def _payload_bytes(record: dict[str, Any]) -> int:
    return len(json.dumps(record)) + 2


@dataclass
class _Lane:
    waiting: list[tuple[float, dict[str, Any]]]
    free_at: float = 0.0
    sizes: dict[int, int] = field(default_factory=dict)

    def _size(self, record: dict[str, Any]) -> int:
        if id(record) not in self.sizes:
            self.sizes[id(record)] = _payload_bytes(record)
        return self.sizes[id(record)]

    def next_batch(self, mapping: Mapping) -> tuple[float, list[tuple[float, dict[str, Any]]]]:
        """When the lane invokes next, and with which records: those waiting by then, up to the batch size
        and the payload limit (a batch is full, and goes at once, when either is reached)."""
        first = self.waiting[0][0]
        horizon = max(self.free_at, first + mapping.batching_window_seconds)
        ready, size, fitting = first + mapping.batching_window_seconds, 0, 0
        for arrival, record in self.waiting[: mapping.batch_size]:
            if arrival > horizon:
                break
            size += self._size(record)
            if size > mapping.payload_limit_bytes and fitting:
                ready = min(ready, self.waiting[fitting - 1][0])
                break
            fitting += 1
        else:
            if fitting == mapping.batch_size:
                ready = min(ready, self.waiting[fitting - 1][0])
        start = max(self.free_at, ready)
        return start, [item for item in self.waiting[:fitting] if item[0] <= start]


def lane_of(record: dict[str, Any], factor: int) -> tuple[str, str, int]:
    """The stream, shard and lane (of `factor` per shard, chosen by partition key) a record is delivered in."""
    lane = shard_of("lane:" + record["kinesis"]["partitionKey"], factor)
    return record["eventSourceARN"], record["eventID"].split(":", 1)[0], lane


def _lanes(shard: list[tuple[float, dict[str, Any]]], factor: int) -> list[_Lane]:
    lanes = [_Lane([]) for _ in range(factor)]
    for arrival, record in shard:
        lanes[lane_of(record, factor)[2]].waiting.append((arrival, record))
    return [lane for lane in lanes if lane.waiting]


class _Invoker:
    def __init__(self, function: Function, mapping: Mapping, replay: Replay) -> None:
        self.function, self.mapping, self.replay = function, mapping, replay

    def settle(self, batch: list[tuple[float, dict[str, Any]]], now: float, retries: int = 0) -> float:
        """Process one batch to the end (retries, bisection, discards); returns when the lane is free."""
        while batch:
            too_old = [item for item in batch if now - item[0] > self.mapping.max_record_age_seconds]
            self.replay.discarded.extend(record for _, record in too_old)
            batch = [item for item in batch if item not in too_old]
            if not batch:
                break
            self.replay.invocations += 1
            response, ran = self.function([record for _, record in batch])
            now += ran
            if response is None:
                if self.mapping.bisect_on_error and len(batch) > 1:
                    self.replay.bisections += 1
                    half = len(batch) // 2
                    now = self.settle(batch[:half], now, retries)
                    return self.settle(batch[half:], now, retries)
                failed_from = batch[0][1]
            else:
                failures = [f.get("itemIdentifier") for f in response.get("batchItemFailures") or []]
                known = {record["kinesis"]["sequenceNumber"]: record for _, record in batch}
                if not failures:
                    self.replay.done_after.extend(now - arrival for arrival, _ in batch)
                    break
                if any(not f or f not in known for f in failures):
                    failed_from = batch[0][1]
                else:
                    failed_from = min((known[f] for f in failures), key=_sequence)
            settled = [item for item in batch if _sequence(item[1]) < _sequence(failed_from)]
            self.replay.done_after.extend(now - arrival for arrival, _ in settled)
            batch = [item for item in batch if _sequence(item[1]) >= _sequence(failed_from)]
            retries += 1
            self.replay.retries += 1
            if retries > self.mapping.max_retries:
                self.replay.discarded.extend(record for _, record in batch)
                break
        return now


def replay(shards: list[list[tuple[float, dict[str, Any]]]], mapping: Mapping, function: Function) -> Replay:
    """Feed every shard's records (arrival time, Lambda record) through the mapping to `function`."""
    result = Replay()
    invoker = _Invoker(function, mapping, result)
    lanes = [lane for shard in shards for lane in _lanes(shard, mapping.parallelization_factor)]
    queue = [(lane.next_batch(mapping)[0], index) for index, lane in enumerate(lanes)]
    heapq.heapify(queue)
    while queue:
        _, index = heapq.heappop(queue)
        lane = lanes[index]
        start, batch = lane.next_batch(mapping)
        del lane.waiting[: len(batch)]
        lane.free_at = invoker.settle(batch, start)
        if lane.waiting:
            heapq.heappush(queue, (lane.next_batch(mapping)[0], index))
    return result
