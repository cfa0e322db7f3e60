"""Every command README documents, with good and bad arguments, with no CLI, with a CLI failing each way,
and with AWS refusing or unreachable: each ends with its documented exit code and, when it fails, exactly
one line on stderr (never a traceback). The CLI is a stand-in on PATH, so the real Automation API runs."""

import io
import json
import os
import signal
import subprocess
import sys
import time

import pytest
from botocore.exceptions import ClientError, EndpointConnectionError
from conftest import ROOT
from driver_fakes import EAST, OUTPUTS, WEST, FakeCloudWatch, FakeConnect, FakeLambda, cloud_with, table_with_desired
from pulumi_standin import install

from deploy import cli
from deploy.cloud import CloudClients
from deploy.outputs_cache import save_outputs

COMMANDS = {
    "init": ["init"],
    "preview": ["preview"],
    "drift-check": ["preview", "--refresh", "--expect-no-changes"],
    "up": ["up", "--stack", "primary"],
    "refresh": ["refresh"],
    "destroy": ["destroy", "--yes"],
    "split": ["split", "us-east-1=70", "us-west-2=30"],
    "split-direct": ["split", "us-east-1=0", "us-west-2=100", "--direct", WEST],
    "status": ["status"],
    "drill": ["drill", "--away-from", EAST, "--timeout", "30"],
    "verify": ["verify"],
}
OPERATIONS = ("preview", "up", "refresh", "destroy")
LOGIN = "error: PULUMI_ACCESS_TOKEN must be set for login during non-interactive CLI sessions"
CONFLICT = "error: [409] Conflict: Another update is currently in progress."
DIAGNOSTICS = "  aws:s3:Bucket (recordings):\n    error: creating S3 Bucket: AccessDenied: not allowed"


def failing(keys, stderr, code, stdout=""):
    return {key: {"stderr": stderr, "code": code, "stdout": stdout} for key in keys}


CLI_STATES = {
    "works": {},
    "unknown-stack-old-cli": {"stacks": []},
    "unknown-stack-new-cli": {"stacks": [], "not_found_code": 6},
    "not-logged-in": {"fail": failing(["*"], LOGIN, 255)},
    "auth-exit-code": {"fail": failing(["*"], "error: getting user info: [401] Unauthorized", 3)},
    "another-update": {"fail": failing([*OPERATIONS, "config set-all", "stack init"], CONFLICT, 255)},
    "resource-error": {"fail": failing(OPERATIONS, "error: update failed", 255, DIAGNOSTICS)},
    "backend-hangs": {"hang": {command: 60 for command in ("stack select", "stack output", "stack init")}},
    "outputs-not-json": {"fail": failing(["stack output"], "", 0, "{not json")},
    "output-not-utf8": {"garble": {operation: 70_000 for operation in OPERATIONS}},
}
# (state, command) -> exit code; every command meets "works", "no-cli", the unknown stack and the login states.
EXPECTED = {
    **{("works", command): 0 for command in COMMANDS},
    **{("no-cli", command): 4 for command in COMMANDS},
    **{(state, command): 4 for state in ("unknown-stack-old-cli", "unknown-stack-new-cli") for command in COMMANDS},
    ("unknown-stack-old-cli", "init"): 0,
    ("unknown-stack-new-cli", "init"): 0,
    **{(state, command): 4 for state in ("not-logged-in", "auth-exit-code") for command in COMMANDS},
    **{("another-update", command): 5 for command in ("init", "preview", "drift-check", "up", "refresh", "destroy")},
    ("another-update", "split"): 5,
    ("another-update", "status"): 0,
    **{("resource-error", command): 1 for command in ("preview", "drift-check", "up", "refresh", "destroy", "split")},
    ("resource-error", "verify"): 0,
    **{("backend-hangs", command): 4 for command in COMMANDS},
    **{("outputs-not-json", command): 1 for command in ("up", "split", "status", "drill", "verify")},
    **{("outputs-not-json", command): 0 for command in ("init", "preview", "drift-check", "refresh", "destroy")},
    ("outputs-not-json", "split-direct"): 4,
    **{("output-not-utf8", command): 0 for command in COMMANDS},
}


class ControllerFake(FakeLambda):
    """Invoking the controller applies the desired item in `table` to `connect`, as the real one would."""

    def __init__(self, table, connect) -> None:
        super().__init__()
        self.table, self.connect = table, connect

    def invoke(self, FunctionName, InvocationType, Payload):
        document = self.table.desired()
        forced = document["override"]["mode"] == "force"
        self.connect.east = 0 if forced else document["default"]["telephony"][EAST]
        return super().invoke(FunctionName, InvocationType, Payload)


def working_cloud() -> CloudClients:
    east, west = table_with_desired(), table_with_desired()
    east.peer, west.peer = west, east
    connect = FakeConnect(east=50)
    watches = {EAST: FakeCloudWatch(), WEST: FakeCloudWatch()}
    return cloud_with(connect, watches, {EAST: east, WEST: west}, ControllerFake(west, connect))


def refusing_cloud(error: Exception) -> CloudClients:
    class Refusing:
        def __getattr__(self, name):
            def call(*_args, **_kwargs):
                raise error

            return call

    return CloudClients(factory=lambda service, region: Refusing())


@pytest.fixture
def standin(tmp_path, monkeypatch):
    return install(tmp_path / "bin", monkeypatch, OUTPUTS)


def run(capsys, argv, cloud=None) -> tuple[int, str, str]:
    code = cli.main(argv, cloud=cloud if cloud is not None else working_cloud(), stdin=io.StringIO())
    out, err = capsys.readouterr()
    return code, out, err


def assert_ends(code: int, expected: int, out: str, err: str) -> None:
    assert "Traceback" not in out + err
    assert code == expected, err
    if expected == 0:
        assert err == ""
    else:
        assert err.count("\n") == 1 and err.startswith("error: "), err


@pytest.mark.parametrize(("state", "command"), sorted(EXPECTED), ids=lambda item: item)
def test_every_command_in_every_cli_state(standin, capsys, monkeypatch, state, command):
    monkeypatch.setenv("CONNECTDR_PULUMI_TIMEOUT", "1")
    if state == "no-cli":
        monkeypatch.setenv("PATH", "/usr/bin:/bin")
    else:
        for key, value in CLI_STATES[state].items():
            setattr(standin, key, value)
        standin.write()
    code, out, err = run(capsys, COMMANDS[command])
    assert_ends(code, EXPECTED[(state, command)], out, err)


@pytest.mark.parametrize(
    ("version", "said"),
    [
        ({"stdout": "not-a-version"}, "Could not parse the Pulumi CLI version"),
        ({"stdout": "v4.0.0"}, "Major version mismatch"),
        ({"stdout": "", "stderr": "error: could not read ~/.pulumi/credentials.json", "code": 1}, "exit code 1"),
    ],
)
@pytest.mark.parametrize("command", ["preview", "status", "split"])
def test_a_cli_whose_version_check_fails(standin, capsys, version, said, command):
    standin.version = version
    standin.write()
    code, out, err = run(capsys, COMMANDS[command])
    assert_ends(code, 4, out, err)
    assert said in err


def test_a_cli_that_cannot_be_started(standin, capsys, tmp_path):
    interpreter = tmp_path / "not-executable"
    interpreter.write_text("")
    script = standin.folder / "pulumi"
    script.write_text(f"#!{interpreter}\n")
    code, out, err = run(capsys, COMMANDS["preview"])
    assert_ends(code, 4, out, err)
    assert "permission denied" in err


@pytest.mark.parametrize("command", ["preview", "drift-check"])
def test_a_preview_whose_summary_never_arrives(standin, capsys, command):
    standin.version = {"stdout": "v3.210.0"}  # events over gRPC, which the stand-in never sends
    standin.write()
    code, out, err = run(capsys, COMMANDS[command])
    assert_ends(code, 1, out, err)
    assert "without reporting a summary" in err


@pytest.mark.parametrize(
    ("code", "stderr"),
    [
        (7, "error: no changes were expected for preview but changes were proposed"),
        (255, "error: no changes were expected but changes were proposed"),
    ],
    ids=["cli-with-exit-codes", "older-cli"],
)
def test_drift_is_exit_3(standin, capsys, code, stderr):
    standin.fail = failing(["preview"], stderr, code)
    standin.write()
    exit_code, out, err = run(capsys, COMMANDS["drift-check"])
    assert_ends(exit_code, 3, out, err)
    assert "[primary] preview of primary" not in out


def test_split_direct_needs_no_cli_with_the_outputs_file(standin, capsys, monkeypatch):
    for stack in ("primary", "secondary"):
        save_outputs(stack, OUTPUTS[stack])
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    code, out, err = run(capsys, COMMANDS["split-direct"])
    assert_ends(code, 0, out, err)


@pytest.fixture
def no_aws_credentials(tmp_path, monkeypatch):
    for key in ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "no-config"))
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", str(tmp_path / "no-credentials"))


@pytest.mark.parametrize(
    ("command", "expected"),
    [("status", 4), ("drill", 4), ("verify", 4), ("split-direct", 4), ("split", 0)],
)
def test_without_aws_credentials(standin, capsys, no_aws_credentials, command, expected):
    code, out, err = run(capsys, COMMANDS[command], cloud=CloudClients())
    assert_ends(code, expected, out, err)
    if command == "split":
        assert "effective telephony: unavailable (no AWS credentials" in out


ACCESS_DENIED = ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"}}, "GetItem")
UNREACHABLE = EndpointConnectionError(endpoint_url="https://dynamodb.us-west-2.amazonaws.com")


@pytest.mark.parametrize(
    ("error", "command", "expected", "said"),
    [
        (ACCESS_DENIED, "verify", 1, "verify: a check failed"),  # one check's line; the other checks still run
        (ACCESS_DENIED, "split-direct", 4, "AWS GetItem: AccessDeniedException"),
        (ACCESS_DENIED, "drill", 1, "refusing to drill: us-west-2 is unknown"),
        (ACCESS_DENIED, "status", 0, ""),
        (UNREACHABLE, "verify", 4, "AWS not reachable"),
        (UNREACHABLE, "split-direct", 4, "AWS not reachable"),
        (
            ClientError({"Error": {"Code": "ResourceNotFoundException", "Message": "gone"}}, "Invoke"),
            "verify",
            1,
            "verify: a check failed",
        ),
    ],
)
def test_aws_failures_at_the_command_boundary(standin, capsys, error, command, expected, said):
    code, out, err = run(capsys, COMMANDS[command], cloud=refusing_cloud(error))
    assert_ends(code, expected, out, err)
    assert said in err


BAD_ARGUMENTS = {
    "plan": ["plan", "--format", "yaml"],
    "init": ["init", "--bogus"],
    "preview": ["preview", "--parallel", "many"],
    "drift-check": ["preview", "--expect-no-changes", "--target", "urn:pulumi:primary::connectdr::t::n"],
    "up": ["up", "--expect-no-changes"],
    "refresh": ["refresh", "--policy-pack", "policy"],
    "destroy": ["destroy"],
    "split": ["split", "us-east-1=70", "us-west-2=20"],
    "split-direct": ["split", "us-east-1=0", "us-west-2=100", "--direct", "eu-west-1"],
    "status": ["status", "--bogus"],
    "drill": ["drill", "--away-from", EAST, "--timeout", "0"],
    "verify": ["verify", "extra"],
}


@pytest.mark.parametrize("command", sorted(BAD_ARGUMENTS))
def test_bad_arguments_exit_2_and_never_call_the_cli(standin, capsys, command):
    code, out, err = run(capsys, BAD_ARGUMENTS[command])
    assert_ends(code, 2, out, err)
    assert standin.calls() == []


def test_the_offline_plan_needs_no_cli(standin, capsys, monkeypatch):
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    code, out, err = run(capsys, ["plan", "--stack", "primary", "--format", "json"])
    assert_ends(code, 0, out, err)
    assert list(json.loads(out)["stacks"]) == ["primary"]


def test_the_json_document_lists_each_resource_operation(standin, capsys):
    urn = "urn:pulumi:primary::connectdr::aws:lambda/function:Function::controller"
    standin.steps = {"primary": [{"op": "update", "urn": urn, "type": "aws:lambda/function:Function"}]}
    standin.changes = {"primary": {"update": 1, "same": 40}}
    standin.write()
    code, out, err = run(capsys, ["preview", "--stack", "primary", "--json"])
    assert_ends(code, 0, out, err)
    stack = json.loads(out)["stacks"][0]
    assert stack["changes"] == {"update": 1, "same": 40}
    assert stack["resources"] == [
        {"urn": urn, "type": "aws:lambda/function:Function", "op": "update", "status": "planned"}
    ]


def test_stacks_of_another_name_and_org_are_driven_by_role(standin, capsys):
    standin.stacks = ["acme/connectdr/staging-east", "acme/connectdr/staging-west"]
    standin.write()
    argv = ["preview", "--primary-stack", "acme/connectdr/staging-east"]
    code, out, err = run(capsys, [*argv, "--secondary-stack", "acme/connectdr/staging-west"])
    assert_ends(code, 0, out, err)
    selected = [call[-1] for call in standin.calls() if call[:2] == ["stack", "select"]]
    assert selected == ["acme/connectdr/staging-east", "acme/connectdr/staging-west"]


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["status"], 4),
        (["preview", "--stack", "primary"], 4),
        (["split", "us-east-1=70", "us-west-2=20"], 2),
        (["verify"], 4),
        (["drill", "--away-from", EAST], 4),
    ],
)
def test_the_module_as_an_operator_runs_it_with_no_cli_and_no_credentials(tmp_path, argv, expected):
    environment = {
        "PATH": "/usr/bin:/bin",
        "AWS_EC2_METADATA_DISABLED": "true",
        "AWS_CONFIG_FILE": str(tmp_path / "none"),
        "AWS_SHARED_CREDENTIALS_FILE": str(tmp_path / "none"),
        "HOME": str(tmp_path),
        "CONNECTDR_OUTPUTS_FILE": str(tmp_path / "outputs.json"),
    }
    result = subprocess.run(
        [sys.executable, "-m", "deploy", *argv], cwd=ROOT, env=environment, capture_output=True, text=True, timeout=60
    )
    assert_ends(result.returncode, expected, result.stdout, result.stderr)


def test_an_engine_event_the_sdk_cannot_read_is_a_note_not_a_traceback(standin, capsys):
    urn = "urn:pulumi:primary::connectdr::aws:s3/bucket:Bucket::b"
    standin.steps = {"primary": [{"op": "teleport", "urn": urn, "type": "aws:s3/bucket:Bucket"}]}
    standin.write()
    code, out, err = run(capsys, ["preview", "--stack", "primary"])
    assert_ends(code, 1, out, err)
    assert "note: engine events not read ('teleport' is not a valid OpType)" in out


def test_a_failed_up_still_reports_what_it_touched_and_why(standin, capsys):
    number = "urn:pulumi:primary::connectdr::aws:connect/phoneNumber:PhoneNumber::main"
    bucket = "urn:pulumi:primary::connectdr::aws:s3/bucket:Bucket::recordings"
    standin.steps = {
        "primary": [
            {"op": "create", "urn": number, "type": "aws:connect/phoneNumber:PhoneNumber", "policy": "protect it"},
            {"op": "create", "urn": bucket, "type": "aws:s3/bucket:Bucket", "failed": "AccessDenied: not allowed"},
        ]
    }
    standin.fail_after_steps = {"up": {"stderr": "error: update failed", "code": 255}}
    standin.write()
    code, out, err = run(capsys, ["up", "--json"])
    assert_ends(code, 1, out, err)
    document = json.loads(out)
    assert (document["ok"], document["skipped"]) == (False, ["secondary"])
    primary = document["stacks"][0]
    assert [(r["urn"], r["status"]) for r in primary["resources"]] == [(number, "done"), (bucket, "failed")]
    assert primary["diagnostics"] == ["AccessDenied: not allowed"]
    assert primary["policy_violations"] == [
        {
            "policy": "phone-numbers-protected",
            "pack": "connectdr-guardrails",
            "enforcement": "mandatory",
            "urn": number,
            "message": "protect it",
        }
    ]


def run_module(argv: list[str], timeout: float = 60, **environment: str) -> subprocess.CompletedProcess:
    """`python -m deploy` in its own process, with the test's environment (the stand-in first on PATH)."""
    return subprocess.run(
        [sys.executable, "-m", "deploy", *argv],
        cwd=ROOT,
        env={**os.environ, **environment},
        capture_output=True,
        text=True,
        timeout=timeout,
    )


def test_output_that_is_not_utf8_is_shown_not_a_hang(standin):
    """The SDK reads the CLI's streams as strict UTF-8: one bad byte killed its reader, the pipe filled up and
    the CLI and the driver waited on each other for ever."""
    standin.garble = {"preview": 300_000}
    standin.write()
    result = run_module(["preview", "--stack", "primary"])
    assert_ends(result.returncode, 0, result.stdout, result.stderr)
    assert "[primary] \ufffd\ufffd not UTF-8 xxx" in result.stdout


def test_a_message_that_is_not_utf8_still_names_the_cause(standin, capsys):
    standin.garble = {"stack output": 10}
    standin.fail = failing(["stack output"], "error: blob (key .pulumi/stacks/primary.json): AccessDenied", 1)
    standin.write()
    code, out, err = run(capsys, COMMANDS["status"])
    assert_ends(code, 1, out, err)
    assert "AccessDenied" in err


def test_a_backend_that_does_not_answer_is_exit_4_not_a_hang(standin):
    standin.hang = {"stack output": 120}
    standin.write()
    result = run_module(["status"], CONNECTDR_PULUMI_TIMEOUT="2")
    assert_ends(result.returncode, 4, result.stdout, result.stderr)
    assert "did not answer within 2 s" in result.stderr


def _interrupt_up(standin, tmp_path, presses: int, signal_number: int) -> tuple[int, str, str]:
    """`up` as an operator runs it in a terminal, with Ctrl-C pressed `presses` times while the CLI works (the
    whole foreground group gets SIGINT), or as CI stops it (SIGTERM to the driver)."""
    standin.interruptible = ["up"]
    standin.write()
    out_path, err_path = tmp_path / "stdout", tmp_path / "stderr"
    with out_path.open("w") as out, err_path.open("w") as err:
        driver = subprocess.Popen(
            [sys.executable, "-m", "deploy", "up", "--stack", "primary"],
            cwd=ROOT,
            stdout=out,
            stderr=err,
            start_new_session=True,  # its own process group, as a terminal's foreground job
            preexec_fn=lambda: signal.signal(signal.SIGINT, signal.SIG_DFL),
        )
        try:
            _wait_until(standin.started)
            send = os.killpg if signal_number == signal.SIGINT else os.kill
            send(driver.pid, signal_number)
            if presses == 2:
                _wait_until(lambda: "^C received; cancelling (1)" in out_path.read_text())
                send(driver.pid, signal_number)
            code = driver.wait(timeout=60)
        finally:
            driver.kill()
    return code, out_path.read_text(), err_path.read_text()


def _wait_until(condition, seconds: float = 60) -> None:
    deadline = time.monotonic() + seconds
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.05)


@pytest.mark.parametrize(
    ("signal_number", "presses", "ended", "said"),
    [
        (signal.SIGINT, 1, "cancelled cleanly", "update cancelled"),
        (signal.SIGINT, 2, "terminated", "^C received; terminating"),
        (signal.SIGTERM, 1, "cancelled cleanly", "update cancelled"),
    ],
    ids=["ctrl-c", "ctrl-c-twice", "sigterm"],
)
def test_an_interrupt_lets_pulumi_cancel_as_it_does_on_its_own(standin, tmp_path, signal_number, presses, ended, said):
    """The driver used to exit at once and close the CLI's pipes (or die of SIGTERM): the CLI died on its next
    line of output, in the middle of the update, leaving the stack locked and operations pending."""
    code, out, err = _interrupt_up(standin, tmp_path, presses, signal_number)
    assert standin.ended() == ended
    assert_ends(code, 130, out, err)
    assert err == f"error: interrupted: primary: {said}\n"
    assert f"  primary: FAILED: interrupted: primary: {said}" in out


def test_a_closed_stdout_is_one_line_not_a_traceback():
    """`python -m deploy plan | head -1`: the reader leaves early; the driver says so in one line."""
    script = f"{sys.executable} -m deploy plan --stack all --format json | head -1"  # more than a pipe holds
    result = subprocess.run(["bash", "-c", script], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines() == ["error: stdout was closed before all results were written"]
    assert len(result.stdout.splitlines()) == 1
