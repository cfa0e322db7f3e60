"""Which stacks the driver works on: the stack files' roles, flags, fully qualified names."""

import pytest

from deploy.errors import DriverError, ExitCode
from deploy.stack_pair import StackPair, discover_pair, file_stem, resolve


def stack_file(folder, name: str, role: str, primary: str | None = None) -> None:
    lines = ["config:", "  aws:region: us-east-1", f"  connectdr:role: {role}"]
    if primary:
        lines.append(f"  connectdr:primaryStack: {primary}")
    (folder / f"Pulumi.{name}.yaml").write_text("\n".join(lines) + "\n")


def test_the_repository_pair():
    assert discover_pair() == StackPair("primary", "secondary")


def test_two_pairs_need_the_primary_named_and_the_secondary_follows_it(tmp_path):
    stack_file(tmp_path, "prod-east", "primary")
    stack_file(tmp_path, "prod-west", "secondary", "prod-east")
    stack_file(tmp_path, "staging-east", "primary")
    stack_file(tmp_path, "staging-west", "secondary", "acme/connectdr/staging-east")
    (tmp_path / "Pulumi.yaml").write_text("name: connectdr\n")
    with pytest.raises(
        DriverError, match=r"several stack files have connectdr:role primary \(prod-east, staging-east\)"
    ):
        discover_pair(tmp_path)
    pair = discover_pair(tmp_path, primary="acme/connectdr/staging-east")
    assert pair == StackPair("acme/connectdr/staging-east", "staging-west")
    assert pair.in_order("destroy") == ("staging-west", "acme/connectdr/staging-east")


def test_flags_win_and_nonsense_is_refused(tmp_path):
    with pytest.raises(DriverError, match="no stack file has connectdr:role primary") as raised:
        discover_pair(tmp_path)
    assert raised.value.exit_code == ExitCode.USAGE
    assert discover_pair(tmp_path, "org/p/a", "org/p/b") == StackPair("org/p/a", "org/p/b")
    with pytest.raises(DriverError, match="must differ"):
        discover_pair(tmp_path, "org/p/a", "a")


def test_stack_choices():
    pair = StackPair("acme/connectdr/east", "acme/connectdr/west")
    assert resolve("all", pair) == ("acme/connectdr/east", "acme/connectdr/west")
    assert resolve("secondary", pair) == ("acme/connectdr/west",)
    assert resolve("other", pair) == ("other",)
    assert file_stem("acme/connectdr/east") == "east"
