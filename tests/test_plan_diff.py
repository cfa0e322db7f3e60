"""`plan --format json` diffs cleanly: the same plan prints the same bytes, Lambda code as content hashes;
and the offline runner still finds the few SDK names beyond the public mocks API it relies on."""

import importlib
import json
import os
import random
import subprocess
import sys
from dataclasses import replace

import pulumi
from conftest import ROOT

from deploy.offline import SDK_NAMES_USED
from deploy.plan import StackPlan
from deploy.render import asset_view, to_json, to_mermaid, to_text


def shuffled(stack: StackPlan, seed: int) -> StackPlan:
    resources = list(stack.plan.resources)
    random.Random(seed).shuffle(resources)
    return StackPlan(stack.file, replace(stack.plan, resources=resources))


def test_registration_order_does_not_change_the_rendered_plan(plans):
    for render in (to_json, to_text, to_mermaid):
        first = render({name: shuffled(stack, 1) for name, stack in plans.items()})
        second = render({name: shuffled(stack, 2) for name, stack in plans.items()})
        assert first == second, render.__name__


def test_lambda_code_shows_as_a_content_hash_and_its_files(plans):
    document = to_json(plans)
    assert "object at 0x" not in document
    functions = [
        resource
        for resource in json.loads(document)["stacks"]["primary"]["resources"]
        if resource["type"] == "aws:lambda/function:Function"
    ]
    controller = next(f for f in functions if "failover" in f["name"])
    code = controller["inputs"]["code"]["archive"]
    assert "handler.py" in code["files"] and len(code["sha256"]) == 64


def test_the_hash_follows_the_content_not_the_path(tmp_path):
    first, second = tmp_path / "a", tmp_path / "b"
    for folder in (first, second):
        folder.mkdir()
        (folder / "handler.py").write_text("def handler(event, context):\n    return 1\n")
    view = asset_view(pulumi.AssetArchive({"handler.py": pulumi.FileAsset(str(first / "handler.py"))}))
    same = asset_view(pulumi.AssetArchive({"handler.py": pulumi.FileAsset(str(second / "handler.py"))}))
    assert view == same
    (second / "handler.py").write_text("def handler(event, context):\n    return 2\n")
    changed = asset_view(pulumi.AssetArchive({"handler.py": pulumi.FileAsset(str(second / "handler.py"))}))
    assert changed["archive"]["sha256"] != view["archive"]["sha256"]
    assert asset_view(pulumi.FileArchive(str(first))) == {"archive": view["archive"]}


def test_the_sdk_still_has_what_the_offline_runner_uses():
    """Fails loudly when an SDK upgrade moves a name the offline plan needs beyond the public mocks API."""
    for dotted, attributes in SDK_NAMES_USED.items():
        module_name, class_name = dotted.rsplit(".", 1)
        cls = getattr(importlib.import_module(module_name), class_name)
        for attribute in attributes:
            assert hasattr(cls, attribute) or attribute in getattr(cls, "__annotations__", {}), f"{dotted}.{attribute}"
    for name in ("reset_options", "set_mocks", "set_all_config", "test", "get_root_resource"):
        assert callable(getattr(pulumi.runtime, name)), name


def test_the_plan_is_the_same_bytes_in_fresh_processes_with_other_hash_seeds(tmp_path):
    """What CI compares: two runs of `plan --format json`, in other processes, folders and hash seeds."""
    printed = []
    for seed in ("1", "4242"):
        result = subprocess.run(
            [sys.executable, "-m", "deploy", "plan", "--format", "json"],
            cwd=ROOT,
            env={**os.environ, "PYTHONHASHSEED": seed, "TMPDIR": str(tmp_path)},
            capture_output=True,
            timeout=300,
            check=True,
        )
        printed.append(result.stdout)
    assert printed[0] == printed[1]
    assert str(ROOT).encode() not in printed[0] and str(tmp_path).encode() not in printed[0]
