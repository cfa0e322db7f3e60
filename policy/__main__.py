"""connectdr's CrossGuard pack: `pulumi preview --policy-pack policy` (from the project root)."""

from pack import ENFORCEMENT, build_policies
from pulumi_policy import PolicyPack

PolicyPack(name="connectdr-guardrails", enforcement_level=ENFORCEMENT, policies=build_policies())
