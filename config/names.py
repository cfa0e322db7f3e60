"""Names the program derives from the instance alias, and the AWS limits they must fit.

The components build these names from the suffixes here, and the config rule below checks every one of
them for the configured alias, so a config that passes cannot make a name AWS rejects mid-deploy. Names
built from fixed logical names (auto-named roles, queues, rules) do not depend on config; a test checks them
on the plan. Resource names (Pulumi's logical names) built from Connect names must not collide either.
"""

import hashlib
import re
from collections import defaultdict
from collections.abc import Callable, Iterable

from config.problems import Problem, key_path
from config.stack import StackConfig

PREFIX = "connectdr-"
REPLICA_ALIAS_SUFFIX = "-replica"
CUSTOMER_LOOKUP = "-customer-lookup"
STREAM_SYNC = "-stream-sync"
FAILOVER_CONTROLLER = "-failover-controller"
REGION_HEALTH = "-region-health"
REGION_SWITCH = "-region-switch"
FUNCTION_SUFFIXES = (CUSTOMER_LOOKUP, STREAM_SYNC, FAILOVER_CONTROLLER, REGION_SWITCH)
TABLE_SUFFIXES = ("-contacts", "-agent_state", "-customers", "-config")
LOG_GROUP_PREFIX = "/aws/lambda/"
ACCOUNT_ID_LENGTH = 12
ALIAS_KEY = key_path("contactCenter", "instance", "alias")

DIRECTORY_ALIAS = re.compile(r"^(?!d-)([\da-zA-Z]+)([-]*[\da-zA-Z])*$")
"""Connect's DirectoryAlias: letters, digits and hyphens, not starting with 'd-' (directory ids do)."""
DIRECTORY_ALIAS_LIMIT = 45
LAMBDA_FUNCTION_LIMIT = 64
LOG_GROUP_LIMIT = 512
DYNAMODB_TABLE_LIMIT = 255
ALARM_NAME_LIMIT = 255
DASHBOARD_NAME_LIMIT = 255
BUCKET_NAME_LIMIT = 63
PLAN_NAME_LIMIT = 32
PLAN_NAME_HASH = 6


def name_prefix(alias: str) -> str:
    """What every name of this deployment starts with."""
    return f"{PREFIX}{alias}"


def replica_alias(alias: str) -> str:
    """The replica instance's directory alias (aliases are unique across AWS, so it differs from the source's)."""
    return f"{alias}{REPLICA_ALIAS_SUFFIX}"


def recordings_bucket_name(prefix: str, region: str, account_id: str) -> str:
    """One bucket per region, the same name from either stack (replication needs both); lower case, as S3
    requires, and the prefix gives way when too long."""
    suffix = f"-rec-{region}-{account_id}"
    return f"{prefix.lower()[: BUCKET_NAME_LIMIT - len(suffix)].rstrip('-')}{suffix}"


def region_switch_plan_name(prefix: str) -> str:
    """The Region switch plan's name (at most 32 letters, digits and inner hyphens): the prefix, or its start
    and a digest of all of it when longer, so two deployments whose aliases share a long start differ."""
    if len(prefix) <= PLAN_NAME_LIMIT:
        return prefix
    digest = hashlib.sha256(prefix.encode()).hexdigest()[:PLAN_NAME_HASH]
    return f"{prefix[: PLAN_NAME_LIMIT - PLAN_NAME_HASH - 1].rstrip('-')}-{digest}"


def derived_names(alias: str, regions: tuple[str, str]) -> list[tuple[str, str, int]]:
    """(what, name, limit) of every name derived from the alias, in both regions."""
    prefix = name_prefix(alias)
    names = [("replica instance alias", replica_alias(alias), DIRECTORY_ALIAS_LIMIT)]
    for suffix in FUNCTION_SUFFIXES:
        names.append(("Lambda function name", prefix + suffix, LAMBDA_FUNCTION_LIMIT))
        names.append(("log group name", LOG_GROUP_PREFIX + prefix + suffix, LOG_GROUP_LIMIT))
    names += [("DynamoDB table name", prefix + suffix, DYNAMODB_TABLE_LIMIT) for suffix in TABLE_SUFFIXES]
    names.append(("CloudWatch alarm name", prefix + REGION_HEALTH, ALARM_NAME_LIMIT))
    for region in regions:
        names.append(("CloudWatch dashboard name", f"{prefix}-{region}", DASHBOARD_NAME_LIMIT))
        bucket = recordings_bucket_name(prefix, region, "0" * ACCOUNT_ID_LENGTH)
        names.append(("S3 bucket name", bucket, BUCKET_NAME_LIMIT))
    return names


def longest_alias(regions: tuple[str, str]) -> int:
    """The longest alias whose derived names all fit."""
    return max(
        length
        for length in range(1, DIRECTORY_ALIAS_LIMIT + 1)
        if all(len(name) <= limit for _, name, limit in derived_names("a" * length, regions))
    )


def alias_rule_broken(alias: str, regions: tuple[str, str]) -> str | None:
    """Why a name derived from the alias would be refused, or None: too long for its service, or a replica
    alias starting with 'd-' (Connect keeps that for directory ids)."""
    too_long = [(what, name, limit) for what, name, limit in derived_names(alias, regions) if len(name) > limit]
    if too_long:
        what, name, limit = too_long[0]
        return (
            f"at most {longest_alias(regions)} characters: the {what} {name!r} derived from it would be "
            f"{len(name)} characters, over the limit of {limit}"
        )
    if not DIRECTORY_ALIAS.match(replica := replica_alias(alias)):
        return f"the replica instance alias {replica!r} derived from it would start with 'd-', which Connect refuses"
    return None


def names_within_limits(cfg: StackConfig) -> list[Problem]:
    """A config error on the alias when a name derived from it would be refused by its service."""
    if cfg.contact_center is None:
        return []
    alias = cfg.contact_center.instance.alias
    if rule := alias_rule_broken(alias, cfg.regions.pair):
        return [Problem(ALIAS_KEY, alias, rule)]
    return []


def queue_part(name: str) -> str:
    """What a queue's or routing profile's resource name takes from its Connect name."""
    return name.lower()


def flow_part(name: str) -> str:
    """What a flow's resource name takes from its Connect name."""
    return re.sub(r"[^a-z0-9-]+", "-", name.lower()).strip("-")


def _colliding(names: Iterable[str], part: Callable[[str], str]) -> list[list[str]]:
    """Groups of different names that give the same resource name part."""
    by_part: dict[str, set[str]] = defaultdict(set)
    for name in names:
        by_part[part(name)].add(name)
    return [sorted(same) for same in by_part.values() if len(same) > 1]


def resource_names_distinct(cfg: StackConfig) -> list[Problem]:
    """Connect names that differ only where the resource name built from them does not: Pulumi would see
    two resources under one name and stop mid-deploy."""
    center = cfg.contact_center
    if center is None:
        return []
    problems = []
    for key, names, part, differ in (
        ("queues", [queue.name for queue in center.queues], queue_part, "letter case"),
        ("routingProfiles", [profile.name for profile in center.routing_profiles], queue_part, "letter case"),
        ("flows", [flow.name for flow in center.flows], flow_part, "letter case, spaces and punctuation"),
    ):
        for same in _colliding(names, part):
            rule = f"names must differ in more than {differ}: they become the same resource name ({part(same[0])})"
            problems.append(Problem(key_path("contactCenter", key), same, rule))
    return problems
