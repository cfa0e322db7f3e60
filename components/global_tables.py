"""GlobalTables: the DynamoDB global tables both regions read and write (primary stack)."""

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.encryption import regional_key


@dataclass(frozen=True)
class TableSpec:
    """One table's key schema; every attribute is a string."""

    suffix: str
    hash_key: str
    range_key: str | None = None
    ttl_attribute: str | None = None


WRITER_REGION = "writerRegion"
"""Sort key of the synced tables: each region writes its own item per contact or agent, so no item has two
writers across regions (last writer wins would otherwise let an older state win); readers take the item
with the newest `version` (lambdas/stream_sync/items.py)."""

TABLES = (
    TableSpec("contacts", hash_key="contactId", range_key=WRITER_REGION),
    TableSpec("agent_state", hash_key="agentId", range_key=WRITER_REGION),
    TableSpec("customers", hash_key="phoneNumber"),
    TableSpec("config", hash_key="pk", range_key="sk", ttl_attribute="expiresAt"),
)


@dataclass
class GlobalTablesArgs:
    name_prefix: str
    source_region: str
    replica_region: str


class GlobalTables(pulumi.ComponentResource):
    """The contacts, agent_state, customers and config tables, each a global table with a replica in the
    other region: on-demand, streams (NEW_AND_OLD_IMAGES), point-in-time recovery and deletion protection
    in both regions, encrypted with a customer-managed key per region (replica settings default to off)."""

    table_names: pulumi.Output[dict[str, str]]
    key_arns: pulumi.Output[dict[str, str]]

    def __init__(self, name: str, args: GlobalTablesArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("connectdr:data:GlobalTables", name, None, opts)
        keys = {
            region: regional_key(f"{name}-key-{region}", region, "DynamoDB global tables", self)
            for region in (args.source_region, args.replica_region)
        }
        tables = {}
        for spec in TABLES:
            attributes = [aws.dynamodb.TableAttributeArgs(name=spec.hash_key, type="S")]
            if spec.range_key:
                attributes.append(aws.dynamodb.TableAttributeArgs(name=spec.range_key, type="S"))
            tables[spec.suffix] = aws.dynamodb.Table(
                f"{name}-{spec.suffix}",
                name=f"{args.name_prefix}-{spec.suffix}",
                billing_mode="PAY_PER_REQUEST",
                hash_key=spec.hash_key,
                range_key=spec.range_key,
                attributes=attributes,
                stream_enabled=True,
                stream_view_type="NEW_AND_OLD_IMAGES",
                point_in_time_recovery=aws.dynamodb.TablePointInTimeRecoveryArgs(enabled=True),
                server_side_encryption=aws.dynamodb.TableServerSideEncryptionArgs(
                    enabled=True, kms_key_arn=keys[args.source_region].arn
                ),
                ttl=aws.dynamodb.TableTtlArgs(attribute_name=spec.ttl_attribute, enabled=True)
                if spec.ttl_attribute
                else None,
                deletion_protection_enabled=True,
                replicas=[
                    aws.dynamodb.TableReplicaArgs(
                        region_name=args.replica_region,
                        kms_key_arn=keys[args.replica_region].arn,
                        point_in_time_recovery=True,
                        deletion_protection_enabled=True,
                        propagate_tags=True,
                    )
                ],
                opts=pulumi.ResourceOptions(parent=self, protect=True),
            )
        self.table_names = pulumi.Output.all(**{suffix: table.name for suffix, table in tables.items()})
        self.key_arns = pulumi.Output.all(**{region: key.arn for region, key in keys.items()})
        self.tables = tables
        self.register_outputs({"table_names": self.table_names, "key_arns": self.key_arns})
