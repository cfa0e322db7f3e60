"""Rules that span several keys; each returns the problems it finds (empty when the config is sound)."""

import hashlib
import ipaddress
import itertools
import re
from collections import Counter
from collections.abc import Callable, Iterable, Mapping

from config.flows import flow_problems
from config.names import names_within_limits, resource_names_distinct
from config.network import VPC_PREFIX_LENGTHS, NetworkLeg, is_private_asn, private_subnet_prefix
from config.problems import NAMESPACE, Problem, key_path
from config.regions import SUPPORTED_PAIRS, describe_supported_pairs
from config.stack import REQUIRED_TAG_KEYS, StackConfig
from config.traffic import WEEKDAYS

Rule = Callable[[StackConfig], list[Problem]]
AWS_TAG_KEY = re.compile(r"^[\w.:/=+\-@ ]{1,128}$")


def supported_pair(cfg: StackConfig) -> list[Problem]:
    if cfg.regions.pair in SUPPORTED_PAIRS:
        return []
    rule = f"not a Global Resiliency pair; supported source->replica pairs: {describe_supported_pairs()}"
    if cfg.regions.source == cfg.regions.replica:
        rule = f"source and replica must be two different regions; supported pairs: {describe_supported_pairs()}"
    return [Problem(key_path("regions"), f"{cfg.regions.source}->{cfg.regions.replica}", rule)]


def role_has_its_parts(cfg: StackConfig) -> list[Problem]:
    problems = []
    if cfg.is_primary:
        for key, value in (("contactCenter", cfg.contact_center), ("traffic", cfg.traffic)):
            if value is None:
                problems.append(Problem(key_path(key), None, "required on the primary stack"))
    elif cfg.primary_stack is None:
        rule = "required on the secondary stack: the primary stack's name for its StackReference"
        problems.append(Problem(key_path("primaryStack"), None, rule))
    return problems


def _region_keys(key: str, regions: Iterable[str], pair: tuple[str, str]) -> list[Problem]:
    if set(regions) == set(pair):
        return []
    return [Problem(key, sorted(regions), f"must list exactly the two regions {pair[0]} and {pair[1]}")]


def traffic_names_both_regions(cfg: StackConfig) -> list[Problem]:
    traffic, pair = cfg.traffic, cfg.regions.pair
    if traffic is None:
        return []
    problems = _region_keys(key_path("traffic", "telephony"), traffic.telephony, pair)
    if traffic.agents is not None:
        problems += _region_keys(key_path("traffic", "agents"), traffic.agents, pair)
    if traffic.sign_in is not None:
        problems += _region_keys(key_path("traffic", "signIn"), traffic.sign_in, pair)
        if not any(traffic.sign_in.values()):
            problems.append(
                Problem(key_path("traffic", "signIn"), traffic.sign_in, "at least one region must allow sign-in")
            )
    for index, group in enumerate(traffic.groups):
        problems += _region_keys(key_path("traffic", "groups", index, "telephony"), group.telephony, pair)
    for index, window in enumerate(traffic.schedule):
        problems += _region_keys(key_path("traffic", "schedule", index, "telephony"), window.telephony, pair)
        if window.agents is not None:
            problems += _region_keys(key_path("traffic", "schedule", index, "agents"), window.agents, pair)
    return problems


def _duplicates(values: Iterable[str]) -> list[str]:
    return sorted(value for value, count in Counter(values).items() if count > 1)


def traffic_groups_and_schedule(cfg: StackConfig) -> list[Problem]:
    if cfg.traffic is None:
        return []
    problems = []
    if dupes := _duplicates(group.name for group in cfg.traffic.groups):
        problems.append(Problem(key_path("traffic", "groups"), dupes, "group names must be unique"))
    if dupes := _duplicates(window.name for window in cfg.traffic.schedule):
        problems.append(Problem(key_path("traffic", "schedule"), dupes, "window names must be unique"))
    for (i, a), (j, b) in itertools.combinations(enumerate(cfg.traffic.schedule), 2):
        clash = [day for day in WEEKDAYS if day in a.days and day in b.days]
        if clash and a.start_hour < b.end_hour and b.start_hour < a.end_hour:
            rule = f"overlaps window {a.name!r} ({key_path('traffic', 'schedule', i)}) on {', '.join(clash)}"
            problems.append(Problem(key_path("traffic", "schedule", j), b.name, rule))
    members = [*cfg.traffic.user_ids, *(user for group in cfg.traffic.groups for user in group.user_ids)]
    if dupes := _duplicates(user.rsplit("/", 1)[-1] for user in members):
        rule = "an agent belongs to one traffic distribution group (userIds of traffic and of its groups)"
        problems.append(Problem(key_path("traffic"), dupes, rule))
    groups = {group.name for group in cfg.traffic.groups}
    if cfg.contact_center is not None:
        for index, number in enumerate(cfg.contact_center.phone_numbers):
            if number.traffic_group is not None and number.traffic_group not in groups:
                key = key_path("contactCenter", "phoneNumbers", index, "trafficGroup")
                allowed = ", ".join(sorted(groups)) or "none defined in connectdr:traffic.groups"
                problems.append(Problem(key, number.traffic_group, f"must name a traffic group ({allowed})"))
    return problems


MAX_FILTER_QUEUES = 100
"""GetCurrentMetricData filters on at most 100 queues."""


def follow_agents_has_what_it_follows(cfg: StackConfig) -> list[Problem]:
    """Follow-the-agents sets the default group's telephony split, as a schedule window does, and counts the
    agents of the contact center's queues (GetCurrentMetricData filters on at most 100)."""
    if cfg.traffic is None or not cfg.traffic.follow_agents.enabled:
        return []
    key = key_path("traffic", "followAgents", "enabled")
    problems = []
    if cfg.traffic.schedule:
        rule = "cannot be combined with connectdr:traffic.schedule: both set the default group's telephony split"
        problems.append(Problem(key, True, rule))
    queues = len(cfg.contact_center.queues) if cfg.contact_center is not None else 0
    if not 1 <= queues <= MAX_FILTER_QUEUES:
        rule = (
            f"needs 1 to {MAX_FILTER_QUEUES} queues in connectdr:contactCenter.queues (it counts their agents with "
            f"GetCurrentMetricData); there are {queues}"
        )
        problems.append(Problem(key, True, rule))
    return problems


def override_region(cfg: StackConfig) -> list[Problem]:
    region = cfg.failover.override.region
    if region is None or region in cfg.regions.pair:
        return []
    rule = f"must be one of the pair: {cfg.regions.source}, {cfg.regions.replica}"
    return [Problem(key_path("failover", "override", "region"), region, rule)]


def queues_and_profiles(cfg: StackConfig) -> list[Problem]:
    center = cfg.contact_center
    if center is None:
        return []
    problems = []
    if dupes := _duplicates(queue.name for queue in center.queues):
        problems.append(Problem(key_path("contactCenter", "queues"), dupes, "queue names must be unique"))
    if dupes := _duplicates(profile.name for profile in center.routing_profiles):
        problems.append(Problem(key_path("contactCenter", "routingProfiles"), dupes, "names must be unique"))
    queue_names = {queue.name for queue in center.queues}
    for index, profile in enumerate(center.routing_profiles):
        if unknown := [name for name in profile.queues if name not in queue_names]:
            rule = f"must name queues from connectdr:contactCenter.queues ({', '.join(sorted(queue_names))})"
            problems.append(Problem(key_path("contactCenter", "routingProfiles", index, "queues"), unknown, rule))
    return problems


def contact_flows(cfg: StackConfig) -> list[Problem]:
    center = cfg.contact_center
    if center is None:
        return []
    numbers = [number.flow for number in center.phone_numbers]
    return flow_problems(center.flows, {queue.name for queue in center.queues}, {center.hours.name}, numbers)


def network_legs_cover_pair(cfg: StackConfig) -> list[Problem]:
    return _region_keys(key_path("network", "legs"), cfg.network.legs, cfg.regions.pair)


def no_overlapping_cidrs(cfg: StackConfig) -> list[Problem]:
    cidrs = []
    for region, leg in sorted(cfg.network.legs.items()):
        cidrs.append((key_path("network", "legs", region, "vpcCidr"), leg.vpc_cidr))
        cidrs.append((key_path("network", "legs", region, "gcpSubnetCidr"), leg.gcp_subnet_cidr))
    problems = []
    for (key_a, cidr_a), (key_b, cidr_b) in itertools.combinations(cidrs, 2):
        if ipaddress.ip_network(cidr_a).overlaps(ipaddress.ip_network(cidr_b)):
            rule = f"overlaps {key_b} ({cidr_b}); AWS VPC CIDRs and GCP subnets must not overlap"
            problems.append(Problem(key_a, cidr_a, rule))
    return problems


def private_distinct_asns(cfg: StackConfig) -> list[Problem]:
    problems, seen = [], {}
    for region, leg in sorted(cfg.network.legs.items()):
        for field, asn in (
            ("vgwAsn", leg.vgw_asn),
            ("dxGatewayAsn", leg.dx_gateway_asn),
            ("vpnRouterAsn", leg.vpn_router_asn),
        ):
            key = key_path("network", "legs", region, field)
            if not is_private_asn(asn):
                problems.append(Problem(key, asn, "must be a private ASN (64512-65534 or 4200000000-4294967294)"))
            elif asn in seen:
                problems.append(
                    Problem(key, asn, f"already used by {seen[asn]}; each router and gateway needs its own ASN")
                )
            else:
                seen[asn] = key
    return problems


def unique_tunnels(cfg: StackConfig) -> list[Problem]:
    problems, cidrs, secrets = [], {}, {}
    for region, leg in sorted(cfg.network.legs.items()):
        for index, tunnel in enumerate(leg.vpn_tunnels):
            base = ("network", "legs", region, "vpnTunnels", index)
            for value, seen, field, what in (
                (tunnel.inside_cidr, cidrs, "insideCidr", "inside CIDRs"),
                (tunnel.preshared_key_secret, secrets, "presharedKeySecret", "pre-shared key secrets"),
            ):
                key = key_path(*base, field)
                if value in seen:
                    problems.append(Problem(key, value, f"already used by {seen[value]}; {what} must be unique"))
                seen.setdefault(value, key)
    return problems


def hosted_vifs_accepted_once(cfg: StackConfig) -> list[Problem]:
    """A hosted VIF is accepted by one accepter: listed twice it would be two resources for one VIF."""
    problems, seen = [], {}
    for region, leg in sorted(cfg.network.legs.items()):
        for index, vif_id in enumerate(leg.hosted_vif_ids):
            key = key_path("network", "legs", region, "hostedVifIds", index)
            if vif_id in seen:
                rule = f"already used by {seen[vif_id]}; a hosted VIF is accepted once, by one leg"
                problems.append(Problem(key, vif_id, rule))
            seen.setdefault(vif_id, key)
    return problems


def vpc_splits_into_aws_subnets(cfg: StackConfig) -> list[Problem]:
    """Each availability zone gets an equal private subnet; AWS subnets are /16 to /28 like VPCs."""
    problems = []
    largest, smallest = VPC_PREFIX_LENGTHS
    for region, leg in sorted(cfg.network.legs.items()):
        prefix = private_subnet_prefix(leg.vpc_cidr, leg.availability_zones)
        if prefix > smallest:
            rule = (
                f"too small for {leg.availability_zones} availability zones: each would get a /{prefix} subnet and AWS "
                f"subnets are /{largest} to /{smallest}; use a larger VPC CIDR or fewer availabilityZones"
            )
            problems.append(Problem(key_path("network", "legs", region, "vpcCidr"), leg.vpc_cidr, rule))
    return problems


def interconnect_second_metro(cfg: StackConfig) -> list[Problem]:
    """The 99.99% layout needs its second pair of attachments in another region (another metro)."""
    problems = []
    for region, leg in sorted(cfg.network.legs.items()):
        if leg.interconnect_second_region == leg.gcp_region:
            key = key_path("network", "legs", region, "interconnectSecondRegion")
            rule = f"must differ from gcpRegion ({leg.gcp_region}): the 99.99% layout needs attachments in two metros"
            problems.append(Problem(key, leg.interconnect_second_region, rule))
    return problems


def reused_preshared_keys(leg: NetworkLeg, values: Mapping[str, str]) -> list[Problem]:
    """A pre-shared key value given to two tunnels (compared by digest; values are never reported)."""
    problems, first_holder = [], {}
    for tunnel in leg.vpn_tunnels:
        value = values.get(tunnel.preshared_key_secret)
        if value is None:
            continue
        digest = hashlib.sha256(value.encode()).digest()
        key = f"{NAMESPACE}:{tunnel.preshared_key_secret}"
        if digest in first_holder:
            rule = f"same value as {first_holder[digest]}; each VPN tunnel needs its own pre-shared key"
            problems.append(Problem(key, None, rule, secret=True))
        first_holder.setdefault(digest, key)
    return problems


def required_tags(cfg: StackConfig) -> list[Problem]:
    problems = []
    if missing := [key for key in REQUIRED_TAG_KEYS if not cfg.tags.get(key)]:
        problems.append(Problem(key_path("tags"), sorted(cfg.tags), f"must set {', '.join(missing)}"))
    for key, value in cfg.tags.items():
        if not AWS_TAG_KEY.match(key) or key.lower().startswith("aws:") or len(value) > 256:
            rule = "tag keys are 1-128 of letters, digits, spaces and _.:/=+-@, not 'aws:'; values <= 256"
            problems.append(Problem(key_path("tags", key), value, rule))
    return problems


RULES: tuple[Rule, ...] = (
    supported_pair,
    role_has_its_parts,
    traffic_names_both_regions,
    traffic_groups_and_schedule,
    follow_agents_has_what_it_follows,
    override_region,
    queues_and_profiles,
    contact_flows,
    names_within_limits,
    resource_names_distinct,
    network_legs_cover_pair,
    no_overlapping_cidrs,
    private_distinct_asns,
    unique_tunnels,
    hosted_vifs_accepted_once,
    vpc_splits_into_aws_subnets,
    interconnect_second_metro,
    required_tags,
)


PAIR_RULES: frozenset[Rule] = frozenset({traffic_names_both_regions, override_region, network_legs_cover_pair})
"""Rules that compare keys with the region pair: with a pair that is not supported they would only repeat it."""


def check_rules(cfg: StackConfig) -> list[Problem]:
    """Every cross-key rule, all problems at once; a broken region pair is reported once, not once per split."""
    pair_broken = bool(supported_pair(cfg))
    return [problem for rule in RULES if not (pair_broken and rule in PAIR_RULES) for problem in rule(cfg)]
