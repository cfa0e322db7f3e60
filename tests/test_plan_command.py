"""`python -m deploy plan`: every format, secrets hidden, bad config a clean exit with nothing declared."""

import json
import shutil
import subprocess
import sys

import pytest
from conftest import ROOT, structured

from config import ConfigError
from deploy.offline import Plan, run_program
from deploy.render import to_json, to_mermaid, to_text


def run_plan(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "deploy", "plan", *args], cwd=ROOT, capture_output=True, text=True)


def test_bad_config_declares_nothing(stack_files):
    network = structured(stack_files["primary"], "network")
    network["legs"]["us-west-2"]["vpcCidr"] = network["legs"]["us-east-1"]["vpcCidr"]
    plan = Plan("primary")
    with pytest.raises(ConfigError):
        run_program(stack_files["primary"].with_values(network=network), plan=plan)
    assert plan.resources == []


def test_bad_config_exits_2_with_one_line_per_problem_and_no_traceback(tmp_path):
    for name in ("primary", "secondary"):
        shutil.copy(ROOT / f"Pulumi.{name}.yaml", tmp_path)
    stack_file = tmp_path / "Pulumi.primary.yaml"
    stack_file.write_text(
        stack_file.read_text().replace("us-east-1: 50\n      us-west-2: 50", "us-east-1: 55\n      us-west-2: 45", 1)
    )
    result = run_plan("--stacks-dir", str(tmp_path))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert (
        "connectdr:traffic.telephony = {'us-east-1': 55, 'us-west-2': 45}: each percentage must be 0..100 in steps of 10"
        in result.stderr
    )
    assert result.stdout == ""


def test_missing_stack_file_is_one_clear_line(tmp_path):
    result = run_plan("--stacks-dir", str(tmp_path))
    assert result.returncode == 2
    assert result.stderr.strip() == f"error: {tmp_path}/Pulumi.primary.yaml: no such stack file"


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


def test_stack_files_that_disagree_on_shared_sections_are_refused(tmp_path):
    for name in ("primary", "secondary"):
        shutil.copy(ROOT / f"Pulumi.{name}.yaml", tmp_path)
    stack_file = tmp_path / "Pulumi.secondary.yaml"
    stack_file.write_text(stack_file.read_text().replace("vpcCidr: 10.120.0.0/16", "vpcCidr: 10.130.0.0/16"))
    result = run_plan("--stacks-dir", str(tmp_path))
    assert result.returncode == 2
    assert "connectdr:network differs between Pulumi.primary.yaml and Pulumi.secondary.yaml" in result.stderr
