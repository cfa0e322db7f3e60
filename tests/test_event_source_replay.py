"""The bench's replay of Lambda's Kinesis event source mapping, against the documented semantics: batches
bounded by size, window and the 6 MB invocation payload; partial batch responses checkpoint at the lowest
failed sequence number; invalid identifiers fail the whole batch; bisection on errors costs no retry."""

import json

from bench.event_source import Mapping, replay
from bench.workload import kinesis_record

MAPPING = Mapping(
    batch_size=500, batching_window_seconds=1, parallelization_factor=1, max_retries=2, max_record_age_seconds=3600
)


def shard(count: int, body: str = "{}", every: float = 0.001) -> list:
    return [[(n * every, kinesis_record(body, n, partition_key="k")) for n in range(1, count + 1)]]


def sequence(record) -> int:
    return int(record["kinesis"]["sequenceNumber"])


def recording(answer):
    """A function that records each batch (sequence numbers) and answers with `answer(batch)`."""
    calls = []

    def function(batch):
        calls.append([sequence(record) for record in batch])
        return answer(batch), 0.01

    return function, calls


def test_a_batch_never_exceeds_the_six_mb_invocation_payload():
    """Kinesis records up to 1 MiB each (base64 in the event): Lambda stops a batch at 6 MB whatever the size."""
    function, calls = recording(lambda _batch: {"batchItemFailures": []})
    records = shard(20, "x" * 1_000_000)
    sizes = {sequence(record): len(json.dumps(record)) for _, record in records[0]}
    replay(records, MAPPING, function)
    assert sorted(n for call in calls for n in call) == list(range(1, 21)), "every record once, in order"
    assert all(sum(sizes[n] for n in call) <= 6 * 1024 * 1024 for call in calls)
    assert max(len(call) for call in calls) == 4, "as many 1.33 MB records as fit"


def test_a_partial_failure_retries_from_the_lowest_failed_sequence_number():
    failed_once = set()

    def answer(batch):
        numbers = [sequence(record) for record in batch]
        fail = [n for n in (7, 4) if n in numbers and n not in failed_once]
        failed_once.update(fail)
        return {"batchItemFailures": [{"itemIdentifier": f"{n:056d}"} for n in fail]}

    function, calls = recording(answer)
    outcome = replay(shard(10), MAPPING, function)
    assert calls == [list(range(1, 11)), list(range(4, 11))] and outcome.retries == 1 and outcome.discarded == []


def test_an_invalid_identifier_fails_the_whole_batch_and_exhausts_its_retries():
    function, calls = recording(lambda _batch: {"batchItemFailures": [{"itemIdentifier": ""}]})
    outcome = replay(shard(5), MAPPING, function)
    assert calls == [[1, 2, 3, 4, 5]] * 3, "the first try and max_retries (2) retries, no bisection"
    assert [sequence(record) for record in outcome.discarded] == [1, 2, 3, 4, 5]


def test_bisection_on_function_errors_costs_no_retry_and_isolates_the_record():
    function, calls = recording(lambda batch: None if any(sequence(r) == 3 for r in batch) else {})
    outcome = replay(shard(8), MAPPING, function)
    assert outcome.bisections >= 3 and [sequence(record) for record in outcome.discarded] == [3]
    assert calls.count([3]) == 3, "alone, the record is tried once and retried max_retries times"
    assert sorted({n for call in calls for n in call if n != 3}) == [1, 2, 4, 5, 6, 7, 8]


def test_records_past_their_maximum_age_are_discarded_not_delivered():
    aged = Mapping(**{**MAPPING.__dict__, "max_record_age_seconds": 60})
    function, calls = recording(
        lambda batch: {"batchItemFailures": [{"itemIdentifier": batch[0]["kinesis"]["sequenceNumber"]}]}
    )

    def slow(batch):
        response, _ = function(batch)
        return response, 40.0

    outcome = replay(shard(2), aged, slow)
    assert len(calls) == 2 and [sequence(record) for record in outcome.discarded] == [1, 2]
