"""connectdr: an active-active Amazon Connect contact center across two AWS regions, with a Google Cloud backbone.

Both stacks deploy, for their own region: the customer_lookup Lambda, the data plane (streams and sync,
failover controller and health alarms, call recordings), a dashboard of both regions and the network leg
to Google Cloud. The primary stack also owns the source instance, its Global Resiliency replica and
traffic groups, the global tables and the Google Cloud network; the secondary stack reads those from the
primary through a StackReference, and replicates call recordings both ways once both buckets exist.
"""

from dataclasses import replace

import pulumi

from components.global_tables import GlobalTables, GlobalTablesArgs
from components.observability import Observability, ObservabilityArgs
from components.primary_link import PrimaryLink
from components.providers import cloud_providers
from components.recordings_replication import RecordingsReplication, RecordingsReplicationArgs, RecordingsSide
from components.region_switch import RegionSwitchPlan, RegionSwitchPlanArgs
from components.regional_data_plane import RegionalDataPlane, RegionalDataPlaneArgs
from components.table_refs import TableRefs
from config import load_stack_config
from config.names import name_prefix
from connect.contact_center import ContactCenter, ContactCenterArgs
from connect.customer_lookup import CustomerLookup, CustomerLookupArgs
from connect.global_resiliency import GlobalResiliency, GlobalResiliencyArgs
from network import GcpBackbone, GcpBackboneArgs, NetworkLeg, NetworkLegArgs
from network.aws_vpc import available_zones

loaded = load_stack_config()  # every rule checked here: a bad config declares nothing
cfg = loaded.stack
zone_names = available_zones(cfg.region, cfg.leg.availability_zones)  # the one rule only the account can answer
providers = cloud_providers(cfg)
resiliency = None

if cfg.is_primary:
    prefix = name_prefix(cfg.contact_center.instance.alias)
    backbone = GcpBackbone("backbone", GcpBackboneArgs(cfg.network.gcp_network_name, cfg.network.mtu), providers)
    tables = GlobalTables("tables", GlobalTablesArgs(prefix, cfg.regions.source, cfg.regions.replica), providers)
    lookup_arn, resolve_lookup_arn = pulumi.deferred_output()  # flows wait for the lookup's association
    center = ContactCenter("contact-center", ContactCenterArgs(cfg.contact_center, cfg.region, lookup_arn), providers)
    config_table = tables.table_names.apply(lambda names: names["config"])
    resiliency = GlobalResiliency("resiliency", GlobalResiliencyArgs.from_config(cfg, center, config_table), providers)
    link = PrimaryLink(
        name_prefix=prefix,
        instance_id=center.instance_id,
        instance_arn=center.instance_arn,
        replica_arn=resiliency.replica_arn,
        default_tdg_arn=resiliency.default_tdg_arn,
        tdg_arns=resiliency.tdg_arns,
        table_names=tables.table_names,
        table_key_arns=tables.key_arns,
        gcp_network_id=backbone.network_id,
        gcp_network_name=backbone.network_name,
    )
else:
    link = PrimaryLink.from_stack(cfg.primary_stack)

tables_here = TableRefs.in_region(link.table_names, link.table_key_arns, cfg.region)
lookup = CustomerLookup(
    "customer-lookup",
    CustomerLookupArgs.for_region(link.name_prefix, cfg.region, link.instance_id, tables_here),
    providers,
)
data_plane = RegionalDataPlane(
    "data-plane", RegionalDataPlaneArgs.from_config(cfg, link, tables_here, resiliency), providers
)
Observability(
    "observability",
    ObservabilityArgs(link.name_prefix, cfg.region, cfg.regions.pair, link.instance_id, data_plane.health_alarm_name),
    providers,
)
if cfg.is_primary:
    resolve_lookup_arn(lookup.associated_arn)
    replace(
        link, recordings_bucket=data_plane.recordings_bucket, recordings_key_arn=data_plane.recordings_key_arn
    ).export()
else:
    RecordingsReplication(
        "recordings-replication",
        RecordingsReplicationArgs(
            first=RecordingsSide(cfg.regions.source, link.recordings_bucket, link.recordings_key_arn),
            second=RecordingsSide(cfg.region, data_plane.recordings_bucket, data_plane.recordings_key_arn),
        ),
        providers,
    )
    if data_plane.region_switch_function_arn is not None:  # one plan for both regions, once both functions exist
        plan = RegionSwitchPlan(
            "region-switch",
            RegionSwitchPlanArgs.from_config(cfg, link, data_plane.region_switch_function_arn),
            providers,
        )
        pulumi.export("regionSwitchPlanArn", plan.plan_arn)
network = NetworkLeg(
    "network", NetworkLegArgs.from_config(cfg, link.gcp_network_id, loaded.preshared_keys, zone_names), providers
)

pulumi.export("region", cfg.region)
pulumi.export("customerLookupArn", lookup.function_arn)
pulumi.export("alertTopicArn", data_plane.alert_topic_arn)
pulumi.export("failoverController", data_plane.controller_name)
pulumi.export("healthAlarm", data_plane.health_alarm_name)
pulumi.export("streamSyncConsumer", data_plane.consumer_name)
pulumi.export("vpcId", network.vpc_id)
pulumi.export("privateSubnetIds", network.subnet_ids)
pulumi.export("privateRouteTableId", network.route_table_id)
pulumi.export("gcpAccessSecurityGroupId", network.gcp_access_security_group_id)
pulumi.export("interconnectPairingKeys", network.pairing_keys)
