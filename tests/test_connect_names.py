"""Every name derived from an accepted instance alias is valid for its service, in every supported region
pair: characters as well as length (hypothesis draws the aliases the config accepts). The directory alias
rule is botocore's model's."""

import re

import botocore.session
import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st
from pydantic import ValidationError

from config.contact_center import INSTANCE_ALIAS, Instance
from config.names import alias_rule_broken, derived_names
from config.regions import SUPPORTED_PAIRS

CONNECT = botocore.session.get_session().get_service_model("connect")
REPLICA_ALIAS = CONNECT.operation_model("ReplicateInstance").input_shape.members["ReplicaAlias"]
VALID = {
    "replica instance alias": re.compile(REPLICA_ALIAS.metadata["pattern"]),
    "Lambda function name": re.compile(r"^[a-zA-Z0-9_-]+$"),
    "log group name": re.compile(r"^[.\-_/#A-Za-z0-9]+$"),
    "DynamoDB table name": re.compile(r"^[a-zA-Z0-9_.-]{3,}$"),
    "CloudWatch alarm name": re.compile(r"^[\x20-\x7e]+$"),
    "CloudWatch dashboard name": re.compile(r"^[A-Za-z0-9_-]+$"),
    "S3 bucket name": re.compile(r"^(?!xn--|sthree-|amzn-s3-demo-)[a-z0-9][a-z0-9.-]+[a-z0-9]$"),
}
S3_RESERVED_ENDINGS = ("-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3")


def accepted(alias: str, pair: tuple[str, str]) -> bool:
    """Whether the config accepts the alias: the instance model and the names rule."""
    try:
        Instance(alias=alias)
    except ValidationError:
        return False
    return alias_rule_broken(alias, pair) is None


@st.composite
def accepted_alias(draw: st.DrawFn) -> tuple[str, tuple[str, str]]:
    pair = draw(st.sampled_from(sorted(SUPPORTED_PAIRS)))
    words = st.text("abcdDXYZ0189", min_size=1, max_size=12)
    hyphens = st.sampled_from(["-", "-", "--"])
    first, rest = draw(words), draw(st.lists(st.tuples(hyphens, words), max_size=4))
    alias = first + "".join(hyphen + word for hyphen, word in rest)
    assume(INSTANCE_ALIAS.match(alias) and accepted(alias, pair))
    return alias, pair


@settings(max_examples=150, deadline=None)
@given(accepted_alias())
def test_every_derived_name_is_valid_for_its_service(drawn):
    alias, pair = drawn
    for what, name, limit in derived_names(alias, pair):
        assert len(name) <= limit and VALID[what].match(name), (what, name)
        if what == "S3 bucket name":
            assert ".." not in name and not name.endswith(S3_RESERVED_ENDINGS), name


@settings(max_examples=50, deadline=None)
@given(accepted_alias())
def test_each_region_gets_its_own_recordings_bucket(drawn):
    alias, pair = drawn
    buckets = [name for what, name, _ in derived_names(alias, pair) if what == "S3 bucket name"]
    assert len(set(buckets)) == 2


@pytest.mark.parametrize("alias", ["d", "D"])
def test_an_alias_whose_replica_alias_connect_refuses_is_refused(alias):
    pair = ("us-east-1", "us-west-2")
    assert accepted(alias, pair) == bool(VALID["replica instance alias"].match(f"{alias}-replica"))
    if not accepted(alias, pair):
        assert alias_rule_broken(alias, pair) == (
            "the replica instance alias 'd-replica' derived from it would start with 'd-', which Connect refuses"
        )
