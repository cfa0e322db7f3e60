"""`python -m deploy plan`: every format, secrets hidden, bad config a clean exit with nothing declared."""

import json
import subprocess
import sys

import pytest
from conftest import ROOT, edit_config, structured

from config import ConfigError
from deploy.offline import Plan, run_program
from deploy.render import to_json, to_mermaid, to_text
from deploy.stack_files import read_offline_stack_file, read_stack_file, validate_stack_file


def run_plan(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "deploy", "plan", *args], cwd=ROOT, capture_output=True, text=True)


def test_bad_config_declares_nothing(stack_files):
    network = structured(stack_files["primary"], "network")
    network["legs"]["us-west-2"]["vpcCidr"] = network["legs"]["us-east-1"]["vpcCidr"]
    plan = Plan("primary")
    with pytest.raises(ConfigError):
        run_program(stack_files["primary"].with_values(network=network), plan=plan)
    assert plan.resources == []


def test_bad_config_exits_2_with_one_line_per_problem_and_no_traceback(project_copy):
    stack_file = project_copy / "Pulumi.primary.yaml"
    stack_file.write_text(
        stack_file.read_text().replace("us-east-1: 50\n      us-west-2: 50", "us-east-1: 55\n      us-west-2: 45", 1)
    )
    result = run_plan("--stacks-dir", str(project_copy))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert (
        "connectdr:traffic.telephony = {'us-east-1': 55, 'us-west-2': 45}: each percentage must be 0..100 in steps of 10"
        in result.stderr
    )
    assert result.stdout == ""


def test_missing_project_file_is_one_clear_line(tmp_path):
    result = run_plan("--stacks-dir", str(tmp_path))
    assert result.returncode == 2
    assert result.stderr.strip() == f"error: {tmp_path}/Pulumi.yaml: no such project file"


def test_missing_stack_file_is_one_clear_line(project_copy):
    (project_copy / "Pulumi.secondary.yaml").unlink()
    result = run_plan("--stacks-dir", str(project_copy))
    assert result.returncode == 2
    assert result.stderr.strip() == f"error: {project_copy}/Pulumi.secondary.yaml: no such stack file"


def test_json_has_the_documented_shape_and_hides_secrets(plans):
    document = json.loads(to_json(plans))
    assert set(document["stacks"]) == {"primary", "secondary"}
    for stack in document["stacks"].values():
        assert set(stack) == {"config", "resources", "outputs"}
        for resource in stack["resources"]:
            assert set(resource) == {"urn", "type", "name", "parent", "inputs"}
    vpn = next(r for r in document["stacks"]["primary"]["resources"] if r["name"] == "network-vpn-a")
    assert vpn["inputs"]["tunnel1PresharedKey"] == "[secret]"
    assert vpn["inputs"]["tunnel1InsideCidr"] == "169.254.10.0/30"
    assert "offline.plan.placeholder.key" not in json.dumps(document)
    assert document["stacks"]["primary"]["config"]["connectdr:vpnPskUse1ConnATunnel1"] == "[secret]"
    secondary_config = document["stacks"]["secondary"]["config"]
    assert secondary_config["connectdr:network"]["mtu"] == 1500  # from Pulumi.yaml, merged as the engine does
    assert not any(key.startswith("connectdr:vpnPskUse1") for key in secondary_config)


def test_text_lists_every_component_and_counts_types(plans):
    text = to_text(plans)
    for component in ("ContactCenter", "GlobalResiliency", "GlobalTables", "NetworkLeg", "CustomerLookup"):
        assert f"connectdr:connect:{component}" in text or f":{component} " in text
    assert "Resources per type:" in text
    assert "   4  gcp:compute/vPNTunnel:VPNTunnel" in text
    assert "offline.plan.placeholder.key" not in text


def test_mermaid_links_the_stacks(plans):
    diagram = to_mermaid(plans)
    assert diagram.startswith("flowchart LR")
    assert 'subgraph secondary["secondary stack (us-west-2)"]' in diagram
    assert 'primary -. "namePrefix, instanceId' in diagram


def test_the_command_runs_end_to_end():
    result = run_plan("--stack", "secondary", "--format", "json")
    assert result.returncode == 0, result.stderr
    assert list(json.loads(result.stdout)["stacks"]) == ["secondary"]


def test_a_shared_setting_overridden_in_a_stack_file_is_refused_naming_both_places(project_copy):
    stack_file = project_copy / "Pulumi.secondary.yaml"
    stack_file.write_text(stack_file.read_text() + "  connectdr:failover:\n    cooldownMinutes: 0\n")
    result = run_plan("--stacks-dir", str(project_copy))
    assert result.returncode == 2
    assert (
        "connectdr:failover: set in both Pulumi.yaml and Pulumi.secondary.yaml; shared settings live only in "
        "Pulumi.yaml" in result.stderr
    )
    assert len(result.stderr.splitlines()) == 1
    assert result.stdout == ""


def test_the_program_itself_refuses_the_override_as_under_the_engine(project_copy):
    """The engine hands the program merged values; the program reads the stack file from the project root."""
    edit_config(
        project_copy / "Pulumi.primary.yaml",
        lambda config: config.update({"connectdr:recordings": {"glacierAfterDays": 30, "expireAfterDays": 90}}),
    )
    stack = read_offline_stack_file("primary", project_copy)
    assert stack.structured("recordings") == {"glacierAfterDays": 30, "expireAfterDays": 90}
    plan = Plan("primary")
    with pytest.raises(ConfigError) as raised:
        run_program(stack, plan=plan)
    assert [problem.key for problem in raised.value.problems] == ["connectdr:recordings"]
    assert plan.resources == []


def test_a_plain_text_key_of_the_other_leg_is_refused_and_never_printed(project_copy):
    stack_file = project_copy / "Pulumi.primary.yaml"
    stack_file.write_text(stack_file.read_text() + "  connectdr:vpnPskUsw2ConnATunnel1: Leaked.Key_9876\n")
    result = run_plan("--stacks-dir", str(project_copy), "--format", "json")
    assert result.returncode == 2
    assert "connectdr:vpnPskUsw2ConnATunnel1 = [secret]: the us-west-2 leg's pre-shared key belongs to" in result.stderr
    assert "Leaked.Key_9876" not in result.stdout + result.stderr


def test_an_empty_stack_file_is_one_line(project_copy):
    (project_copy / "Pulumi.secondary.yaml").write_text("")
    result = run_plan("--stacks-dir", str(project_copy))
    assert result.returncode == 2
    assert result.stderr.splitlines() == [
        "error: Pulumi.secondary.yaml: is empty: a stack file sets at least aws:region and connectdr:role; the primary "
        "also sets connectdr:contactCenter and connectdr:traffic, the secondary connectdr:primaryStack "
        "(README, Config)",
    ]


STACK_FILE_STATES = {
    "absent (config kept in Pulumi Cloud)": lambda path: path.unlink(),
    "empty (--config-file named another)": lambda path: path.write_text(""),
    "stale, with a copy of a shared key": lambda path: path.write_text(
        path.read_text() + "  connectdr:tags:\n    owner: someone-else\n    environment: test\n"
    ),
    "not YAML": lambda path: path.write_text("config: [\n"),
    "not UTF-8": lambda path: path.write_bytes(b"\xff\xfe"),
    "a directory": lambda path: (path.unlink(), path.mkdir()),
}


@pytest.mark.parametrize("change", STACK_FILE_STATES.values(), ids=STACK_FILE_STATES.keys())
def test_the_program_trusts_the_engine_s_config_when_the_stack_file_is_not_its_source(project_copy, change, caplog):
    """Under `--config-file` or Pulumi Cloud stack config the CLI ignores Pulumi.<stack>.yaml; the program must not
    refuse a valid config, nor crash, because of that file."""
    stack = read_offline_stack_file("primary", project_copy)
    change(project_copy / "Pulumi.primary.yaml")
    plan = run_program(stack, plan=Plan("primary"))
    assert len(plan.resources) > 100
    assert all("Traceback" not in record.getMessage() for record in caplog.records)


def test_the_program_says_when_it_leaves_a_stack_file_unchecked(project_copy, caplog):
    stack = read_offline_stack_file("primary", project_copy)
    (project_copy / "Pulumi.primary.yaml").write_text("config:\n  connectdr:role: secondary\n")
    run_program(stack, plan=Plan("primary"))
    assert (
        "Pulumi.primary.yaml is not the config this stack runs with (--config-file, or config kept in Pulumi Cloud); "
        "where its keys are set is not checked"
    ) in caplog.text


def test_the_program_still_says_a_stack_file_it_ran_from_is_empty(project_copy):
    (project_copy / "Pulumi.secondary.yaml").write_text("")
    stack = read_stack_file("secondary", project_copy)
    plan = Plan("secondary")
    with pytest.raises(ConfigError) as raised:
        run_program(stack, plan=plan)
    assert [problem.key for problem in raised.value.problems] == ["Pulumi.secondary.yaml"]
    assert plan.resources == []


@pytest.mark.parametrize(
    ("primary_file", "secondary_file", "wrong"),
    [
        ("Pulumi.secondary.yaml", "Pulumi.primary.yaml", ["primary", "secondary"]),
        ("Pulumi.secondary.yaml", "Pulumi.secondary.yaml", ["primary"]),
        ("Pulumi.primary.yaml", "Pulumi.primary.yaml", ["secondary"]),
    ],
)
def test_stacks_whose_role_is_not_their_name_are_refused_not_a_traceback(
    project_copy, primary_file, secondary_file, wrong
):
    """Two primaries would both deploy the source region; a primary stack run as secondary crashed the plan."""
    (project_copy / "Pulumi.primary.yaml").write_text((ROOT / primary_file).read_text())
    (project_copy / "Pulumi.secondary.yaml").write_text((ROOT / secondary_file).read_text())
    result = run_plan("--stacks-dir", str(project_copy))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    other = {"primary": "secondary", "secondary": "primary"}
    assert result.stderr.splitlines() == [
        "error: "
        + "; ".join(
            f"Pulumi.{name}.yaml: connectdr:role = '{other[name]}': the {name} stack must have role {name}: the "
            "primary stack deploys the source region, the secondary the replica with a StackReference to it "
            "(README, Config)"
            for name in wrong
        )
    ]


def test_stack_files_in_the_project_s_stack_config_dir_are_read_and_checked(project_copy):
    """`stackConfigDir` moves the stack files; the plan reads them there and the program checks them there."""
    project = project_copy / "Pulumi.yaml"
    project.write_text(project.read_text() + "stackConfigDir: stacks\n")
    (project_copy / "stacks").mkdir()
    for name in ("primary", "secondary"):
        (project_copy / f"Pulumi.{name}.yaml").rename(project_copy / "stacks" / f"Pulumi.{name}.yaml")
    assert validate_stack_file(read_offline_stack_file("secondary", project_copy)).stack.role == "secondary"
    edit_config(
        project_copy / "stacks" / "Pulumi.primary.yaml",
        lambda config: config.update({"connectdr:alerts": {"email": "someone@example.com"}}),
    )
    stack = read_offline_stack_file("primary", project_copy)
    with pytest.raises(ConfigError) as raised:
        run_program(stack, plan=Plan("primary"))
    assert [problem.key for problem in raised.value.problems] == ["connectdr:alerts"]


def test_planning_the_primary_needs_no_secondary_stack_file(project_copy):
    (project_copy / "Pulumi.secondary.yaml").write_text("config: [not, a, mapping\n")
    result = run_plan("--stack", "primary", "--stacks-dir", str(project_copy))
    assert result.returncode == 0, result.stderr
    assert run_plan("--stacks-dir", str(project_copy)).returncode == 2
