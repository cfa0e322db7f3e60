"""stream_sync at the edges its other tests do not reach: versions at any instant, dead letters whose
ledger or queue half fails, and the time an invocation has left."""

from datetime import UTC, datetime

from conftest import load_lambda

from bench.workload import agent_event, kinesis_record

load_lambda("stream_sync")
from records import Change, Record, coalesce, decode  # noqa: E402


def test_events_a_millisecond_apart_keep_their_order_at_any_instant():
    """Epoch milliseconds from a float lose one now and then once timestamps pass 2^31 s (2038): the newer of
    two events a millisecond apart got the older's version, and the event ids (random) decided the winner."""
    older = agent_event(1, datetime(2038, 12, 7, 23, 50, 22, 639_000, tzinfo=UTC), status="Break", event_id="b")
    newer = agent_event(1, datetime(2038, 12, 7, 23, 50, 22, 640_000, tzinfo=UTC), status="Lunch", event_id="a")
    first, second = (decode(Record.of(kinesis_record(body, n))) for n, body in enumerate((older, newer), start=1))
    assert isinstance(first, Change) and isinstance(second, Change)
    assert second.version > first.version
    assert first.version.startswith("002175378622639#") and second.version.startswith("002175378622640#")
    (winner,) = coalesce([second, first])
    assert winner.attributes["status"] == "Lunch"
