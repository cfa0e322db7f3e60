"""Where config lives: shared settings once in Pulumi.yaml, each stack's own in its stack file, read and merged as
the Pulumi CLI and engine do; misplaced keys, empty files and ESC imports are named in words."""

import json
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import ROOT, edit_config
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from pulumi.automation import StackSettings

from config import ConfigError, ConfigSourceError, read_config_files
from config.cli_yaml import load_cli_yaml
from config.loader import TOP_LEVEL_KEYS
from config.placement import SHARED_KEYS, STACK_KEYS
from config.project_schema import ATTRIBUTES as DECLARATION_ATTRIBUTES
from config.project_schema import has_type
from config.sources import read_project
from deploy.stack_files import (
    StackFileError,
    offline_secret,
    read_offline_stack_file,
    read_stack_file,
    stack_names,
    validate_stack_file,
)


def problems_of(stack_name: str, root: Any) -> list[str]:
    with pytest.raises(ConfigError) as raised:
        validate_stack_file(read_offline_stack_file(stack_name, root))
    return [str(problem) for problem in raised.value.problems]


def test_the_stack_files_hold_no_shared_setting_and_the_project_holds_them_all():
    for name in ("primary", "secondary"):
        stack = read_config_files(ROOT, name).stack
        assert stack is not None
        assert {key.removeprefix("connectdr:") for key in stack.config} & set(SHARED_KEYS) == set()
    assert {f"connectdr:{key}" for key in SHARED_KEYS} <= set(read_project(ROOT).config)


def test_every_top_level_key_has_one_home():
    assert sorted(SHARED_KEYS + STACK_KEYS) == sorted(TOP_LEVEL_KEYS)


def test_pulumi_yaml_config_follows_the_cli_s_project_schema():
    """Mappings in a project's `config:` are declarations (the CLI's project.json): values go under `value:`."""
    document = yaml.safe_load((ROOT / "Pulumi.yaml").read_text())
    assert document["name"] == "connectdr"
    for key, entry in document["config"].items():
        assert key.startswith("connectdr:"), key
        assert isinstance(entry, dict) and set(entry) <= DECLARATION_ATTRIBUTES, key
        assert "value" in entry and "default" not in entry and not entry.get("secret"), key


def test_a_stack_value_replaces_the_project_value_whole(project_copy):
    edit_config(project_copy / "Pulumi.secondary.yaml", lambda config: config.update({"connectdr:tags": {"a": "b"}}))
    stack = read_stack_file("secondary", project_copy)
    assert stack.structured("tags") == {"a": "b"}
    assert stack.structured("network") == read_project(ROOT).config["connectdr:network"]
    assert stack.role == "secondary"


def test_keys_without_a_namespace_take_the_project_s_as_the_cli_does(project_copy):
    def unqualify(config: dict[str, Any]) -> None:
        for key in [key for key in config if key.startswith("connectdr:")]:
            config[key.removeprefix("connectdr:")] = config.pop(key)

    edit_config(project_copy / "Pulumi.yaml", unqualify)
    edit_config(project_copy / "Pulumi.primary.yaml", unqualify)
    stack = read_offline_stack_file("primary", project_copy)
    assert stack.structured("alerts") == {"email": "contact-center-oncall@example.com"}
    assert stack.role == "primary"
    assert validate_stack_file(stack).stack.alerts.email == "contact-center-oncall@example.com"


def test_a_shared_key_copied_into_a_stack_file_names_both_places(project_copy):
    """The copy is identical, so the merged values cannot show it: only the files do."""
    network = read_project(ROOT).config["connectdr:network"]
    edit_config(project_copy / "Pulumi.secondary.yaml", lambda config: config.update({"connectdr:network": network}))
    assert problems_of("secondary", project_copy) == [
        "connectdr:network: set in both Pulumi.yaml and Pulumi.secondary.yaml; shared settings live only in "
        "Pulumi.yaml (the stack's value would replace the shared one for this stack alone): remove it with "
        "`pulumi config rm connectdr:network --stack secondary`"
    ]


def test_a_shared_key_only_in_a_stack_file_is_to_be_moved(project_copy):
    def move(config: dict[str, Any]) -> None:
        config["connectdr:alerts"] = project["connectdr:alerts"]["value"]

    project = yaml.safe_load((project_copy / "Pulumi.yaml").read_text())["config"]
    edit_config(project_copy / "Pulumi.yaml", lambda config: config.pop("connectdr:alerts"))
    edit_config(project_copy / "Pulumi.primary.yaml", move)
    assert problems_of("primary", project_copy) == [
        "connectdr:alerts: shared by both stacks: move it from Pulumi.primary.yaml into the `config:` block of "
        "Pulumi.yaml"
    ]


def test_a_stack_s_own_keys_in_pulumi_yaml_are_refused(project_copy):
    edit_config(
        project_copy / "Pulumi.yaml",
        lambda config: config.update({"connectdr:role": {"value": "primary"}, "aws:region": {"value": "us-east-1"}}),
    )
    assert problems_of("primary", project_copy) == [
        "connectdr:role: set in Pulumi.yaml, but it is a stack's own setting: move it to Pulumi.<stack>.yaml",
        "aws:region: set in Pulumi.yaml, but each stack deploys to its own region: set it in each stack file",
    ]


def test_the_primary_s_keys_on_the_secondary_are_refused(project_copy):
    traffic = yaml.safe_load((ROOT / "Pulumi.primary.yaml").read_text())["config"]["connectdr:traffic"]
    edit_config(project_copy / "Pulumi.secondary.yaml", lambda config: config.update({"connectdr:traffic": traffic}))
    assert problems_of("secondary", project_copy) == [
        "connectdr:traffic: only the primary stack uses it; it has no effect on the secondary stack: remove it from "
        "this stack's config (`pulumi config rm connectdr:traffic`)"
    ]


@pytest.mark.parametrize("content", ["", "# nothing yet\n", "encryptionsalt: v1:abc\n", "config: {}\n"])
def test_an_empty_stack_file_says_it_is_empty(project_copy, content):
    (project_copy / "Pulumi.primary.yaml").write_text(content)
    assert problems_of("primary", project_copy) == [
        "Pulumi.primary.yaml: is empty: a stack file sets at least aws:region and connectdr:role; the primary also "
        "sets connectdr:contactCenter and connectdr:traffic, the secondary connectdr:primaryStack (README, Config)"
    ]


def test_esc_environments_are_refused_offline_but_read_for_the_cli(project_copy):
    path = project_copy / "Pulumi.secondary.yaml"
    path.write_text(path.read_text() + "environment:\n  - acme/contact-center-prod\n")
    assert read_stack_file("secondary", project_copy).environments == ("acme/contact-center-prod",)
    with pytest.raises(StackFileError) as raised:
        read_offline_stack_file("secondary", project_copy)
    assert str(raised.value) == (
        f"{path}: imports Pulumi ESC environments (acme/contact-center-prod), which the offline plan cannot open; "
        "run `pulumi preview --stack secondary` (the CLI resolves them), or plan a copy of the project without the "
        "import (--stacks-dir)"
    )


def test_encrypted_values_become_secret_placeholders(project_copy):
    edit_config(
        project_copy / "Pulumi.primary.yaml",
        lambda config: config.update({"connectdr:vpnPskUse1ConnATunnel1": {"secure": "v1:c2VjcmV0"}}),
    )
    stack = read_stack_file("primary", project_copy)
    assert stack.values["connectdr:vpnPskUse1ConnATunnel1"] == offline_secret("connectdr:vpnPskUse1ConnATunnel1")
    assert "connectdr:vpnPskUse1ConnATunnel1" in stack.secret_keys
    assert "v1:c2VjcmV0" not in str(stack.values)


@pytest.mark.parametrize(
    ("entry", "reason"),
    [
        (
            {"connectdr:regions": {"source": "us-east-1", "replica": "us-west-2"}},
            "config connectdr:regions: a mapping here is a declaration, and replica, source is not one of its "
            "attributes (default, description, items, secret, type, value); put a structured value under `value:`",
        ),
        (
            {"connectdr:alerts": {"value": {"email": "a@b.co"}, "default": {"email": "c@d.co"}}},
            "config connectdr:alerts: cannot have both `default` and `value`",
        ),
        ({"gcp:project": {"default": "acme"}}, "config gcp:project: keys of another namespace take only `value:`"),
        ({"connectdr:ratio": 0.5}, "config connectdr:ratio: a number with a fraction must go under `value:`"),
        (
            {"connectdr:alerts": None},
            "config connectdr:alerts: has no value; write one, or a declaration with `value:`",
        ),
        ({"gcp:project": {"value": None}}, "config gcp:project: keys of another namespace take only `value:`"),
        (
            {"connectdr:role": {"type": "text"}},
            "config connectdr:role: `type` must be one of string, integer, boolean, array, object",
        ),
        (
            {"connectdr:ids": {"type": "array"}},
            "config connectdr:ids: an array declares the type of its items (`items: {type: string}`)",
        ),
        (
            {"connectdr:size": {"type": "integer", "default": "big"}},
            "config connectdr:size: its default is not of type integer",
        ),
    ],
)
def test_project_config_the_cli_would_refuse_is_named(project_copy, entry, reason):
    edit_config(project_copy / "Pulumi.yaml", lambda config: config.update(entry))
    with pytest.raises(ConfigSourceError) as raised:
        read_config_files(project_copy, "primary")
    assert raised.value.reason == reason
    with pytest.raises(StackFileError, match=re.escape(f"{project_copy / 'Pulumi.yaml'}: {reason}")):
        read_stack_file("primary", project_copy)


def test_stack_names_are_the_project_s_stack_files(project_copy):
    assert stack_names(project_copy) == ["primary", "secondary"]


def test_the_sdk_stack_settings_reader_would_drop_structured_values():
    """Why config.sources reads stack files itself: StackSettings keeps only text and encrypted values."""
    config = yaml.safe_load((ROOT / "Pulumi.primary.yaml").read_text())["config"]
    settings = StackSettings._deserialize({"config": config})
    assert settings.config is not None
    assert "connectdr:traffic" not in settings.config
    with pytest.raises(TypeError):
        StackSettings._deserialize({"config": {"connectdr:mtu": 1500}})


def test_the_readme_config_table_says_where_each_key_lives():
    readme = (ROOT / "README.md").read_text()
    rows = dict(re.findall(r"^\| `(\w+)` \| (project|stack)\b", readme, re.MULTILINE))
    assert {key for key, where in rows.items() if where == "project"} == set(SHARED_KEYS)
    assert {"role", "primaryStack", "contactCenter", "traffic"} <= {k for k, w in rows.items() if w == "stack"}


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("yes", "yes"),
        ("on", "on"),
        ("Off", "Off"),
        ("true", True),
        ("FALSE", False),
        ("1:30", "1:30"),
        ("=", "="),
        ("2024-01-01", "2024-01-01"),
        ("1e3", 1000.0),
        ("0o17", 15),
        ("017", 15),
        ("0x1F", 31),
        ("1_000", 1000),
        ("~", None),
    ],
)
def test_scalars_are_read_as_the_cli_s_yaml_v3_reads_them(text, value):
    """PyYAML reads YAML 1.1 (`yes` is true, `1:30` is 90, dates are date objects); the CLI reads YAML 1.2."""
    assert load_cli_yaml(f"key: {text}\n") == {"key": value}


def test_a_tag_written_yes_is_the_text_yes_as_the_engine_passes_it(project_copy):
    path = project_copy / "Pulumi.yaml"
    path.write_text(path.read_text().replace("cost-center: cc-4410", "cost-center: cc-4410\n      backup: yes"))
    stack = read_offline_stack_file("primary", project_copy)
    assert stack.structured("tags")["backup"] == "yes"
    assert validate_stack_file(stack).stack.tags["backup"] == "yes"


def test_an_unquoted_date_is_read_as_text_not_a_crash(project_copy):
    path = project_copy / "Pulumi.yaml"
    path.write_text(path.read_text().replace("cost-center: cc-4410", "cost-center: cc-4410\n      created: 2024-01-01"))
    assert read_stack_file("primary", project_copy).structured("tags")["created"] == "2024-01-01"


@pytest.mark.parametrize(
    ("file", "addition", "reason"),
    [
        (
            "Pulumi.secondary.yaml",
            "  connectdr:role: primary\n",
            "line 10: key 'connectdr:role' is set twice (first on line 8)",
        ),
        (
            "Pulumi.yaml",
            "  connectdr:alerts:\n    value: {email: a@b.co}\n",
            "line 75: key 'connectdr:alerts' is set twice (first on line 65)",
        ),
        ("Pulumi.secondary.yaml", "  1: one\n", "line 10: key 1 is not text; quote it"),
        ("Pulumi.secondary.yaml", "  connectdr:tags: {~: x}\n", "line 10: key ~ is not text; quote it"),
    ],
)
def test_keys_the_cli_refuses_are_refused_naming_the_line(project_copy, file, addition, reason):
    """The CLI's YAML reader refuses a key set twice in one mapping (PyYAML keeps the last) and non-text keys."""
    path = project_copy / file
    path.write_text(path.read_text() + addition)
    with pytest.raises(StackFileError) as raised:
        read_stack_file("secondary", project_copy)
    assert str(raised.value) == f"{path}: {reason}"


@pytest.mark.parametrize(
    ("damage", "reason"),
    [
        (lambda path: path.write_bytes(b"\xff\xfe\x00config"), "not UTF-8 text"),
        (lambda path: (path.unlink(), path.mkdir()), "cannot be read (Is a directory)"),
        (
            lambda path: path.write_text("config:\n  connectdr:traffic: " + "[" * 1500 + "]" * 1500 + "\n"),
            "nested too deeply to read",
        ),
        (
            lambda path: path.write_text("config: [\n"),
            "not valid YAML (line 2, column 1: while parsing a flow node expected the node content, but found '<stream end>')",
        ),
    ],
)
def test_a_stack_file_that_cannot_be_read_is_one_clear_line(project_copy, damage, reason):
    path = project_copy / "Pulumi.secondary.yaml"
    damage(path)
    with pytest.raises(StackFileError) as raised:
        read_stack_file("secondary", project_copy)
    assert str(raised.value) == f"{path}: {reason}"


def test_an_unreadable_stack_file_exits_2_without_a_traceback(project_copy):
    (project_copy / "Pulumi.secondary.yaml").write_bytes(b"\xff\xfe")
    result = subprocess.run(
        [sys.executable, "-m", "deploy", "plan", "--stacks-dir", str(project_copy)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 2
    assert result.stderr == f"error: {project_copy}/Pulumi.secondary.yaml: not UTF-8 text\n"


def test_a_stack_file_without_read_permission_is_named(project_copy, monkeypatch):
    """(Tests may run as root, which reads any file: the denial is simulated.)"""
    path = project_copy / "Pulumi.secondary.yaml"
    read_bytes = Path.read_bytes

    def denied(self: Path) -> bytes:
        if self == path:
            raise PermissionError(13, "Permission denied", str(self))
        return read_bytes(self)

    monkeypatch.setattr(Path, "read_bytes", denied)
    with pytest.raises(StackFileError, match=re.escape(f"{path}: cannot be read (Permission denied)")):
        read_stack_file("secondary", project_copy)


def test_a_byte_order_mark_is_read_past_as_the_cli_does(project_copy):
    path = project_copy / "Pulumi.secondary.yaml"
    path.write_bytes(b"\xef\xbb\xbf" + path.read_bytes())
    assert read_stack_file("secondary", project_copy).role == "secondary"


def test_a_declaration_without_a_value_is_a_schema_not_a_setting(project_copy):
    """Pulumi.yaml may declare a stack's own key (type, description) without setting it: that is no misplaced key."""
    declaration = {"type": "string", "description": "primary or secondary"}
    edit_config(project_copy / "Pulumi.yaml", lambda config: config.update({"connectdr:role": declaration}))
    assert "connectdr:role" not in read_project(project_copy).config
    for name in ("primary", "secondary"):
        assert validate_stack_file(read_offline_stack_file(name, project_copy)).stack.role == name


@pytest.mark.parametrize("declaration", [{"type": "string"}, {"description": "which stack"}, {"value": None}])
def test_a_key_declared_without_a_value_must_be_set_by_each_stack(project_copy, declaration):
    edit_config(project_copy / "Pulumi.yaml", lambda config: config.update({"connectdr:primaryStack": declaration}))
    assert read_stack_file("secondary", project_copy).values["connectdr:primaryStack"] == "primary"
    with pytest.raises(StackFileError) as raised:
        read_stack_file("primary", project_copy)
    assert str(raised.value) == (
        f"{project_copy}/Pulumi.primary.yaml: does not set connectdr:primaryStack, which Pulumi.yaml declares with no "
        "value for every stack"
    )


@pytest.mark.parametrize(
    ("declaration", "reason"),
    [
        ({"type": "integer"}, "connectdr:role must be of type integer (Pulumi.yaml declares it so)"),
        ({"type": "object"}, "connectdr:role must be of type object (Pulumi.yaml declares it so)"),
        (
            {"secret": True},
            "connectdr:role must be a secret (Pulumi.yaml declares it so): `pulumi config set --secret`",
        ),
    ],
)
def test_a_stack_value_that_breaks_the_project_s_declaration_is_refused_as_the_cli_does(
    project_copy, declaration, reason
):
    edit_config(project_copy / "Pulumi.yaml", lambda config: config.update({"connectdr:role": declaration}))
    with pytest.raises(StackFileError) as raised:
        read_stack_file("primary", project_copy)
    assert str(raised.value) == f"{project_copy}/Pulumi.primary.yaml: {reason}"


@pytest.mark.parametrize(
    ("declared_type", "items", "content", "expected"),
    [
        ("integer", None, "5", True),
        ("integer", None, "5.5", False),
        ("integer", None, True, False),
        ("integer", None, 4.0, True),
        ("boolean", None, "true", True),
        ("boolean", None, "yes", False),
        ("string", None, {"a": 1}, False),
        ("object", None, {"a": 1}, True),
        ("array", {"type": "integer"}, [1, "2", 3.0], True),
        ("array", {"type": "array", "items": {"type": "string"}}, [["a"], [1]], False),
    ],
)
def test_types_are_checked_as_the_cli_s_validate_config_value(declared_type, items, content, expected):
    assert has_type(declared_type, items, content) is expected


def test_a_key_with_no_value_is_passed_as_empty_text_as_the_cli_does(project_copy):
    edit_config(project_copy / "Pulumi.secondary.yaml", lambda config: config.update({"connectdr:primaryStack": None}))
    stack = read_offline_stack_file("secondary", project_copy)
    assert stack.values["connectdr:primaryStack"] == ""
    with pytest.raises(ConfigError) as raised:
        validate_stack_file(stack)
    assert [problem.key for problem in raised.value.problems] == ["connectdr:primaryStack"]


def test_only_a_secure_text_is_an_encrypted_value(project_copy):
    """The CLI's isSecureValue: `{secure: 5}` is a plain mapping, so a key stored that way is not a secret."""
    key = "connectdr:vpnPskUsw2ConnATunnel1"
    edit_config(project_copy / "Pulumi.secondary.yaml", lambda config: config.update({key: {"secure": 12345678}}))
    stack = read_offline_stack_file("secondary", project_copy)
    assert key not in stack.secret_keys
    assert json.loads(stack.values[key]) == {"secure": 12345678}
    with pytest.raises(ConfigError) as raised:
        validate_stack_file(stack)
    assert [str(problem) for problem in raised.value.problems] == [
        f"{key} = [secret]: stored in plain text: choose a new key and set it with `pulumi config set --secret {key} <key>`"
    ]


IN_PROJECT = (
    "a secret in Pulumi.yaml, which is committed and read by every stack and so holds no secrets: remove it there, "
    "choose a new key and set it as a secret of the stack that uses it "
    "(`pulumi config set --secret {} <key> --stack <stack>`)"
)


@pytest.mark.parametrize("stack_name", ["primary", "secondary"])
@pytest.mark.parametrize(
    ("key", "entry"),
    [
        ("connectdr:vpnPskUsw2ConnATunnel1", {"value": "Leaked.Key_9876"}),
        ("vpnPskUse1ConnBTunnel2", "Leaked.Key_9876"),
        ("connectdr:vpnPskUsw2ConnBTunnel1", {"value": {"secure": "v1:Y2lwaGVy"}}),
        ("gcp:credentials", {"value": "Leaked.Key_9876"}),
    ],
)
def test_a_secret_in_pulumi_yaml_is_named_there_on_every_stack(project_copy, stack_name, key, entry):
    """Not 'remove it here with `pulumi config rm`', which only edits the stack file, and never the value."""
    edit_config(project_copy / "Pulumi.yaml", lambda config: config.update({key: entry}))
    full = key if ":" in key else f"connectdr:{key}"
    with pytest.raises(ConfigError) as raised:
        validate_stack_file(read_offline_stack_file(stack_name, project_copy))
    assert [str(problem) for problem in raised.value.problems] == [f"{full}: {IN_PROJECT.format(full)}"]
    assert "Leaked.Key_9876" not in str(raised.value)


def test_a_secret_in_pulumi_yaml_is_named_even_when_the_stack_sets_its_own(project_copy):
    """The stack's secret replaces the project's value for the engine; the plain-text copy is still committed."""
    key = "connectdr:vpnPskUse1ConnATunnel1"
    edit_config(project_copy / "Pulumi.yaml", lambda config: config.update({key: {"value": "Leaked.Key_9876"}}))
    edit_config(project_copy / "Pulumi.primary.yaml", lambda config: config.update({key: {"secure": "v1:Y2lwaGVy"}}))
    with pytest.raises(ConfigError) as raised:
        validate_stack_file(read_offline_stack_file("primary", project_copy))
    assert [str(problem) for problem in raised.value.problems] == [f"{key}: {IN_PROJECT.format(key)}"]


SHARED_REQUIRED = "required: shared by both stacks, it is set under `value:` in the `config:` block of Pulumi.yaml"


@pytest.mark.parametrize("block", ["", "config:\n", "config: {}\n"])
def test_a_project_without_shared_settings_says_where_they_belong(project_copy, block):
    path = project_copy / "Pulumi.yaml"
    path.write_text(path.read_text().split("# Settings both stacks share")[0] + block)
    assert problems_of("secondary", project_copy) == [
        f"connectdr:{key}: {SHARED_REQUIRED}" for key in ("regions", "network", "alerts", "tags")
    ]


def test_a_stack_without_its_role_says_how_to_set_it(project_copy):
    edit_config(project_copy / "Pulumi.secondary.yaml", lambda config: config.pop("connectdr:role"))
    assert problems_of("secondary", project_copy) == [
        "connectdr:role: required: set it in this stack's file (`pulumi config set connectdr:role <value>`)"
    ]


@pytest.mark.parametrize(
    ("file", "entry", "reason"),
    [
        (
            "Pulumi.secondary.yaml",
            {"connectdr:a:b": 1},
            "config key 'connectdr:a:b' is not of the form <namespace>:<name>",
        ),
        ("Pulumi.yaml", {"connectdr:a:b": 1}, "config key 'connectdr:a:b' is not of the form <namespace>:<name>"),
        (
            "Pulumi.secondary.yaml",
            {"role": "primary"},
            "connectdr:role is set twice, as 'connectdr:role' and as 'role'",
        ),
        (
            "Pulumi.yaml",
            {"alerts": {"value": {}}},
            "connectdr:alerts is set twice, as 'connectdr:alerts' and as 'alerts'",
        ),
    ],
)
def test_config_keys_the_cli_cannot_parse_or_would_pick_at_random_are_refused(project_copy, file, entry, reason):
    edit_config(project_copy / file, lambda config: config.update(entry))
    with pytest.raises(StackFileError) as raised:
        read_stack_file("secondary", project_copy)
    assert str(raised.value) == f"{project_copy / file}: {reason}"


@pytest.mark.parametrize(
    ("addition", "reason"),
    [
        ("stackConfigDir: 5\n", "`stackConfigDir` must be a folder name"),
        (
            "stackConfigDir: stacks\nconfig: stacks\n",
            "`config` names the stack files' folder and so does `stackConfigDir`",
        ),
    ],
)
def test_a_stack_folder_the_cli_refuses_is_named(project_copy, addition, reason):
    path = project_copy / "Pulumi.yaml"
    path.write_text(path.read_text().split("# Settings both stacks share")[0] + addition)
    with pytest.raises(StackFileError) as raised:
        stack_names(project_copy)
    assert str(raised.value) == f"{path}: {reason}"


ODD_KEYS = [
    "connectdr:role",
    "aws:region",
    "role",
    "connectdr:tags",
    "connectdr:vpnPskUsw2ConnATunnel1",
    "1",
    "on",
    "~",
]
ODD_KEYS += ["'a:b:c'", "connectdr:config:role", "<<", "connectdr:network", "2024-01-01", "? [1]\n   "]
ODD_VALUES = [
    "yes",
    "no",
    "~",
    "",
    "2024-01-01",
    "2024-01-01T10:00:00Z",
    "1:30",
    "=",
    "0o17",
    "09",
    "!!binary aGVsbG8=",
]
ODD_VALUES += ["!!timestamp 2024-01-01", "!!set {a, b}", "!!omap [{a: 1}]", "!!str 5", "!foo bar", "&a x", "*a", "*b"]
ODD_VALUES += ["[1, {a: b}]", "{secure: v1:x}", "{secure: 5}", ".inf", "1e400", "99999999999999999999999", "'quoted'"]
ODD_VALUES += ["{value: x}", "{value: ~}", "{type: array}", "{default: 1, value: 2}", "{secret: yes}", "[", "}", "- a"]
ODD_LINE = st.tuples(st.sampled_from(ODD_KEYS), st.sampled_from(ODD_VALUES)).map(lambda kv: f"  {kv[0]}: {kv[1]}\n")


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(file=st.sampled_from(["Pulumi.yaml", "Pulumi.secondary.yaml"]), lines=st.lists(ODD_LINE, max_size=4))
def test_yaml_oddities_in_either_file_are_an_error_in_words_never_a_crash(project_copy, file, lines):
    """Nulls, text keys that look like numbers or booleans, dates, tags, anchors, duplicates, broken syntax."""
    original = (ROOT / file).read_text()
    (project_copy / file).write_text(original + "".join(lines))
    try:
        validate_stack_file(read_offline_stack_file("secondary", project_copy))
    except StackFileError as error:  # naming the file, or the stack file a declaration in Pulumi.yaml asks of
        assert str(error).startswith((f"{project_copy / file}: ", f"{project_copy / 'Pulumi.secondary.yaml'}: ")), error
    except ConfigError as error:
        assert all(problem.rule for problem in error.problems)
    finally:
        (project_copy / file).write_text(original)


@pytest.mark.parametrize(
    ("text", "value"),
    [
        ("!!binary aGVsbG8=", "hello"),
        ("!!timestamp 2024-01-01", "2024-01-01"),
        ("!!set {a, b}", {"a": None, "b": None}),
    ],
)
def test_explicit_yaml_tags_give_plain_data(text, value):
    """PyYAML builds bytes, dates and sets for these, which no config value can be (and JSON cannot carry)."""
    assert load_cli_yaml(f"key: {text}\n") == {"key": value}


def test_structured_values_reach_the_program_as_the_engine_writes_them_keys_in_order():
    """The CLI marshals project and stack objects with Go's encoding/json, which orders map keys."""
    stack = read_stack_file("primary")
    tags = read_project(ROOT).config["connectdr:tags"]
    assert list(tags) != sorted(tags)
    assert stack.values["connectdr:tags"] == json.dumps(tags, sort_keys=True)


def test_a_shared_section_set_again_in_a_stack_file_is_one_line_not_its_cascade(project_copy):
    """`pulumi config set --path connectdr:network.mtu 1460` writes a one-key network into the stack file: the fix
    is to remove it, so the partial network's missing keys and the now unnamed tunnel keys are not listed too."""

    def override(config: dict[str, Any]) -> None:
        config["connectdr:network"] = {"mtu": 1460}
        config["connectdr:vpnPskUse1ConnATunnel1"] = {"secure": "v1:Y2lwaGVy"}

    edit_config(project_copy / "Pulumi.primary.yaml", override)
    assert problems_of("primary", project_copy) == [
        "connectdr:network: set in both Pulumi.yaml and Pulumi.primary.yaml; shared settings live only in Pulumi.yaml "
        "(the stack's value would replace the shared one for this stack alone): remove it with "
        "`pulumi config rm connectdr:network --stack primary`"
    ]


def test_the_cli_version_named_is_the_first_that_reads_value_declarations():
    """`value:` in a project config declaration arrived in Pulumi 3.45.0 (project.json; 3.44 required `type` and
    refused any other attribute), and Pulumi.yaml uses it for every shared key."""
    assert all("value" in entry for entry in yaml.safe_load((ROOT / "Pulumi.yaml").read_text())["config"].values())
    readme = (ROOT / "README.md").read_text()
    assert "Pulumi CLI 3.45 or later" in readme and "3.44 or later" not in readme
    assert "Pulumi CLI 3.45+" in (ROOT / "Pulumi.yaml").read_text()
