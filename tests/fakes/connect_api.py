"""A small fake of the Amazon Connect REST API (restJson1) on 127.0.0.1, for the dynamic providers run in
the engine's provider host: boto3 reaches it through AWS_ENDPOINT_URL_CONNECT.

It keeps one account: a source instance, its replica, traffic distribution groups with their users, the
cross-region routing switch and phone-number flows. Statuses move on one step per read, from scripts a test
sets. Knobs: `faults` (per operation, the next answers: an HTTP status for a service error, a (status,
error code) pair, or "slow"), `hidden_lists` (list calls that do not yet show what exists: eventual
consistency), `duplicate_user_error`, `missing_user_error` and `one_group_per_user` (how AWS answers
associating a user twice, disassociating one who is not in the group, and associating one who is in another
group: undocumented). Creates answer a ClientToken they have seen with their first answer. Every call is
recorded with its region (from the SigV4 credential scope) and parameters.
"""

import json
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

ACCOUNT = "123456789012"
INSTANCE_ID = "11111111-2222-3333-4444-555555555555"
SERVICE_ERRORS = {500: "InternalServiceException", 503: "InternalServiceException", 429: "ThrottlingException"}
REPLICATION = ["INSTANCE_REPLICATION_IN_PROGRESS", "INSTANCE_REPLICATION_COMPLETE"]
GROUP_CREATION = ["CREATION_IN_PROGRESS", "ACTIVE"]
REGION_IN_SCOPE = re.compile(r"Credential=[^/]+/\d{8}/([a-z0-9-]+)/connect/")


class ApiError(Exception):
    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status, self.code, self.message = status, code, message


@dataclass
class Call:
    operation: str
    region: str
    params: dict[str, Any]


@dataclass
class Scripted:
    """A status that moves one step along its script each time it is read, then stays."""

    script: list[str]

    def read(self) -> str:
        return self.script.pop(0) if len(self.script) > 1 else self.script[0]

    def peek(self) -> str:
        return self.script[0]


@dataclass
class Group:
    id: str
    arn: str
    name: str
    instance_arn: str
    is_default: bool
    status: Scripted
    users: list[str] = field(default_factory=list)

    def summary(self, status: str) -> dict[str, Any]:
        return {
            "Id": self.id,
            "Arn": self.arn,
            "Name": self.name,
            "InstanceArn": self.instance_arn,
            "Status": status,
            "IsDefault": self.is_default,
        }


def instance_arn(region: str) -> str:
    return f"arn:aws:connect:{region}:{ACCOUNT}:instance/{INSTANCE_ID}"


class FakeConnect:
    """The account's state and the test's knobs; `reset` between tests."""

    def __init__(self, source: str = "us-east-1") -> None:
        self.source = source
        self.lock = threading.RLock()
        self.reset()

    def reset(self) -> None:
        with self.lock:
            self.calls: list[Call] = []
            self.instances = {INSTANCE_ID}
            self.replicas: dict[str, Scripted] = {}
            self.replication_script = list(REPLICATION)
            self.deletion_script = ["INSTANCE_REPLICA_DELETING", "GONE"]
            self.default_group_deletion_script = ["GONE"]
            self.default_group_script = list(GROUP_CREATION)
            self.group_script = list(GROUP_CREATION)
            self.groups: dict[str, Group] = {}
            self.users = {"agent-1", "agent-2", "agent-3"}
            self.duplicate_user_error: tuple[int, str] | None = (409, "ResourceConflictException")
            self.missing_user_error = (404, "ResourceNotFoundException")
            self.one_group_per_user = False
            self.routing_isolated: bool | None = None
            self.number_flows: dict[str, str] = {}
            self.findings: list[dict[str, Any]] = []
            self.type_replication: dict[str, dict[str, str]] = {}
            self.drifted: dict[str, dict[str, int]] = {}
            self.answered_tokens: dict[str, dict[str, Any]] = {}
            self.faults: dict[str, list[int | str | tuple[int, str]]] = {}
            self.hidden_lists: dict[str, int] = {}
            self.slow_seconds = 0.0
            self._next_group = 0

    def called(self, operation: str) -> list[Call]:
        with self.lock:
            return [call for call in self.calls if call.operation == operation]

    def add_group(self, name: str, status: str = "ACTIVE", is_default: bool = False) -> Group:
        with self.lock:
            self._next_group += 1
            group_id = f"{self._next_group:08x}-aaaa-bbbb-cccc-dddddddddddd"
            group = Group(
                group_id,
                f"arn:aws:connect:{self.source}:{ACCOUNT}:traffic-distribution-group/{group_id}",
                name,
                instance_arn(self.source),
                is_default,
                Scripted([status]),
            )
            self.groups[group_id] = group
            return group

    def _hidden(self, operation: str) -> bool:
        if self.hidden_lists.get(operation, 0) > 0:
            self.hidden_lists[operation] -= 1
            return True
        return False

    # -- operations -------------------------------------------------------------------------------------

    def describe_instance(self, region: str, instance_id: str, _body: dict, _query: dict) -> dict:
        self._require_instance(instance_id)
        summaries = []
        if not self._hidden("DescribeInstance"):
            for replica_region, status in list(self.replicas.items()):
                value = status.read()
                if value == "GONE":
                    del self.replicas[replica_region]
                    continue
                summaries.append({"Region": replica_region, "ReplicationStatus": value})
        return {
            "Instance": {"Id": INSTANCE_ID, "Arn": instance_arn(region), "InstanceStatus": "ACTIVE"},
            "ReplicationConfiguration": {"ReplicationStatusSummaryList": summaries, "SourceRegion": self.source},
        }

    def replicate_instance(self, region: str, instance_id: str, body: dict, _query: dict) -> dict:
        self._require_instance(instance_id)
        if (answered := self.answered_tokens.get(body.get("ClientToken", ""))) is not None:
            return answered
        if region != self.source or body["ReplicaRegion"] == self.source:
            raise ApiError(400, "InvalidRequestException", "replicate from the source region to another region")
        if self.replicas:
            raise ApiError(400, "InvalidRequestException", "Instance is already replicated")
        self.replicas[body["ReplicaRegion"]] = Scripted(list(self.replication_script))
        default = self.add_group("default", is_default=True)
        default.status = Scripted(list(self.default_group_script))
        return self._remember(body, {"Id": INSTANCE_ID, "Arn": instance_arn(body["ReplicaRegion"])})

    def delete_instance(self, region: str, instance_id: str, _body: dict, _query: dict) -> dict:
        self._require_instance(instance_id)
        if region not in self.replicas:
            raise ApiError(404, "ResourceNotFoundException", f"no instance {instance_id} in {region}")
        if self.replicas[region].peek() == "INSTANCE_REPLICA_DELETING":
            raise ApiError(400, "InvalidRequestException", "the instance is being deleted")
        self.replicas[region] = Scripted(list(self.deletion_script))
        for group in self.groups.values():
            if group.is_default:
                group.status = Scripted(list(self.default_group_deletion_script))
        return {}

    def list_groups(self, _region: str, _path: str, _body: dict, query: dict) -> dict:
        instance = query["instanceId"]
        if instance not in (INSTANCE_ID, instance_arn(self.source)):
            raise ApiError(404, "ResourceNotFoundException", "no such instance")
        groups = [] if self._hidden("ListTrafficDistributionGroups") else list(self.groups.values())
        visible = []
        for group in groups:
            status = group.status.read()
            if status == "GONE":
                del self.groups[group.id]
            else:
                visible.append(group.summary(status))
        return self._page(visible, query, "TrafficDistributionGroupSummaryList")

    def create_group(self, region: str, _path: str, body: dict, _query: dict) -> dict:
        if (answered := self.answered_tokens.get(body.get("ClientToken", ""))) is not None:
            return answered
        if region != self.source:
            raise ApiError(400, "InvalidRequestException", "create groups in the source region")
        if any(group.name == body["Name"] for group in self.groups.values()):
            raise ApiError(409, "ResourceConflictException", f"a group named {body['Name']} exists")
        group = self.add_group(body["Name"])
        group.status = Scripted(list(self.group_script))
        return self._remember(body, {"Id": group.id, "Arn": group.arn})

    def describe_group(self, _region: str, group_id: str, _body: dict, _query: dict) -> dict:
        group = self._group(group_id)
        status = group.status.read()
        if status == "GONE":
            del self.groups[group.id]
            raise ApiError(404, "ResourceNotFoundException", "no such group")
        return {"TrafficDistributionGroup": group.summary(status)}

    def delete_group(self, _region: str, group_id: str, _body: dict, _query: dict) -> dict:
        group = self._group(group_id)
        if group.is_default:
            raise ApiError(400, "InvalidRequestException", "the default group cannot be deleted")
        group.status = Scripted(["PENDING_DELETION", "GONE"])
        return {}

    def associate_user(self, _region: str, group_id: str, body: dict, _query: dict) -> dict:
        group = self._group(group_id)
        user = body["UserId"].rsplit("/", 1)[-1]
        if group.status.peek() != "ACTIVE" or user not in self.users:
            raise ApiError(404, "ResourceNotFoundException", "group not active or user not in both instances")
        if self.one_group_per_user and any(user in other.users for other in self.groups.values() if other != group):
            raise ApiError(409, "ResourceConflictException", "the user is in another traffic distribution group")
        if user in group.users:
            if self.duplicate_user_error:
                raise ApiError(*self.duplicate_user_error, "user is already associated")
            return {}
        group.users.append(user)
        return {}

    def list_users(self, _region: str, group_id: str, _body: dict, query: dict) -> dict:
        users = [{"UserId": user, "IsDefault": False} for user in self._group(group_id).users]
        return self._page(users, query, "TrafficDistributionGroupUserSummaryList")

    def disassociate_user(self, _region: str, group_id: str, _body: dict, query: dict) -> dict:
        group = self._group(group_id)
        user = query["UserId"].rsplit("/", 1)[-1]
        if user not in group.users:
            raise ApiError(*self.missing_user_error, "user not in group")
        group.users.remove(user)
        return {}

    def update_routing(self, _region: str, instance_id: str, body: dict, _query: dict) -> dict:
        self._require_instance(instance_id)
        self.routing_isolated = body["IsolatedAll"]
        return {}

    def get_routing(self, _region: str, instance_id: str, _body: dict, _query: dict) -> dict:
        self._require_instance(instance_id)
        isolated = [region for region in self.replicas] if self.routing_isolated else []
        return {"IsolatedRegions": isolated}

    def associate_flow(self, _region: str, number_id: str, body: dict, _query: dict) -> dict:
        self._require_instance(body["InstanceId"])
        self.number_flows[number_id] = body["ContactFlowId"]
        return {}

    def disassociate_flow(self, _region: str, number_id: str, _body: dict, query: dict) -> dict:
        if self.number_flows.pop(number_id, None) is None:
            raise ApiError(404, "ResourceNotFoundException", "no flow on that number")
        return {}

    def list_findings(self, _region: str, instance_id: str, _body: dict, query: dict) -> dict:
        self._require_instance(instance_id.rsplit("/", 1)[-1])
        if "resourceType" not in query:
            raise ApiError(400, "InvalidRequestException", "resourceType is required")
        resource_type = query["resourceType"]
        findings = [finding for finding in self.findings if finding["ResourceType"] == resource_type]
        return {
            **self._page(findings, query, "ReplicationFindingsList"),
            "ResourceReplicationStatuses": [
                {"Region": region, "Status": status}
                for region, status in self.type_replication.get(resource_type, {}).items()
            ],
            "ApproximateDriftedResourceCounts": [
                {"Region": region, "Count": count, "Timestamp": 1_800_000_000}
                for region, count in self.drifted.get(resource_type, {}).items()
            ],
        }

    # -- helpers ----------------------------------------------------------------------------------------

    def _remember(self, body: dict, answer: dict) -> dict:
        """Idempotency as AWS documents it: a request with a ClientToken already used gets the first answer."""
        if token := body.get("ClientToken"):
            self.answered_tokens[token] = answer
        return answer

    def _require_instance(self, instance_id: str) -> None:
        if instance_id not in self.instances:
            raise ApiError(404, "ResourceNotFoundException", f"instance {instance_id} not found")

    def _group(self, group_id: str) -> Group:
        group = self.groups.get(group_id.rsplit("/", 1)[-1])
        if group is None:
            raise ApiError(404, "ResourceNotFoundException", "no such traffic distribution group")
        return group

    @staticmethod
    def _page(items: list[dict], query: dict, key: str) -> dict:
        start = int(query.get("nextToken", "0"))
        size = int(query.get("maxResults", "10"))
        page: dict[str, Any] = {key: items[start : start + size]}
        if start + size < len(items):
            page["NextToken"] = str(start + size)
        return page


Handler = Callable[[FakeConnect, str, str, dict, dict], dict]
ROUTES: list[tuple[str, re.Pattern[str], str, Handler]] = [
    ("GET", re.compile(r"^/instance/([^/]+)$"), "DescribeInstance", FakeConnect.describe_instance),
    ("POST", re.compile(r"^/instance/([^/]+)/replicate$"), "ReplicateInstance", FakeConnect.replicate_instance),
    ("DELETE", re.compile(r"^/instance/([^/]+)$"), "DeleteInstance", FakeConnect.delete_instance),
    ("GET", re.compile(r"^(/traffic-distribution-groups)$"), "ListTrafficDistributionGroups", FakeConnect.list_groups),
    ("PUT", re.compile(r"^(/traffic-distribution-group)$"), "CreateTrafficDistributionGroup", FakeConnect.create_group),
    (
        "GET",
        re.compile(r"^/traffic-distribution-group/([^/]+)$"),
        "DescribeTrafficDistributionGroup",
        FakeConnect.describe_group,
    ),
    (
        "DELETE",
        re.compile(r"^/traffic-distribution-group/([^/]+)$"),
        "DeleteTrafficDistributionGroup",
        FakeConnect.delete_group,
    ),
    (
        "PUT",
        re.compile(r"^/traffic-distribution-group/([^/]+)/user$"),
        "AssociateTrafficDistributionGroupUser",
        FakeConnect.associate_user,
    ),
    (
        "GET",
        re.compile(r"^/traffic-distribution-group/([^/]+)/user$"),
        "ListTrafficDistributionGroupUsers",
        FakeConnect.list_users,
    ),
    (
        "DELETE",
        re.compile(r"^/traffic-distribution-group/([^/]+)/user$"),
        "DisassociateTrafficDistributionGroupUser",
        FakeConnect.disassociate_user,
    ),
    ("PUT", re.compile(r"^/cross-region-routing/([^/]+)$"), "UpdateCrossRegionRouting", FakeConnect.update_routing),
    ("GET", re.compile(r"^/cross-region-routing/([^/]+)$"), "GetCrossRegionRouting", FakeConnect.get_routing),
    (
        "PUT",
        re.compile(r"^/phone-number/([^/]+)/contact-flow$"),
        "AssociatePhoneNumberContactFlow",
        FakeConnect.associate_flow,
    ),
    (
        "DELETE",
        re.compile(r"^/phone-number/([^/]+)/contact-flow$"),
        "DisassociatePhoneNumberContactFlow",
        FakeConnect.disassociate_flow,
    ),
    ("GET", re.compile(r"^/replication-findings/([^/]+)$"), "ListReplicationFindings", FakeConnect.list_findings),
]


def _handler_class(fake: FakeConnect) -> type[BaseHTTPRequestHandler]:
    class ConnectHandler(BaseHTTPRequestHandler):
        def log_message(self, *_args: Any) -> None:
            """Quiet: the test reads `fake.calls` instead."""

        def _serve(self) -> None:
            url = urlsplit(self.path)
            query = {key: values[0] for key, values in parse_qs(url.query).items()}
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length) or b"{}") if length else {}
            scope = REGION_IN_SCOPE.search(self.headers.get("Authorization", ""))
            region = scope.group(1) if scope else "unsigned"
            for method, pattern, operation, handler in ROUTES:
                match = pattern.match(url.path)
                if method == self.command and match:
                    self._answer(operation, handler, region, unquote(match.group(1)), body, query)
                    return
            self._send(404, {"Message": f"no route {self.command} {url.path}"}, "UnknownOperationException")

        def _answer(self, operation: str, handler: Handler, region: str, path: str, body: dict, query: dict) -> None:
            with fake.lock:
                fake.calls.append(Call(operation, region, {"path": path, **query, **body}))
                faults = fake.faults.get(operation, [])
                fault = faults.pop(0) if faults else None
            if fault == "slow":
                time.sleep(fake.slow_seconds)
            elif isinstance(fault, int):
                self._send(fault, {"Message": "injected fault"}, SERVICE_ERRORS.get(fault, "InternalServiceException"))
                return
            elif isinstance(fault, tuple):
                self._send(fault[0], {"Message": "injected fault"}, fault[1])
                return
            try:
                with fake.lock:
                    result = handler(fake, region, path, body, query)
            except ApiError as error:
                self._send(error.status, {"Message": error.message}, error.code)
                return
            self._send(200, result)

        def _send(self, status: int, payload: dict, error_type: str | None = None) -> None:
            data = json.dumps(payload).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            if error_type:
                self.send_header("x-amzn-ErrorType", error_type)
            self.end_headers()
            self.wfile.write(data)

        do_GET = do_PUT = do_POST = do_DELETE = _serve

    return ConnectHandler


class FakeConnectServer:
    """Serves a FakeConnect on 127.0.0.1 (an ephemeral port) in a daemon thread."""

    def __init__(self, fake: FakeConnect) -> None:
        self.fake = fake
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), _handler_class(fake))
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self.server.server_address[:2]
        return f"http://{host}:{port}"

    def __enter__(self) -> "FakeConnectServer":
        self.thread.start()
        return self

    def __exit__(self, *_exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()
