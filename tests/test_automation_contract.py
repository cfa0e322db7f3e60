"""Contract: the exact Pulumi CLI arguments the Automation API runs for `up --stack all` and `split`.

PulumiCommand is replaced by a recorder; `run` is where the real class adds `--non-interactive` before
spawning the CLI, so the recorded arguments are everything else, exactly."""

import io
import json

from pulumi.automation import CommandResult, PulumiCommand
from semver import VersionInfo

from deploy.backend import AutomationBackend
from deploy.cloud import CloudClients
from deploy.lifecycle import run_lifecycle
from deploy.split import run_split

HISTORY = [
    {
        "kind": "update",
        "startTime": "2026-11-24T20:00:00.000Z",
        "endTime": "2026-11-24T20:01:00.000Z",
        "message": "",
        "environment": {},
        "config": {},
        "result": "succeeded",
        "resourceChanges": {"create": 3, "same": 120},
    }
]


class Recorder(PulumiCommand):
    """Answers like the CLI would for the few commands the driver runs, and records every call."""

    def __init__(self, config: dict[str, dict], outputs: dict[str, dict]) -> None:
        self.command, self.version = "pulumi", VersionInfo(3, 209, 0)
        self.config, self.outputs, self.calls = config, outputs, []

    def run(self, args, cwd, additional_env, on_output=None, on_error=None):
        self.calls.append(list(args))
        stack = args[args.index("--stack") + 1] if "--stack" in args else None
        stdout = ""
        if args[:2] == ["stack", "output"]:
            stdout = json.dumps(self.outputs.get(stack, {}))
        elif args[:2] == ["stack", "history"]:
            stdout = json.dumps(HISTORY)
        elif args[:1] == ["config"] and "set-all" not in args:
            stdout = json.dumps(self.config.get(stack, {}))
        elif args[:1] == ["up"] and on_output:
            on_output(f"Updating ({stack})")
        return CommandResult(stdout=stdout, stderr="", code=0)


OUTPUT_RUN = [
    ["stack", "output", "--json", "--stack"],
    ["stack", "output", "--json", "--show-secrets", "--stack"],
    ["stack", "history", "--json", "--show-secrets", "--page-size", "1", "--page", "1", "--stack"],
]


def up_calls(stack: str) -> list[list[str]]:
    return [
        ["stack", "select", "--stack", stack],
        ["up", "--yes", "--skip-preview", "--exec-kind", "auto.local", "--stack", stack],
        *[[*call, stack] for call in OUTPUT_RUN],
    ]


def test_up_all_runs_primary_then_secondary():
    recorder = Recorder({}, {})
    out = io.StringIO()
    assert run_lifecycle(AutomationBackend(pulumi_command=recorder), "up", "all", out=out) == 0
    assert recorder.calls == up_calls("primary") + up_calls("secondary")
    assert "[primary] Updating (primary)" in out.getvalue()
    assert "  primary: ok (create 3, same 120)" in out.getvalue()


def test_split_sets_the_path_config_then_runs_up_then_reads_outputs(stack_files):
    config = {
        "primary": {
            key: {"value": value, "secret": key in stack_files["primary"].secret_keys}
            for key, value in stack_files["primary"].values.items()
        }
    }
    outputs = {
        "primary": {
            "region": "us-east-1",
            "instanceId": "i",
            "defaultTdgArn": "arn:aws:connect:us-east-1:1:traffic-distribution-group/x",
            "trafficDistributionGroupArns": [],
            "tableNames": {"config": "c"},
            "healthAlarm": "h",
            "failoverController": "f",
            "streamSyncConsumer": "s",
        },
        "secondary": {"region": "us-west-2", "failoverController": "f", "streamSyncConsumer": "s"},
    }
    recorder = Recorder(config, outputs)

    def no_aws(service, region):
        raise RuntimeError("offline")

    out = io.StringIO()
    code = run_split(
        AutomationBackend(pulumi_command=recorder),
        CloudClients(factory=no_aws),
        {"telephony": {"us-east-1": 70, "us-west-2": 30}},
        out=out,
    )
    assert code == 0, out.getvalue()
    assert recorder.calls == [
        ["stack", "select", "--stack", "primary"],
        ["config", "--show-secrets", "--json", "--stack", "primary"],
        ["stack", "select", "--stack", "primary"],
        [
            "config",
            "set-all",
            "--stack",
            "primary",
            "--path",
            "--plaintext",
            'connectdr:traffic.telephony["us-east-1"]=70',
            "--plaintext",
            'connectdr:traffic.telephony["us-west-2"]=30',
        ],
        *up_calls("primary"),
        ["stack", "select", "--stack", "primary"],
        ["stack", "output", "--json", "--stack", "primary"],
        ["stack", "output", "--json", "--show-secrets", "--stack", "primary"],
        ["stack", "select", "--stack", "secondary"],
        ["stack", "output", "--json", "--stack", "secondary"],
        ["stack", "output", "--json", "--show-secrets", "--stack", "secondary"],
    ]
    assert "effective telephony: unavailable (offline)" in out.getvalue()
