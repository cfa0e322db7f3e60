"""In-memory stand-ins for the AWS calls the controller makes, checked against botocore's service models.

Moto implements neither traffic distribution groups nor cross-region reachability, and the benchmarks
need thousands of evaluations: these fakes validate every request against the real request shape, answer
in the real response shape, and let a test cut a region off or make a call fail.
"""

import copy
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import botocore.session
from boto3.dynamodb.types import TypeDeserializer, TypeSerializer
from botocore.exceptions import ClientError, EndpointConnectionError, ReadTimeoutError
from botocore.validate import ParamValidator

_MODELS: dict[str, Any] = {}
_serializer, _deserializer = TypeSerializer(), TypeDeserializer()


def client_error(code: str, operation: str, message: str = "injected") -> ClientError:
    return ClientError({"Error": {"Code": code, "Message": message}}, operation)


def checked(service: str, operation: str, params: dict[str, Any]) -> None:
    """Raise like botocore would if `params` do not fit the operation's input shape."""
    if service not in _MODELS:
        _MODELS[service] = botocore.session.get_session().get_service_model(service)
    report = ParamValidator().validate(params, _MODELS[service].operation_model(operation).input_shape)
    if report.has_errors():
        raise ValueError(f"{service}.{operation}: {report.generate_report()}")


@dataclass
class Group:
    """A traffic distribution group's distribution, as the service stores it."""

    telephony: dict[str, int]
    agents: dict[str, int] | None
    sign_in: dict[str, bool] | None
    is_default: bool
    last_change: float | None = None


@dataclass
class ConnectService:
    """Traffic distribution groups are global: every region's endpoint reads and writes the same state.

    `fail_update` returns an error code to raise for an update (or None); `lose_response` applies an
    update and then fails the call (a read timeout after the service acted); `echo_unwritten` makes custom
    groups report SignInConfig and AgentConfig although nothing wrote them; `omit_agents` leaves
    AgentConfig out of custom groups' answers."""

    groups: dict[str, Group] = field(default_factory=dict)
    clock: Callable[[], float] = lambda: 0.0
    fail_update: Callable[[str], str | None] = lambda _arn: None
    lose_response: bool = False
    echo_unwritten: bool = False
    omit_agents: bool = False
    updates: list[tuple[float, str, str, dict[str, int]]] = field(default_factory=list)
    """(time, calling region, ARN, telephony) of every update that took effect."""
    staffed: dict[str, float] = field(default_factory=dict)
    """Agents each region's instance reports staffed (GetCurrentMetricData), whatever the metric asked."""
    metric_reads: list[tuple[str, str]] = field(default_factory=list)
    """(calling client's region, metric) of every GetCurrentMetricData."""
    failing_metrics: set[str] = field(default_factory=set)
    """Regions whose GetCurrentMetricData answers InternalServiceException."""

    def client(self, region: str, reachable: Callable[[], bool] = lambda: True) -> "FakeConnect":
        return FakeConnect(self, region, reachable)


def _distributions(shares: dict[str, Any], key: str) -> dict[str, Any]:
    return {"Distributions": [{"Region": r, key: v} for r, v in sorted(shares.items())]}


@dataclass
class FakeConnect:
    service: ConnectService
    region: str
    reachable: Callable[[], bool]

    def _endpoint(self) -> None:
        if not self.reachable():
            raise EndpointConnectionError(endpoint_url=f"https://connect.{self.region}.amazonaws.com")

    def get_traffic_distribution(self, **params: Any) -> dict[str, Any]:
        checked("connect", "GetTrafficDistribution", params)
        self._endpoint()
        group = self.service.groups[params["Id"]]
        response: dict[str, Any] = {"Id": params["Id"].rsplit("/", 1)[-1], "Arn": params["Id"]}
        response["TelephonyConfig"] = _distributions(group.telephony, "Percentage")
        agents = group.agents or (group.telephony if self.service.echo_unwritten else None)
        if agents is not None and not (self.service.omit_agents and not group.is_default):
            response["AgentConfig"] = _distributions(agents, "Percentage")
        sign_in = group.sign_in or (
            dict.fromkeys(group.telephony, True) if self.service.echo_unwritten and not group.is_default else None
        )
        if sign_in is not None:
            response["SignInConfig"] = _distributions(sign_in, "Enabled")
        if group.last_change is not None:
            response["LastFailoverTime"] = datetime.fromtimestamp(group.last_change, UTC)
        return response

    def get_current_metric_data(self, **params: Any) -> dict[str, Any]:
        checked("connect", "GetCurrentMetricData", params)
        self._endpoint()
        (metric,) = params["CurrentMetrics"]
        self.service.metric_reads.append((self.region, metric["Name"]))
        if self.region in self.service.failing_metrics:
            raise client_error("InternalServiceException", "GetCurrentMetricData")
        value = self.service.staffed.get(self.region)
        collections = [{"Metric": dict(metric), "Value": value}] if value is not None else []
        return {
            "MetricResults": [{"Dimensions": {}, "Collections": collections}] if collections else [],
            "DataSnapshotTime": datetime.fromtimestamp(self.service.clock(), UTC),
            "ApproximateTotalCount": len(collections),
        }

    def update_traffic_distribution(self, **params: Any) -> dict[str, Any]:
        checked("connect", "UpdateTrafficDistribution", params)
        self._endpoint()
        arn = params["Id"]
        group = self.service.groups[arn]
        if code := self.service.fail_update(arn):
            raise client_error(code, "UpdateTrafficDistribution")
        telephony = {d["Region"]: d["Percentage"] for d in params["TelephonyConfig"]["Distributions"]}
        if sum(telephony.values()) != 100 or any(p % 10 for p in telephony.values()) or len(telephony) != 2:
            raise client_error("InvalidRequestException", "UpdateTrafficDistribution", "bad telephony split")
        if "SignInConfig" in params and not group.is_default:
            raise client_error("InvalidRequestException", "UpdateTrafficDistribution", "sign-in on a custom group")
        group.telephony = telephony
        if "AgentConfig" in params:
            group.agents = {d["Region"]: d["Percentage"] for d in params["AgentConfig"]["Distributions"]}
        if "SignInConfig" in params:
            group.sign_in = {d["Region"]: d["Enabled"] for d in params["SignInConfig"]["Distributions"]}
        group.last_change = self.service.clock()
        self.service.updates.append((group.last_change, self.region, arn, dict(telephony)))
        if self.service.lose_response:
            raise ReadTimeoutError(endpoint_url=f"https://connect.{self.region}.amazonaws.com")
        return {}


@dataclass
class Alarm:
    """A region's composite health alarm."""

    state: str = "OK"
    since: float = 0.0

    def set(self, state: str, now: float) -> None:
        if state != self.state:
            self.state, self.since = state, now


@dataclass
class FakeCloudWatch:
    """DescribeAlarms for one region's composite alarm, as seen from a caller that may be cut off."""

    region: str
    alarm_name: str
    alarm: Alarm
    reachable: Callable[[], bool] = lambda: True

    def describe_alarms(self, **params: Any) -> dict[str, Any]:
        checked("cloudwatch", "DescribeAlarms", params)
        if not self.reachable():
            raise EndpointConnectionError(endpoint_url=f"https://monitoring.{self.region}.amazonaws.com")
        if self.alarm_name not in params.get("AlarmNames", []):
            return {"CompositeAlarms": [], "MetricAlarms": []}
        moment = datetime.fromtimestamp(self.alarm.since, UTC)
        return {
            "CompositeAlarms": [
                {
                    "AlarmName": self.alarm_name,
                    "StateValue": self.alarm.state,
                    "StateTransitionedTimestamp": moment,
                    "StateUpdatedTimestamp": moment,
                }
            ],
            "MetricAlarms": [],
        }


@dataclass
class FakeSns:
    published: list[dict[str, Any]] = field(default_factory=list)
    fail: bool = False

    def publish(self, **params: Any) -> dict[str, Any]:
        checked("sns", "Publish", params)
        if self.fail:
            raise client_error("InternalErrorException", "Publish")
        self.published.append(params)
        return {"MessageId": str(len(self.published))}


class MemoryTable:
    """The boto3 Table calls the controller and the driver make, on a dict; items go through DynamoDB's
    type serializer both ways, as they would over the wire."""

    def __init__(self) -> None:
        self.items: dict[tuple[str, str], dict[str, Any]] = {}
        self.written_at: dict[tuple[str, str], float] = {}
        self.clock: Callable[[], float] = lambda: 0.0
        self.fail_writes = False

    def get_item(self, Key: dict[str, Any], ConsistentRead: bool = False) -> dict[str, Any]:
        item = self.items.get((Key["pk"], Key["sk"]))
        return {"Item": {name: _deserializer.deserialize(value) for name, value in item.items()}} if item else {}

    def put_item(self, Item: dict[str, Any]) -> dict[str, Any]:
        if self.fail_writes:
            raise client_error("InternalServerError", "PutItem")
        key = (Item["pk"], Item["sk"])
        self.items[key] = {name: _serializer.serialize(value) for name, value in Item.items()}
        self.written_at[key] = self.clock()
        return {}

    def documents(self, pk: str) -> list[tuple[str, dict[str, Any]]]:
        """(sk, item) of every item under a partition key, in key order (what a Query returns)."""
        return [(sk, self.get_item({"pk": p, "sk": sk})["Item"]) for (p, sk) in sorted(self.items) if p == pk]

    def replicate_to(self, other: "MemoryTable", since: float) -> None:
        """Global table replication, last writer wins by write time: items written here after `since`."""
        for key, item in self.items.items():
            at = self.written_at[key]
            if at >= since and at >= other.written_at.get(key, float("-inf")):
                other.items[key] = copy.deepcopy(item)
                other.written_at[key] = at


@dataclass
class FakeSqs:
    """SendMessageBatch into a list; `fail` makes every send fail."""

    messages: list[dict[str, Any]] = field(default_factory=list)
    requests: int = 0
    fail: bool = False

    def send_message_batch(self, **params: Any) -> dict[str, Any]:
        checked("sqs", "SendMessageBatch", params)
        self.requests += 1
        if self.fail:
            raise client_error("AWS.SimpleQueueService.NonExistentQueue", "SendMessageBatch")
        self.messages.extend(params["Entries"])
        return {
            "Successful": [{"Id": e["Id"], "MessageId": e["Id"], "MD5OfMessageBody": ""} for e in params["Entries"]]
        }
