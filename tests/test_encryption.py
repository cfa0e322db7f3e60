"""KMS aliases derived from the stack name stay within what KMS accepts."""

import re

import pytest

from components.encryption import kms_alias_name

KMS_ALIAS = re.compile(r"^alias/[A-Za-z0-9/_-]{1,250}$")


@pytest.mark.parametrize("stack", ["primary", "prod.eu", "team_a-secondary", "v1.2.3"])
def test_a_stack_name_with_dots_still_makes_a_valid_alias(stack):
    alias = kms_alias_name(stack, "tables-key-us-east-1")
    assert KMS_ALIAS.match(alias), alias
    assert not alias.startswith("alias/aws/")


def test_aliases_of_plain_stack_names_are_unchanged():
    assert kms_alias_name("primary", "tables-key") == "alias/connectdr/primary/tables-key"
