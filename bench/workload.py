"""Connect stream records as Kinesis delivers them to Lambda, and a realistic contact-center day's mix.

Agent events follow the agent event stream data model: STATE_CHANGE when the agent changes status in the
CCP or a contact changes state (CONNECTING, CONNECTED, CONNECTED_ONHOLD, ENDED = after-contact work, then
cleared), LOGIN/LOGOUT, and HEART_BEAT every 120 s without other events. Contact trace records are
published after each contact's after-contact work, some again later with a newer LastUpdateTimestamp.
Delivery is at least once and out of order: some records are published twice, and arrival jitters.
"""

import base64
import hashlib
import json
import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

INSTANCE_ARN = "arn:aws:connect:us-east-1:123456789012:instance/11111111-2222-3333-4444-555555555555"
STREAM_ARN = "arn:aws:kinesis:us-east-1:123456789012:stream/connectdr-agent-events"
START = datetime(2026, 11, 24, 14, 0, tzinfo=UTC)


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def agent_arn(agent: int) -> str:
    return f"{INSTANCE_ARN}/agent/{agent:08d}-0000-4000-8000-000000000000"


def agent_id(agent: int) -> str:
    return agent_arn(agent).rsplit("/", 1)[-1]


def agent_event(
    agent: int,
    moment: datetime,
    event_type: str = "STATE_CHANGE",
    status: str = "Available",
    event_id: str = "",
    contacts: tuple[tuple[str, str], ...] = (),
    instance_arn: str = INSTANCE_ARN,
) -> dict[str, Any]:
    """An agent event: `status` is the agent status chosen in the CCP, `contacts` (id, state) pairs."""
    status_type = "OFFLINE" if status == "Offline" else "ROUTABLE" if status == "Available" else "CUSTOM"
    return {
        "AgentARN": agent_arn(agent),
        "AWSAccountId": "123456789012",
        "InstanceARN": instance_arn,
        "EventId": event_id or f"{agent:06d}-{moment.timestamp():.3f}-{event_type}",
        "EventTimestamp": _iso(moment),
        "EventType": event_type,
        "Version": "2019-05-25",
        "CurrentAgentSnapshot": {
            "AgentStatus": {"Name": status, "Type": status_type, "StartTimestamp": _iso(moment)},
            "Configuration": {"Username": f"agent{agent}", "RoutingProfile": {"Name": "Sales-Agents"}},
            "Contacts": [
                {
                    "ContactId": contact,
                    "Channel": "VOICE",
                    "InitiationMethod": "INBOUND",
                    "State": state,
                    "StateStartTimestamp": _iso(moment),
                    "Queue": {"Name": "Support"},
                }
                for contact, state in contacts
            ],
        },
    }


def contact_record(contact: str, updated: datetime, queue: str = "Support", agent: int = 1) -> dict[str, Any]:
    return {
        "ContactId": contact,
        "InitialContactId": None,
        "Channel": "VOICE",
        "InitiationMethod": "INBOUND",
        "InitiationTimestamp": _iso(updated - timedelta(minutes=5)),
        "DisconnectTimestamp": _iso(updated),
        "LastUpdateTimestamp": _iso(updated),
        "Queue": {"Name": queue},
        "Agent": {"ARN": agent_arn(agent)},
        "InstanceARN": INSTANCE_ARN,
        "AWSAccountId": "123456789012",
        "AWSContactTraceRecordFormatVersion": "2017-03-10",
    }


def kinesis_record(
    body: dict[str, Any] | str,
    sequence: int,
    partition_key: str | None = None,
    shard: str = "shardId-000000000000",
    stream: str = STREAM_ARN,
) -> dict[str, Any]:
    """A record as Lambda's Kinesis event carries it; a str body is sent as is (for malformed data)."""
    payload = body if isinstance(body, str) else json.dumps(body)
    if partition_key is None and isinstance(body, dict):
        partition_key = body.get("AgentARN") or body.get("ContactId")
    return {
        "kinesis": {
            "kinesisSchemaVersion": "1.0",
            "partitionKey": partition_key or "unknown",
            "sequenceNumber": f"{sequence:056d}",
            "data": base64.b64encode(payload.encode()).decode(),
            "approximateArrivalTimestamp": 1_700_000_000.0,
        },
        "eventSource": "aws:kinesis",
        "eventID": f"{shard}:{sequence:056d}",
        "eventSourceARN": stream,
    }


def shard_of(partition_key: str, shards: int) -> int:
    """Kinesis maps the MD5 of the partition key onto shards' equal hash key ranges."""
    return int.from_bytes(hashlib.md5(partition_key.encode()).digest(), "big") * shards >> 128


@dataclass(frozen=True)
class Published:
    """One record Connect put on a stream: when it arrives, its body, and its partition key."""

    arrival: float
    body: dict[str, Any]
    partition_key: str


@dataclass
class ContactCenterDay:
    """`agents` signed-in agents taking calls for `seconds`: idle ~45 s, ringing 2-10 s, 20% put on hold,
    talk ~4 min, after-contact work ~30 s, 5% take a break; 5% log in and 5% log out during the period."""

    agents: int
    seconds: float = 600.0
    seed: int = 7
    duplicate_share: float = 0.01
    arrival_jitter_seconds: float = 1.5

    def _agent(self, agent: int, rng: random.Random) -> list[tuple[float, dict[str, Any], str]]:
        events: list[tuple[float, dict[str, Any], str]] = []
        arn = agent_arn(agent)

        def emit(at: float, event_type: str, status: str, contacts: tuple[tuple[str, str], ...] = ()) -> None:
            events.append(
                (at, agent_event(agent, START + timedelta(seconds=at), event_type, status, contacts=contacts), arn)
            )

        t = rng.uniform(0, 60)
        if rng.random() < 0.05:
            emit(t, "LOGIN", "Available")
        leaves_at = rng.uniform(0, self.seconds) if rng.random() < 0.05 else self.seconds
        calls = 0
        while t < leaves_at:
            t += rng.expovariate(1 / 45)
            if rng.random() < 0.05:
                emit(t, "STATE_CHANGE", "Break")
                t += rng.expovariate(1 / 300)
                emit(t, "STATE_CHANGE", "Available")
                continue
            calls += 1
            contact = f"{agent:06d}-{calls:04d}-contact"
            emit(t, "STATE_CHANGE", "Available", ((contact, "CONNECTING"),))
            t += rng.uniform(2, 10)
            emit(t, "STATE_CHANGE", "Available", ((contact, "CONNECTED"),))
            if rng.random() < 0.2:
                t += rng.expovariate(1 / 60)
                emit(t, "STATE_CHANGE", "Available", ((contact, "CONNECTED_ONHOLD"),))
                t += rng.expovariate(1 / 30)
                emit(t, "STATE_CHANGE", "Available", ((contact, "CONNECTED"),))
            t += rng.expovariate(1 / 240)
            emit(t, "STATE_CHANGE", "Available", ((contact, "ENDED"),))
            t += rng.expovariate(1 / 30)
            emit(t, "STATE_CHANGE", "Available")
            published = t + rng.uniform(5, 30)
            record = contact_record(contact, START + timedelta(seconds=published), agent=agent)
            events.append((published, record, contact))
            if rng.random() < 0.1:
                again = published + rng.uniform(60, 300)
                events.append((again, contact_record(contact, START + timedelta(seconds=again), agent=agent), contact))
        if leaves_at < self.seconds:
            emit(t + 1, "LOGOUT", "Offline")
        return self._with_heartbeats(agent, events, rng)

    def _with_heartbeats(
        self, agent: int, events: list[tuple[float, dict[str, Any], str]], rng: random.Random
    ) -> list[tuple[float, dict[str, Any], str]]:
        mine = sorted((e for e in events if "AgentARN" in e[1]), key=lambda e: e[0])
        beats = []
        for (at, body, arn), (following, _, _) in zip(mine, [*mine[1:], (self.seconds, None, None)], strict=True):
            beat = at + 120
            while beat < following:
                status = body["CurrentAgentSnapshot"]["AgentStatus"]["Name"]
                beats.append((beat, agent_event(agent, START + timedelta(seconds=beat), "HEART_BEAT", status), arn))
                beat += 120
        return events + beats

    def generate(self) -> list[Published]:
        rng = random.Random(self.seed)
        published = []
        for agent in range(self.agents):
            for at, body, key in self._agent(agent, rng):
                if at > self.seconds:
                    continue
                arrival = at + rng.uniform(0, self.arrival_jitter_seconds)
                published.append(Published(arrival, body, key))
                if rng.random() < self.duplicate_share:
                    published.append(Published(arrival + rng.uniform(0.5, 5), body, key))
        return sorted(published, key=lambda p: p.arrival)


def to_shards(
    published: list[Published], shards: int, stream: str = STREAM_ARN
) -> list[list[tuple[float, dict[str, Any]]]]:
    """Each shard's records in arrival order, as Lambda records with increasing sequence numbers."""
    lanes: list[list[tuple[float, dict[str, Any]]]] = [[] for _ in range(shards)]
    for sequence, item in enumerate(published, start=1):
        shard = shard_of(item.partition_key, shards)
        name = f"shardId-{shard:012d}"
        lanes[shard].append((item.arrival, kinesis_record(item.body, sequence, item.partition_key, name, stream)))
    return lanes
