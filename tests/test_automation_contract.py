"""Contract: the exact Pulumi CLI commands the driver runs through the real Automation API code.

A stand-in `pulumi` on PATH answers and logs every call (the SDK adds `--non-interactive` and, for
operations, `--event-log <file>`; the log leaves those two out)."""

import json

import pytest
from driver_fakes import OUTPUTS, FakeConnect, cloud_with
from pulumi_standin import install

from deploy import cli

PRIMARY_URN = "urn:pulumi:primary::connectdr::aws:s3/bucket:Bucket::recordings"


@pytest.fixture
def standin(tmp_path, monkeypatch):
    return install(tmp_path / "bin", monkeypatch, OUTPUTS)


def commands(standin) -> list[str]:
    """The logged calls without the version probes and the SDK's event-log argument."""
    shown = []
    for call in standin.calls():
        if call == ["version"]:
            continue
        if "--event-log" in call:
            at = call.index("--event-log")
            call = call[:at] + call[at + 2 :]
        shown.append(" ".join(call))
    return shown


def up_calls(stack: str) -> list[str]:
    return [
        f"stack select --stack {stack}",
        f"up --yes --skip-preview --exec-kind auto.local --stack {stack}",
        f"stack output --json --stack {stack}",
        f"stack output --json --show-secrets --stack {stack}",
        f"stack history --json --show-secrets --page-size 1 --page 1 --stack {stack}",
    ]


def test_up_all_selects_and_runs_primary_then_secondary(standin, capsys, outputs_file):
    assert cli.main(["up"]) == 0
    assert commands(standin) == up_calls("primary") + up_calls("secondary")
    assert "stack init" not in " ".join(commands(standin))
    out = capsys.readouterr().out
    assert "[primary] up of primary (stand-in)" in out
    assert set(json.loads(outputs_file.read_text())["stacks"]) == {"primary", "secondary"}


def test_preview_passes_pulumi_flags_through(standin, capsys, tmp_path):
    argv = ["preview", "--stack", "primary", "--target", PRIMARY_URN, "--exclude", PRIMARY_URN, "--replace"]
    argv += [PRIMARY_URN, "--diff", "--refresh", "--policy-pack", str(tmp_path), "--parallel", "3"]
    assert cli.main([*argv, "--message", "ci run", "--expect-no-changes"]) == 0
    assert commands(standin) == [
        "stack select --stack primary",
        f"preview --message ci run --expect-no-changes --diff --replace {PRIMARY_URN} --target {PRIMARY_URN} "
        f"--exclude {PRIMARY_URN} --policy-pack {tmp_path} --parallel 3 --refresh --exec-kind auto.local "
        "--stack primary",
    ]


def test_refresh_expecting_no_changes_only_previews(standin, capsys):
    assert cli.main(["refresh", "--stack", "secondary", "--expect-no-changes"]) == 0
    assert commands(standin) == [
        "stack select --stack secondary",
        "refresh --preview-only --expect-no-changes --exec-kind auto.local --stack secondary",
    ]


def test_destroy_keeps_protected_resources(standin, capsys):
    assert cli.main(["destroy", "--yes", "--stack", "primary"]) == 0
    assert commands(standin)[:2] == [
        "stack select --stack primary",
        "destroy --skip-preview --yes --exclude-protected --exec-kind auto.local --stack primary",
    ]


def test_init_creates_only_what_is_missing(standin, capsys):
    standin.stacks = ["primary"]
    standin.write()
    assert cli.main(["init", "--secrets-provider", "awskms://alias/connectdr"]) == 0
    assert commands(standin) == [
        "stack init primary --secrets-provider awskms://alias/connectdr",
        "stack init secondary --secrets-provider awskms://alias/connectdr",
    ]
    assert capsys.readouterr().out == "primary: exists already (nothing changed)\nsecondary: created\n"


def test_status_reads_outputs_without_decrypting_anything(standin, capsys):
    cli.main(["status"], cloud=cloud_with())
    assert commands(standin) == ["stack output --json --stack primary", "stack output --json --stack secondary"]


def test_split_sets_the_path_config_runs_up_then_reads_the_primary(standin, capsys):
    code = cli.main(["split", "us-east-1=70", "us-west-2=30"], cloud=cloud_with(FakeConnect(east=70)))
    assert code == 0, capsys.readouterr().err
    assert commands(standin) == [
        "stack select --stack primary",
        'config set-all --stack primary --path --plaintext connectdr:traffic.telephony["us-east-1"]=70 '
        '--plaintext connectdr:traffic.telephony["us-west-2"]=30',
        "stack select --stack primary",
        'up --yes --skip-preview --message split: connectdr:traffic.telephony["us-east-1"]=70, '
        'connectdr:traffic.telephony["us-west-2"]=30 --exec-kind auto.local --stack primary',
        *up_calls("primary")[2:],
        "stack output --json --stack primary",
    ]
    assert "effective telephony: {'us-east-1': 70, 'us-west-2': 30}" in capsys.readouterr().out


def test_a_split_whose_up_fails_is_put_back_in_the_stack_config(standin, capsys):
    standin.fail = {
        "up": {
            "code": 255,
            "stderr": "error: update failed\nerror: [409] Conflict: Another update is currently in progress.",
        }
    }
    standin.write()
    code = cli.main(["split", "us-east-1=70", "us-west-2=30"])
    assert code == 5
    assert commands(standin)[-2:] == [
        "stack select --stack primary",
        'config set-all --stack primary --path --plaintext connectdr:traffic.telephony["us-east-1"]=50 '
        '--plaintext connectdr:traffic.telephony["us-west-2"]=50',
    ]
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "stack config put back as it was" in err
