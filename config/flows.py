"""Contact flows a stack brings: flow-designer exports with named placeholders, and the rules they follow.

A flow refers to Connect resources only through placeholders, resolved to ids at deploy time, so the copy
Global Resiliency mirrors to the replica works there too:

    ${queue:<queue name>}  ${flow:<flow name>}  ${hours:<hours name>}  ${lambda:customer-lookup}

The Lambda placeholder becomes `arn:aws:lambda:$.AwsRegion:<account>:function:<name>`: `$.AwsRegion` is
supported only inside Lambda and Lex ARNs, and the function has the same name in both regions. A region
name or an account id written into a flow file is a config error.
"""

import json
import re
from pathlib import Path
from typing import Literal

from pydantic import field_validator

from config.base import ConfigModel
from config.problems import Problem, key_path

PROJECT_DIR = Path(__file__).resolve().parent.parent
CONNECT_NAME = r"^[A-Za-z0-9][A-Za-z0-9 ._-]{0,126}$"
ENTRY_FLOW_NAME = "connectdr-inbound"
"""The flow numbers start in unless they name another (the region-health alarm counts the fatal errors of
every flow of the instance, this one included)."""
LAMBDAS = ("customer-lookup",)
PLACEHOLDER = re.compile(r"\$\{([^}]*)\}")
KINDS = ("queue", "flow", "hours", "lambda")
REGION = re.compile(r"(?<![a-z0-9-])[a-z]{2}(-gov|-iso[a-z]?)?-(north|south|east|west|central)[a-z]*-\d(?![0-9])")
MAX_CONTENT = 256_000
"""CreateContactFlow's Content is at most this many characters."""
MAX_ACTIONS = 250
ID_LENGTH = len("00000000-0000-0000-0000-000000000000")
LAMBDA_ARN_LENGTH = len("arn:aws:lambda:$.AwsRegion:") + 12 + len(":function:") + 64
ACCOUNT_ID = re.compile(r"(?<![0-9A-Za-z+.])[0-9]{12}(?![0-9A-Za-z])")
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}", re.IGNORECASE)
FlowType = Literal[
    "CONTACT_FLOW",
    "CUSTOMER_QUEUE",
    "CUSTOMER_HOLD",
    "CUSTOMER_WHISPER",
    "AGENT_HOLD",
    "AGENT_WHISPER",
    "OUTBOUND_WHISPER",
    "AGENT_TRANSFER",
    "QUEUE_TRANSFER",
    "CAMPAIGN",
]


class Flow(ConfigModel):
    """A flow file (JSON exported from the flow designer), relative to the project directory."""

    name: str
    file: str
    type: FlowType = "CONTACT_FLOW"
    description: str = ""

    @field_validator("name")
    @classmethod
    def _connect_name(cls, value: str) -> str:
        if not re.match(CONNECT_NAME, value):
            raise ValueError("1-127 letters, digits, spaces, '.', '_' or '-', starting with a letter or digit")
        return value

    @field_validator("file")
    @classmethod
    def _json_file(cls, value: str) -> str:
        if not value.endswith(".json"):
            raise ValueError("must be a .json file exported from the flow designer")
        return value

    @property
    def path(self) -> Path:
        return PROJECT_DIR / self.file

    def read(self) -> str:
        """The file's text: UTF-8 whatever the machine's locale, a byte-order mark dropped (Connect takes the
        content as it is). Raises OSError or UnicodeDecodeError."""
        return self.path.read_bytes().decode("utf-8-sig")


def references(text: str) -> list[tuple[str, str]]:
    """(kind, name) of every placeholder, in order; a malformed one has kind ''."""
    found = []
    for match in PLACEHOLDER.finditer(text):
        kind, _, name = match.group(1).partition(":")
        found.append((kind, name) if kind in KINDS and name else ("", match.group(0)))
    return found


def written_in(text: str) -> list[str]:
    """Regions and account ids written into a flow. Not account ids: phone numbers (`+` and digits), the
    last group of a UUID (the designer's action identifiers), the decimals of a coordinate, digits inside a
    word or hash."""
    accounts = ACCOUNT_ID.findall(UUID.sub("-", text))
    return sorted({match.group(0) for match in REGION.finditer(text)} | set(accounts))


def _file_problems(key: str, flow: Flow) -> tuple[str | None, list[Problem]]:
    try:
        text = flow.read()
    except OSError:
        return None, [Problem(key, flow.file, "no such file (flow files are relative to the project directory)")]
    except UnicodeDecodeError as error:
        rule = f"is not UTF-8 text (byte {error.start}); save the flow as UTF-8, as the flow designer exports it"
        return None, [Problem(key, flow.file, rule)]
    try:
        content = json.loads(text)
    except json.JSONDecodeError as error:
        return None, [Problem(key, flow.file, f"is not JSON ({error.msg} at line {error.lineno})")]
    if rule := _not_deployable(content, text):
        return None, [Problem(key, flow.file, rule)]
    if found := written_in(text):
        rule = (
            f"writes {', '.join(found)} into the flow; refer to Connect resources by placeholder "
            "(${queue:...}, ${flow:...}, ${hours:...}) and to Lambda through ${lambda:...} ($.AwsRegion), "
            "so the replica's copy works in its region"
        )
        return text, [Problem(key, flow.file, rule)]
    return text, []


def deployed_length(text: str) -> int:
    """The most characters the flow can have once its placeholders are resolved: ids are UUIDs, the Lambda's
    ARN holds an account id and a function name of at most 64 characters."""
    resolved = {"lambda": LAMBDA_ARN_LENGTH, "": 0}
    return len(text) + sum(
        resolved.get(kind, ID_LENGTH) - len(match.group(0))
        for match, (kind, _) in zip(PLACEHOLDER.finditer(text), references(text), strict=True)
    )


def _not_deployable(content: object, text: str) -> str | None:
    """Why CreateContactFlow would refuse the flow, if it would: not Flow language, too many actions, too long."""
    if not isinstance(content, dict) or not {"Version", "Actions"} <= content.keys():
        return (
            "is not in the Amazon Connect Flow language (an object with Version, StartAction and Actions): export "
            "it from the updated flow designer, or take ContactFlow.Content from `aws connect describe-contact-flow`"
        )
    if not isinstance(content["Actions"], list) or len(content["Actions"]) > MAX_ACTIONS:
        return f"Actions must be a list of at most {MAX_ACTIONS} actions; split the flow into flows or modules"
    if (length := deployed_length(text)) > MAX_CONTENT:
        return f"would be {length} characters with its placeholders resolved, over Connect's {MAX_CONTENT}"
    return None


def _cycle(start: str, edges: dict[str, list[str]]) -> list[str] | None:
    """A path from `start` back to itself through flow references, if there is one."""
    stack = [(start, [start])]
    seen: set[str] = set()
    while stack:
        node, path = stack.pop()
        for target in edges.get(node, []):
            if target == start:
                return [*path, start]
            if target not in seen:
                seen.add(target)
                stack.append((target, [*path, target]))
    return None


def flow_problems(
    flows: list[Flow], queue_names: set[str], hours_names: set[str], number_flows: list[str | None]
) -> list[Problem]:
    """Every declared flow exists, is JSON, writes no region or account, and names only what exists;
    references between flows form no cycle; numbers name declared flows."""
    problems: list[Problem] = []
    names = [flow.name for flow in flows]
    known = {"queue": queue_names, "flow": set(names), "hours": hours_names, "lambda": set(LAMBDAS)}
    edges: dict[str, list[str]] = {}
    for index, flow in enumerate(flows):
        key = key_path("contactCenter", "flows", index, "file")
        text, found = _file_problems(key, flow)
        problems += found
        for kind, name in references(text or ""):
            if kind == "":
                rule = f"placeholder {name} is not one of {', '.join('${' + k + ':<name>}' for k in KINDS)}"
                problems.append(Problem(key, flow.file, rule))
            elif name not in known[kind]:
                allowed = ", ".join(sorted(known[kind])) or "none declared"
                problems.append(Problem(key, flow.file, f"${{{kind}:{name}}} names no {kind} ({allowed})"))
            elif kind == "flow":
                edges.setdefault(flow.name, []).append(name)
    if duplicates := sorted({name for name in names if names.count(name) > 1}):
        problems.append(Problem(key_path("contactCenter", "flows"), duplicates, "flow names must be unique"))
    reported: set[str] = set()
    for index, flow in enumerate(flows):
        if flow.name not in reported and (cycle := _cycle(flow.name, edges)):
            reported.update(cycle)
            rule = f"refers back to itself ({' -> '.join(cycle)}): a flow needs the ids of the flows it names"
            problems.append(Problem(key_path("contactCenter", "flows", index, "file"), flow.file, rule))
    contact_flows = {flow.name for flow in flows if flow.type == "CONTACT_FLOW"}
    for index, flow_name in enumerate(number_flows):
        if flow_name is not None and flow_name not in contact_flows:
            allowed = ", ".join(sorted(contact_flows)) or "none declared"
            rule = f"must name a CONTACT_FLOW from connectdr:contactCenter.flows ({allowed})"
            problems.append(Problem(key_path("contactCenter", "phoneNumbers", index, "flow"), flow_name, rule))
    return problems
