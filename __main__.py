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
from components.regional_data_plane import RegionalDataPlane, RegionalDataPlaneArgs
from components.table_refs import TableRefs
from config import load_stack_config
from connect.contact_center import ContactCenter, ContactCenterArgs
from connect.customer_lookup import CustomerLookup, CustomerLookupArgs
from connect.global_resiliency import GlobalResiliency, GlobalResiliencyArgs
from network import GcpBackbone, GcpBackboneArgs, NetworkLeg, NetworkLegArgs

loaded = load_stack_config()  # every rule checked here: a bad config declares nothing
cfg = loaded.stack
providers = cloud_providers(cfg)

if cfg.is_primary:
    center_cfg = cfg.contact_center
    name_prefix = f"connectdr-{center_cfg.instance.alias}"
    backbone = GcpBackbone("backbone", GcpBackboneArgs(cfg.network.gcp_network_name, cfg.network.mtu), providers)
    tables = GlobalTables("tables", GlobalTablesArgs(name_prefix, cfg.regions.source, cfg.regions.replica), providers)
    center = ContactCenter(
        "contact-center",
        ContactCenterArgs(center_cfg, cfg.region, customer_lookup_function=f"{name_prefix}-customer-lookup"),
        providers,
    )
    resiliency = GlobalResiliency(
        "resiliency",
        GlobalResiliencyArgs(
            instance_id=center.instance_id,
            instance_arn=center.instance_arn,
            instance_alias=center_cfg.instance.alias,
            source_region=cfg.regions.source,
            replica_region=cfg.regions.replica,
            replication_timeout_minutes=center_cfg.instance.replication_timeout_minutes,
            cross_region_routing=center_cfg.instance.cross_region_routing,
            traffic=cfg.traffic,
            override=cfg.failover.override,
            phone_numbers=center_cfg.phone_numbers,
            inbound_flow_id=center.inbound_flow_id,
            config_table_name=tables.table_names.apply(lambda names: names["config"]),
        ),
        providers,
    )
    link = PrimaryLink(
        name_prefix=name_prefix,
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

tables_here = TableRefs(
    names=pulumi.Output.from_input(link.table_names),
    key_arn=pulumi.Output.from_input(link.table_key_arns).apply(lambda arns: arns[cfg.region]),
    region=cfg.region,
)
lookup = CustomerLookup(
    "customer-lookup",
    CustomerLookupArgs(
        function_name=pulumi.Output.concat(link.name_prefix, "-customer-lookup"),
        region=cfg.region,
        instance_id=link.instance_id,
        customers_table_arn=tables_here.arn("customers"),
        customers_table_name=tables_here.name("customers"),
        table_key_arn=tables_here.key_arn,
    ),
    providers,
)
data_plane = RegionalDataPlane(
    "data-plane",
    RegionalDataPlaneArgs(
        name_prefix=link.name_prefix,
        region=cfg.region,
        other_region=cfg.other_region,
        instance_id=link.instance_id,
        tdg_arns=link.tdg_arns,
        tables=tables_here,
        data_sync=cfg.data_sync,
        failover=cfg.failover,
        recordings=cfg.recordings,
        alert_email=cfg.alerts.email,
        reconcile_on=resiliency.desired_split_version if cfg.is_primary else None,
        reconcile_after=[resiliency] if cfg.is_primary else [],
    ),
    providers,
)
Observability(
    "observability",
    ObservabilityArgs(link.name_prefix, cfg.region, cfg.regions.pair, link.instance_id, data_plane.health_alarm_name),
    providers,
)
if cfg.is_primary:
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
network = NetworkLeg(
    "network",
    NetworkLegArgs(
        aws_region=cfg.region,
        leg=cfg.leg,
        mtu=cfg.network.mtu,
        allowed_tcp_ports=cfg.network.allowed_tcp_ports,
        gcp_network_id=link.gcp_network_id,
        preshared_keys=loaded.preshared_keys,
    ),
    providers,
)

pulumi.export("region", cfg.region)
pulumi.export("customerLookupArn", lookup.function_arn)
pulumi.export("alertTopicArn", data_plane.alert_topic_arn)
pulumi.export("failoverController", data_plane.controller_name)
pulumi.export("healthAlarm", data_plane.health_alarm_name)
pulumi.export("streamSyncConsumer", data_plane.consumer_name)
pulumi.export("interconnectPairingKeys", network.pairing_keys)
