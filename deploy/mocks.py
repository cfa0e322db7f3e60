"""Pulumi mocks that answer like the clouds would: ids, ARNs and computed outputs with plausible values.

The offline plan and the tests share these, so what the tests check is what the plan shows.
"""

import ipaddress
import uuid
from collections.abc import Callable, Mapping
from typing import Any

import pulumi

ACCOUNT_ID = "123456789012"
State = dict[str, Any]
Outputs = Callable[[str, State, "CloudMocks"], State]


def stable_uuid(*parts: str) -> str:
    """The same UUID for the same names, so plans are reproducible."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, "/".join(parts)))


def _service(type_token: str) -> str:
    return type_token.split(":")[1].split("/")[0].rstrip("_")


def _inside_addresses(cidr: str | None) -> tuple[str, str]:
    """AWS gives the virtual private gateway the first host of a tunnel's /30, the customer side the second."""
    hosts = list(ipaddress.ip_network(cidr or "169.254.99.0/30").hosts())
    return str(hosts[0]), str(hosts[1])


def _vpn_connection(name: str, state: State, mocks: "CloudMocks") -> State:
    vgw = mocks.state_by_id(state.get("vpnGatewayId", ""))
    outs: State = {"arn": mocks.arn(state, "ec2", f"vpn-connection/{name}")}
    for tunnel in (1, 2):
        aws_side, customer_side = _inside_addresses(state.get(f"tunnel{tunnel}InsideCidr"))
        outs |= {
            f"tunnel{tunnel}Address": mocks.public_ip(f"{(state.get('tags') or {}).get('Name', name)}-t{tunnel}"),
            f"tunnel{tunnel}VgwInsideAddress": aws_side,
            f"tunnel{tunnel}CgwInsideAddress": customer_side,
            f"tunnel{tunnel}BgpAsn": str(vgw.get("amazonSideAsn", "64512")),
        }
    return outs


def _ha_vpn_gateway(name: str, state: State, mocks: "CloudMocks") -> State:
    physical = state.get("name", name)
    interfaces = [{"id": index, "ipAddress": mocks.public_ip(f"{physical}-if{index}")} for index in (0, 1)]
    return {"vpnInterfaces": interfaces, "selfLink": mocks.self_link(state, "vpnGateways", name)}


def _connect_instance(name: str, state: State, mocks: "CloudMocks") -> State:
    instance_id = stable_uuid("instance", name)
    return {"id": instance_id, "arn": mocks.arn(state, "connect", f"instance/{instance_id}"), "status": "ACTIVE"}


def _connect_child(kind: str, id_key: str) -> Outputs:
    def outputs(name: str, state: State, mocks: "CloudMocks") -> State:
        child_id = stable_uuid(kind, name)
        instance_arn = mocks.arn(state, "connect", f"instance/{state.get('instanceId', 'unknown')}")
        return {id_key: child_id, "arn": f"{instance_arn}/{kind}/{child_id}"}

    return outputs


def _phone_number(name: str, state: State, mocks: "CloudMocks") -> State:
    digits = int(stable_uuid("number", name).replace("-", ""), 16) % 10_000
    prefix = state.get("prefix") or ("+1833555" if state.get("type") == "TOLL_FREE" else "+1212555")
    number = f"{prefix}{digits:04d}"[:12]
    return {"phoneNumber": number, "arn": mocks.arn(state, "connect", f"phone-number/{stable_uuid(number)}")}


def _lambda_function(name: str, state: State, mocks: "CloudMocks") -> State:
    function_name = state.get("name", name)
    arn = mocks.arn(state, "lambda", f"function:{function_name}", sep=":")
    return {"name": function_name, "arn": arn, "invokeArn": f"{arn}/invocations", "qualifiedArn": f"{arn}:$LATEST"}


def _table(name: str, state: State, mocks: "CloudMocks") -> State:
    table_name = state.get("name", name)
    arn = mocks.arn(state, "dynamodb", f"table/{table_name}")
    return {"name": table_name, "arn": arn, "streamArn": f"{arn}/stream/2026-01-01T00:00:00.000"}


def _interconnect_attachment(name: str, state: State, mocks: "CloudMocks") -> State:
    domain = str(state.get("edgeAvailabilityDomain", "AVAILABILITY_DOMAIN_1"))[-1]
    region = state.get("region", mocks.region)
    return {"pairingKey": f"{stable_uuid('pairing', region, name)}/{region}/{domain}"}


def _sqs_queue(name: str, state: State, mocks: "CloudMocks") -> State:
    region = state.get("region") or mocks.region
    queue_name = state.get("name", name)
    return {
        "arn": mocks.arn(state, "sqs", queue_name),
        "url": f"https://sqs.{region}.amazonaws.com/{ACCOUNT_ID}/{queue_name}",
    }


def _sns_topic(name: str, state: State, mocks: "CloudMocks") -> State:
    return {"arn": mocks.arn(state, "sns", state.get("name", name))}


def _log_group(name: str, state: State, mocks: "CloudMocks") -> State:
    return {"arn": mocks.arn(state, "logs", f"log-group:{state.get('name', name)}")}


def _s3_bucket(name: str, state: State, mocks: "CloudMocks") -> State:
    """S3 bucket ids are their names."""
    bucket = state.get("bucket", name)
    return {"id": bucket, "bucket": bucket, "arn": f"arn:aws:s3:::{bucket}"}


def _kms_key(name: str, state: State, mocks: "CloudMocks") -> State:
    key_id = stable_uuid("kms", state.get("region") or mocks.region, name)
    return {"keyId": key_id, "arn": mocks.arn(state, "kms", f"key/{key_id}")}


def _region_switch_plan(name: str, state: State, mocks: "CloudMocks") -> State:
    """Plan ARNs name no region (Region switch keeps plans in its control plane) and end in a 6-character id."""
    plan = state.get("name", name)
    return {"arn": f"arn:aws:arc-region-switch::{ACCOUNT_ID}:plan/{plan}:{stable_uuid('plan', plan)[:6]}"}


def _dynamic(name: str, state: State, mocks: "CloudMocks") -> State:
    """Dynamic providers: what their create() returns, shaped from their inputs (snake_case, as declared)."""
    region = state.get("source_region") or state.get("region") or mocks.region
    if "replica_region" in state:
        instance = f"instance/{state.get('instance_id')}"
        tdg_id = stable_uuid("default-tdg", name)
        return {
            "replica_arn": mocks.arn({"region": state["replica_region"]}, "connect", instance),
            "replication_status": "INSTANCE_REPLICATION_COMPLETE",
            "default_tdg_id": tdg_id,
            "default_tdg_arn": mocks.arn({"region": region}, "connect", f"traffic-distribution-group/{tdg_id}"),
        }
    if "description" in state and "instance_arn" in state:
        tdg_id = stable_uuid("tdg", name)
        arn = mocks.arn({"region": region}, "connect", f"traffic-distribution-group/{tdg_id}")
        return {"tdg_id": tdg_id, "arn": arn, "status": "ACTIVE"}
    return {}


OUTPUTS: Mapping[str, Outputs] = {
    "aws:ec2/vpnConnection:VpnConnection": _vpn_connection,
    "gcp:compute/haVpnGateway:HaVpnGateway": _ha_vpn_gateway,
    "aws:connect/instance:Instance": _connect_instance,
    "aws:connect/queue:Queue": _connect_child("queue", "queueId"),
    "aws:connect/hoursOfOperation:HoursOfOperation": _connect_child("operating-hours", "hoursOfOperationId"),
    "aws:connect/routingProfile:RoutingProfile": _connect_child("routing-profile", "routingProfileId"),
    "aws:connect/contactFlow:ContactFlow": _connect_child("contact-flow", "contactFlowId"),
    "aws:connect/phoneNumber:PhoneNumber": _phone_number,
    "aws:lambda/function:Function": _lambda_function,
    "aws:dynamodb/table:Table": _table,
    "aws:kms/key:Key": _kms_key,
    "aws:sqs/queue:Queue": _sqs_queue,
    "aws:s3/bucket:Bucket": _s3_bucket,
    "aws:cloudwatch/logGroup:LogGroup": _log_group,
    "aws:sns/topic:Topic": _sns_topic,
    "aws:arcregionswitch/plan:Plan": _region_switch_plan,
    "gcp:compute/interconnectAttachment:InterconnectAttachment": _interconnect_attachment,
}


class CloudMocks(pulumi.runtime.Mocks):
    """Answers resource registrations with plausible cloud outputs; serves stack references from a dict."""

    def __init__(self, region: str, stack_outputs: Mapping[str, Mapping[str, Any]] | None = None) -> None:
        self.region = region
        self.stack_outputs = dict(stack_outputs or {})
        self._by_id: dict[str, State] = {}

    def arn(self, state: State, service: str, resource: str, sep: str = ":") -> str:
        region = state.get("region") or self.region
        region = "" if service in {"iam", "s3"} else region
        account = "" if service == "s3" else ACCOUNT_ID
        return f"arn:aws:{service}:{region}:{account}{sep}{resource}"

    def public_ip(self, name: str) -> str:
        """A documentation address (TEST-NET-3) that is stable per name."""
        return f"203.0.113.{int(stable_uuid('ip', name)[:4], 16) % 250 + 1}"

    def self_link(self, state: State, collection: str, name: str) -> str:
        project = state.get("project", "mock-project")
        return f"https://www.googleapis.com/compute/v1/projects/{project}/regions/{state.get('region')}/{collection}/{name}"

    def state_by_id(self, resource_id: str) -> State:
        return self._by_id.get(resource_id, {})

    def new_resource(self, args: pulumi.runtime.MockResourceArgs) -> tuple[str | None, State]:
        if args.typ == "pulumi:pulumi:StackReference":
            outputs = self.stack_outputs.get(args.inputs.get("name", args.name), {})
            return args.name, {"name": args.name, "outputs": dict(outputs), "secretOutputNames": []}
        state: State = dict(args.inputs)
        if args.typ.startswith("pulumi-python:dynamic"):
            extra = _dynamic(args.name, state, self)
        elif args.typ in OUTPUTS:
            extra = OUTPUTS[args.typ](args.name, state, self)
        elif args.typ.startswith("aws:"):
            extra = {"arn": self.arn(state, _service(args.typ), f"{args.typ.split(':')[-1].lower()}/{args.name}")}
        else:
            extra = {}
        state = {**state, **extra}
        state.setdefault("name", args.name)
        if args.typ.startswith("gcp:"):
            state.setdefault("selfLink", self.self_link(state, args.typ.split(":")[-1].lower() + "s", args.name))
        resource_id = str(state.pop("id", None) or f"{args.name}-id")
        self._by_id[resource_id] = state
        return resource_id, state

    def call(self, args: pulumi.runtime.MockCallArgs) -> dict[str, Any]:
        if args.token == "aws:index/getCallerIdentity:getCallerIdentity":
            return {"accountId": ACCOUNT_ID, "arn": f"arn:aws:iam::{ACCOUNT_ID}:user/ci", "userId": "AIDA"}
        if args.token == "aws:index/getPartition:getPartition":
            return {"partition": "aws", "dnsSuffix": "amazonaws.com"}
        if args.token == "aws:index/getAvailabilityZones:getAvailabilityZones":
            region = args.args.get("region") or self.region
            return {"names": [f"{region}{zone}" for zone in "abcd"], "zoneIds": [], "id": region}
        return {}
