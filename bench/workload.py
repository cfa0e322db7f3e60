"""Connect stream records as Kinesis delivers them to Lambda, for tests and benchmarks."""

import base64
import json
import random
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

INSTANCE_ARN = "arn:aws:connect:us-east-1:123456789012:instance/11111111-2222-3333-4444-555555555555"
STATUSES = ("Available", "On contact", "After contact work", "Break", "Lunch")


def _iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def agent_arn(agent: int) -> str:
    return f"{INSTANCE_ARN}/agent/{agent:08d}-0000-4000-8000-000000000000"


def agent_event(
    agent: int, moment: datetime, event_type: str = "STATE_CHANGE", status: str = "Available", event_id: str = ""
) -> dict[str, Any]:
    return {
        "AgentARN": agent_arn(agent),
        "AWSAccountId": "123456789012",
        "InstanceARN": INSTANCE_ARN,
        "EventId": event_id or f"{agent:04d}-{moment.timestamp():.3f}-{event_type}",
        "EventTimestamp": _iso(moment),
        "EventType": event_type,
        "Version": "2019-05-25",
        "CurrentAgentSnapshot": {
            "AgentStatus": {"Name": status, "StartTimestamp": _iso(moment)},
            "Configuration": {"Username": f"agent{agent}", "RoutingProfile": {"Name": "Sales-Agents"}},
            "Contacts": [{"ContactId": "c"}] if status == "On contact" else [],
        },
    }


def contact_record(contact: str, updated: datetime, queue: str = "Support") -> dict[str, Any]:
    return {
        "ContactId": contact,
        "InitialContactId": None,
        "Channel": "VOICE",
        "InitiationMethod": "INBOUND",
        "InitiationTimestamp": _iso(updated - timedelta(minutes=5)),
        "DisconnectTimestamp": _iso(updated),
        "LastUpdateTimestamp": _iso(updated),
        "Queue": {"Name": queue},
        "Agent": {"ARN": agent_arn(1)},
        "InstanceARN": INSTANCE_ARN,
        "AWSAccountId": "123456789012",
        "AWSContactTraceRecordFormatVersion": "2017-03-10",
    }


def kinesis_record(body: dict[str, Any] | str, sequence: int, partition_key: str | None = None) -> dict[str, Any]:
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
        "eventID": f"shardId-000000000000:{sequence:056d}",
    }


@dataclass
class AgentWorkload:
    """A realistic agent-event mix: bursts of state changes per call, heart-beats while idle."""

    agents: int = 200
    events: int = 10_000
    seed: int = 7
    bodies: list[dict[str, Any]] = field(default_factory=list)

    def generate(self) -> list[dict[str, Any]]:
        rng = random.Random(self.seed)
        start = datetime(2026, 11, 24, 14, 0, tzinfo=UTC)
        clock = {agent: start + timedelta(seconds=rng.uniform(0, 60)) for agent in range(self.agents)}
        while len(self.bodies) < self.events:
            agent = rng.randrange(self.agents)
            moment = clock[agent]
            if rng.random() < 0.15:
                self.bodies.append(agent_event(agent, moment, "HEART_BEAT"))
                clock[agent] = moment + timedelta(seconds=120)
                continue
            for status in ("On contact", "After contact work", "Available")[: rng.randint(1, 3)]:
                moment += timedelta(seconds=rng.uniform(0.2, 4))
                self.bodies.append(agent_event(agent, moment, "STATE_CHANGE", status))
            clock[agent] = moment + timedelta(seconds=rng.uniform(5, 90))
        self.bodies = sorted(self.bodies[: self.events], key=lambda body: body["EventTimestamp"])
        return self.bodies
