"""A stand-in `pulumi` executable, so the driver's real Automation API code path runs in tests.

The test writes a scenario (JSON); the script answers each CLI command from it: its version, which
stacks exist, their outputs, the engine events and summary of an operation (written to the SDK's
`--event-log` file), and chosen failures (stdout, stderr and exit code per command). Every call's
arguments are appended to a log the test reads back.
"""

import json
import os
import stat
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SCRIPT = r"""
import json, os, signal, sys, time

scenario = json.loads(open(os.environ["STANDIN_SCENARIO"]).read())
args = [arg for arg in sys.argv[1:] if arg != "--non-interactive"]
with open(scenario["log"], "a") as log:
    log.write(json.dumps(args) + "\n")


def value_of(flag):
    return args[args.index(flag) + 1] if flag in args and args.index(flag) + 1 < len(args) else None


def finish(stdout="", stderr="", code=0):
    if stdout:
        print(stdout)
    if stderr:
        print(stderr, file=sys.stderr)
    sys.exit(code)


if args == ["version"]:
    version = scenario["version"]
    finish(version["stdout"], version.get("stderr", ""), version.get("code", 0))

positional = [arg for arg in args if not arg.startswith("-")]
command = " ".join(positional[:2]) if positional[:1] in (["stack"], ["config"]) else positional[0]
stack = value_of("--stack") or (positional[2] if command == "stack init" and len(positional) > 2 else None)
event_log = value_of("--event-log")
sequence = [0]


def event(**body):
    if event_log and not event_log.startswith("tcp://"):
        sequence[0] += 1
        with open(event_log, "a") as events:
            events.write(json.dumps({"sequence": sequence[0], "timestamp": int(time.time()), **body}) + "\n")


if command in scenario["hang"]:
    time.sleep(scenario["hang"][command])
if command in scenario["garble"]:
    for stream in (sys.stdout, sys.stderr):
        stream.buffer.write(b"\xff\xfe not UTF-8 " + b"x" * scenario["garble"][command] + b"\n")
        stream.flush()

failure = scenario["fail"].get(command) or scenario["fail"].get("*")
if failure and (not failure.get("stacks") or stack in failure["stacks"]):
    event(cancelEvent={})
    finish(failure.get("stdout", ""), failure.get("stderr", ""), failure["code"])

stacks = scenario["stacks"]
if command == "stack init":
    if stack in stacks:
        finish(stderr=f"error: stack '{stack}' already exists", code=255)
    finish(f"Created stack '{stack}'")
if stack is not None and stack not in stacks:
    finish(stderr=f"error: no stack named '{stack}' found", code=scenario["not_found_code"])

if command == "stack select" or command.startswith("config"):
    finish()
if command == "stack output":
    finish(json.dumps(scenario["outputs"].get(stack, {})))
if command == "stack history":
    changes = scenario["changes"].get(stack, {"same": 1})
    finish(json.dumps([{
        "kind": "update", "startTime": "2026-11-24T20:00:00.000Z", "endTime": "2026-11-24T20:01:00.000Z",
        "message": "", "environment": {}, "config": {}, "result": "succeeded", "resourceChanges": changes,
    }]))

folder = os.path.dirname(scenario["log"])


def cancel(*_):
    # What the CLI does on its first SIGINT: cancel cleanly, writing as it goes; on a second one, terminate.
    signal.signal(signal.SIGINT, terminate)
    for step in range(10):
        print(f"^C received; cancelling ({step})", flush=True)
        time.sleep(0.05)
    open(os.path.join(folder, "ended"), "w").write("cancelled cleanly")
    finish(stderr="error: update cancelled", code=8)


def terminate(*_):
    open(os.path.join(folder, "ended"), "w").write("terminated")
    finish(stderr="error: ^C received; terminating", code=255)


if command in scenario["interruptible"]:
    signal.signal(signal.SIGINT, cancel)
    open(os.path.join(folder, "started"), "w").write(command)
    for tick in range(600):
        print(f"{command} in progress ({tick})", flush=True)
        time.sleep(0.05)

planning = "--preview-only" in args or command == "preview"
failure_after_steps = scenario["fail_after_steps"].get(command)
print(f"{command} of {stack} (stand-in)")
event(preludeEvent={"config": {}})
for step in scenario["steps"].get(stack, []):
    metadata = {"op": step["op"], "urn": step["urn"], "type": step["type"], "provider": ""}
    event(resourcePreEvent={"metadata": metadata, "planning": planning})
    if step.get("policy"):
        violation = {"message": step["policy"], "color": "never", "policyName": "phone-numbers-protected"}
        event(policyEvent={**violation, "policyPackName": "connectdr-guardrails", "enforcementLevel": "mandatory",
                           "resourceUrn": step["urn"]})
    if step.get("failed"):
        event(diagnosticEvent={"message": step["failed"], "color": "never", "severity": "error", "urn": step["urn"]})
        event(resOpFailedEvent={"metadata": metadata, "status": 1, "steps": 1})
    else:
        event(resOutputsEvent={"metadata": metadata, "planning": planning})
if failure_after_steps:
    event(cancelEvent={})
    finish(stderr=failure_after_steps["stderr"], code=failure_after_steps["code"])
if scenario["summary"]:
    changes = scenario["changes"].get(stack, {"same": 1})
    event(summaryEvent={"maybeCorrupt": False, "durationSeconds": 1, "resourceChanges": changes, "PolicyPacks": {}})
event(cancelEvent={})
finish()
"""

OLD_CLI = "3.200.0"
"""File-based event log (the SDK switches to gRPC after 3.205)."""


@dataclass
class StandIn:
    """The scenario the stand-in answers from; `write()` after editing it."""

    folder: Path
    version: dict[str, Any] = field(default_factory=lambda: {"stdout": f"v{OLD_CLI}"})
    stacks: list[str] = field(default_factory=lambda: ["primary", "secondary"])
    outputs: dict[str, dict[str, Any]] = field(default_factory=dict)
    changes: dict[str, dict[str, int]] = field(default_factory=dict)
    steps: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    fail: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Command (`up`, `stack output`, ..., or `*` for any) -> stdout, stderr, code and optionally `stacks`."""
    fail_after_steps: dict[str, dict[str, Any]] = field(default_factory=dict)
    """Command -> stderr and code, failing once its steps' events are written (a failure mid-operation)."""
    not_found_code: int = 255
    summary: bool = True
    hang: dict[str, float] = field(default_factory=dict)
    """Command -> seconds it sleeps before answering (a backend that does not answer)."""
    garble: dict[str, int] = field(default_factory=dict)
    """Command -> how many bytes it prints, on stdout and on stderr, after two that are not UTF-8."""
    interruptible: list[str] = field(default_factory=list)
    """Commands that run until SIGINT, then cancel cleanly as the CLI does (a second SIGINT terminates)."""

    @property
    def log(self) -> Path:
        return self.folder / "calls.jsonl"

    @property
    def scenario(self) -> Path:
        return self.folder / "scenario.json"

    def write(self) -> None:
        document = {
            "version": self.version,
            "stacks": self.stacks,
            "outputs": self.outputs,
            "changes": self.changes,
            "steps": self.steps,
            "fail": self.fail,
            "fail_after_steps": self.fail_after_steps,
            "not_found_code": self.not_found_code,
            "summary": self.summary,
            "hang": self.hang,
            "garble": self.garble,
            "interruptible": self.interruptible,
            "log": str(self.log),
        }
        self.scenario.write_text(json.dumps(document))

    def ended(self) -> str | None:
        """How an interruptible command ended (`cancelled cleanly`, `terminated`), None if it was killed."""
        path = self.folder / "ended"
        return path.read_text() if path.exists() else None

    def started(self) -> bool:
        return (self.folder / "started").exists()

    def calls(self) -> list[list[str]]:
        if not self.log.exists():
            return []
        return [json.loads(line) for line in self.log.read_text().splitlines()]


def install(folder: Path, monkeypatch: Any, outputs: dict[str, dict[str, Any]] | None = None) -> StandIn:
    """Put the stand-in first on PATH (with only /usr/bin and /bin after it) and point it at its scenario,
    with these stack outputs."""
    folder.mkdir(parents=True, exist_ok=True)
    script = folder / "pulumi"
    script.write_text(f"#!{sys.executable}\n{SCRIPT}")
    script.chmod(script.stat().st_mode | stat.S_IXUSR | stat.S_IXGRP | stat.S_IXOTH)
    standin = StandIn(folder, outputs=outputs or {})
    standin.write()
    monkeypatch.setenv("PATH", os.pathsep.join([str(folder), "/usr/bin", "/bin"]))
    monkeypatch.setenv("STANDIN_SCENARIO", str(standin.scenario))
    monkeypatch.delenv("PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK", raising=False)
    return standin
