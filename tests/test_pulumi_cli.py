"""How a failed Pulumi CLI command becomes one line and an exit code, with the SDK's real errors.

Failures are produced by the SDK itself: PulumiCommand.run spawning a small script that prints chosen
output and exits with a chosen code, so create_command_error picks the error class as in production.
"""

import json
import sys
import threading

import pytest
from pulumi.automation import CommandResult, ConcurrentUpdateError, PulumiCommand, StackNotFoundError
from pulumi.automation.errors import CommandError, create_command_error

from deploy.errors import ExitCode
from deploy.pulumi_cli import CapturingCommand, CliFailure, cause_line, classify, failure_of, sdk_exit_code

SCRIPT = """
import json, sys
said = json.loads(sys.argv[-1])
print(said["stdout"]); print(said["stderr"], file=sys.stderr); sys.exit(said["code"])
"""


@pytest.fixture
def fail_with(tmp_path):
    """Run the real PulumiCommand.run on a script; returns the CommandError the SDK raised."""
    script = tmp_path / "cli"
    script.write_text(f"#!{sys.executable}\n{SCRIPT}")
    script.chmod(0o755)
    command = CapturingCommand.__new__(CapturingCommand)  # skips `pulumi version`: the script is no CLI
    command.command, command.version = str(script), None

    def run(stdout: str = "", stderr: str = "", code: int = 255) -> CommandError:
        with pytest.raises(CommandError) as raised:
            command.run([json.dumps({"stdout": stdout, "stderr": stderr, "code": code})], str(tmp_path), {})
        return raised.value

    return run


def test_the_sdk_keeps_the_exit_code_where_the_driver_reads_it():
    """Fails loudly if an SDK upgrade changes how CommandError carries the CLI's exit code."""
    for code in (1, 7, 255):
        assert sdk_exit_code(create_command_error(CommandResult(stdout="x", stderr="y", code=code))) == code


def test_the_streams_come_from_the_command_itself(fail_with):
    error = fail_with(stdout="Updating (primary)", stderr="error: boom\nmore", code=3)
    assert failure_of(error) == CliFailure(3, "Updating (primary)", "error: boom\nmore")


LOCKED = (
    "error: the stack is currently locked by 1 lock(s). Either wait for the other process(es) to end or delete "
    "the lock file with `pulumi cancel`.\n"
    "  s3://state/.pulumi/locks/organization/connectdr/primary/8e6f.json: created by ci@runner (pid 4242)"
)
LOGIN = (
    "error: PULUMI_ACCESS_TOKEN must be set for login during non-interactive CLI sessions\n"
    "see https://www.pulumi.com/docs/reference/cli/pulumi_login/"
)


@pytest.mark.parametrize(
    ("stdout", "stderr", "cause"),
    [
        ("", LOCKED, "the stack is currently locked by 1 lock(s)."),
        ("", LOGIN, "PULUMI_ACCESS_TOKEN must be set for login during non-interactive CLI sessions"),
        (
            "  aws:s3:Bucket (recordings):\n    error: creating S3 Bucket: AccessDenied: not allowed",
            "error: update failed",
            "creating S3 Bucket: AccessDenied: not allowed",
        ),
        ("", "panic: something odd\ngoroutine 1", "panic: something odd"),
        (
            "",
            "error: 2 errors occurred:\n    1) decrypting secret: AccessDeniedException\n    2) blob: NoSuchKey",
            "2 errors occurred: 1) decrypting secret: AccessDeniedException; 2) blob: NoSuchKey",
        ),
        ("", "", "the Pulumi CLI failed with exit code 255 without a message"),
    ],
)
def test_the_cause_is_the_line_that_names_it(fail_with, stdout, stderr, cause):
    failure = failure_of(fail_with(stdout=stdout, stderr=stderr))
    assert cause_line(failure).startswith(cause)


def test_the_old_way_of_reading_the_cause_printed_a_path_instead():
    """What str(CommandError) led to: its last `error`-ish line is not the one that names the cause."""
    text = str(create_command_error(CommandResult(stdout="", stderr=LOCKED, code=255)))
    last = [line.strip() for line in text.splitlines() if line.strip()][-1]
    assert "s3://state/.pulumi/locks" in last
    assert cause_line(CliFailure(255, "", LOCKED)).startswith("the stack is currently locked")


@pytest.mark.parametrize(
    ("stderr", "code", "expecting", "exit_code", "said"),
    [
        ("error: no stack named 'primary' found", 255, False, ExitCode.ENVIRONMENT, "no such stack"),
        ("error: stack 'acme/connectdr/primary' not found", 6, False, ExitCode.ENVIRONMENT, "no such stack"),
        (
            "error: [409] Conflict: Another update is currently in progress.",
            255,
            False,
            ExitCode.CONCURRENT,
            "another update",
        ),
        (LOCKED, 255, False, ExitCode.CONCURRENT, "another update holds the stack"),
        ("error: no changes were expected for preview but changes were proposed", 7, True, ExitCode.DRIFT, "drift"),
        ("error: no changes were expected but changes were proposed", 255, True, ExitCode.DRIFT, "drift"),
        ("error: something with no changes were expected but changes were proposed", 255, False, ExitCode.FAILED, ""),
        ("error: anything at all", 7, False, ExitCode.DRIFT, "drift"),
        (LOGIN, 255, False, ExitCode.ENVIRONMENT, "credentials"),
        ("error: getting user info: unauthorized", 3, False, ExitCode.ENVIRONMENT, "credentials"),
        ("error: dial tcp: lookup api.pulumi.com: no such host", 255, False, ExitCode.ENVIRONMENT, "not reachable"),
        ("error: update failed", 255, False, ExitCode.FAILED, "primary: update failed"),
    ],
)
def test_each_failure_class_has_its_exit_code(fail_with, stderr, code, expecting, exit_code, said):
    error = fail_with(stderr=stderr, code=code)
    failure = classify(error, "primary", expecting_no_changes=expecting)
    assert failure.exit_code == exit_code
    assert said in str(failure)
    assert "\n" not in str(failure)


def test_the_sdk_names_the_classes_the_driver_relies_on(fail_with):
    assert isinstance(fail_with(stderr="error: no stack named 'x' found"), StackNotFoundError)
    assert isinstance(
        fail_with(stderr="error: [409] Conflict: Another update is currently in progress."), ConcurrentUpdateError
    )


def test_output_that_cannot_be_shown_does_not_stop_the_reading(tmp_path):
    """A callback that fails (a closed stdout) must not leave the CLI blocked on a full pipe."""
    script = tmp_path / "cli"
    script.write_text(f"#!{sys.executable}\nimport sys\nsys.stdout.write('line\\n' * 100_000)\n")
    script.chmod(0o755)
    command = CapturingCommand.__new__(CapturingCommand)
    command.command, command.version = str(script), None
    shown: list[str] = []

    def show(line: str) -> None:
        shown.append(line)
        raise BrokenPipeError

    results: list[CommandResult] = []
    reader = threading.Thread(target=lambda: results.append(command.run([], str(tmp_path), {}, show)), daemon=True)
    reader.start()
    reader.join(timeout=30)
    assert not reader.is_alive(), "the CLI and the driver wait on each other"
    assert shown == ["line"] and results[0].stdout.count("line") == 100_000


@pytest.mark.parametrize(
    "args", [["stack", "output", "--json"], ["up", "--yes", "--", "extra"], ["--non-interactive", "x"]]
)
def test_the_cli_runs_as_the_sdk_runs_it(tmp_path, args):
    """Same arguments and environment as the SDK's own PulumiCommand.run, which CapturingCommand replaces."""
    script = tmp_path / "cli"
    script.write_text(
        f"#!{sys.executable}\nimport json, os, sys\n"
        "print(json.dumps([sys.argv[1:], os.environ.get('PULUMI_AUTOMATION_API'), os.environ.get('EXTRA')]))\n"
    )
    script.chmod(0o755)
    said = []
    for cls in (PulumiCommand, CapturingCommand):
        command = cls.__new__(cls)
        command.command, command.version = str(script), None
        said.append(json.loads(command.run(list(args), str(tmp_path), {"EXTRA": "1"}).stdout))
    assert said[0] == said[1]


@pytest.mark.parametrize(
    ("stdout", "stderr", "code", "exit_code"),
    [
        ("    error: reading Connect Queue (q-1): ResourceNotFoundException: queue not found", "", 1, ExitCode.FAILED),
        (
            "    error: creating Connect Phone Number: StatusCode: 409, ResourceConflictException: in use",
            "error: update failed",
            255,
            ExitCode.FAILED,
        ),
        ("    error: putting S3 policy: AccessDenied: Access Denied, StatusCode: 403", "", 1, ExitCode.FAILED),
        ("    error: no stack named 'primary' found", "", 1, ExitCode.FAILED),
    ],
    ids=["not-found", "conflict-409", "forbidden-403", "stack-reference"],
)
def test_a_resource_error_is_not_mistaken_for_the_environment(fail_with, stdout, stderr, code, exit_code):
    """The engine prints resource errors on stdout: words like 'not found', 409 or 403 there are the resource's,
    not the backend's, the stack's or the credentials' (which the CLI reports on stderr)."""
    failure = classify(fail_with(stdout=stdout, stderr=stderr, code=code), "primary")
    assert failure.exit_code == exit_code
    assert stdout.split("error: ", 1)[1] in str(failure)
