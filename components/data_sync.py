"""Data sync in one region: Connect's streams into the global tables, with alarms on lag."""

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.iam import Statement
from components.lambda_function import LambdaSpec, python_lambda
from components.region_context import RegionContext
from config.names import STREAM_SYNC
from config.operations import DataSync

STREAMS = {"CONTACT_TRACE_RECORDS": "ctr", "AGENT_EVENTS": "agent-events"}
STREAM_READ_ACTIONS = [
    "kinesis:DescribeStream",
    "kinesis:DescribeStreamSummary",
    "kinesis:GetRecords",
    "kinesis:GetShardIterator",
    "kinesis:ListShards",
]
SYNCED_TABLES = ("contacts", "agent_state")
GLOBAL_TABLES = ("contacts", "agent_state", "customers", "config")


@dataclass
class DataSyncArgs:
    context: RegionContext
    settings: DataSync


@dataclass(frozen=True)
class DataSyncResources:
    streams: dict[str, aws.kinesis.Stream]
    consumer: aws.lambda_.Function
    dead_letter_queue: aws.sqs.Queue


def _ledger(name: str, args: DataSyncArgs, parent: pulumi.Resource) -> aws.dynamodb.Table:
    """One marker per dead-lettered record (TTL past the longest possible retry), so a record that a retried
    batch brings back is not dead-lettered twice. Regional: a record belongs to this region's stream."""
    return aws.dynamodb.Table(
        f"{name}-dead-letter-ledger",
        region=args.context.region,
        billing_mode="PAY_PER_REQUEST",
        hash_key="record",
        attributes=[aws.dynamodb.TableAttributeArgs(name="record", type="S")],
        ttl=aws.dynamodb.TableTtlArgs(attribute_name="expiresAt", enabled=True),
        server_side_encryption=aws.dynamodb.TableServerSideEncryptionArgs(
            enabled=True, kms_key_arn=args.context.tables.key_arn
        ),
        opts=pulumi.ResourceOptions(parent=parent),
    )


def _alarm(name: str, args: DataSyncArgs, parent: pulumi.Resource, **settings: object) -> aws.cloudwatch.MetricAlarm:
    return aws.cloudwatch.MetricAlarm(
        name,
        region=args.context.region,
        alarm_actions=[args.context.alarm_topic_arn],
        ok_actions=[args.context.alarm_topic_arn],
        opts=pulumi.ResourceOptions(parent=parent),
        **settings,
    )


def build_data_sync(name: str, args: DataSyncArgs, parent: pulumi.Resource) -> DataSyncResources:
    """KMS-encrypted streams for contact trace records and agent events, attached to this region's instance
    (the replica keeps the source's id); the stream_sync consumer (batching window <= 1 s, bisect on error,
    bounded retries and age, partial batch responses, an SQS dead-letter queue for records that can never
    be written and for what the mapping discards, with a ledger so each record is dead-lettered once);
    alarms on iterator age, dead letters and global table replication latency."""
    child = pulumi.ResourceOptions(parent=parent)
    settings = args.settings
    streams = {}
    for resource_type, suffix in STREAMS.items():
        streams[resource_type] = aws.kinesis.Stream(
            f"{name}-{suffix}",
            region=args.context.region,
            shard_count=settings.shard_count,
            retention_period=settings.retention_hours,
            encryption_type="KMS",
            kms_key_id="alias/aws/kinesis",
            stream_mode_details=aws.kinesis.StreamStreamModeDetailsArgs(stream_mode="PROVISIONED"),
            opts=child,
        )
        aws.connect.InstanceStorageConfig(
            f"{name}-{suffix}-storage",
            instance_id=args.context.instance_id,
            resource_type=resource_type,
            storage_config=aws.connect.InstanceStorageConfigStorageConfigArgs(
                storage_type="KINESIS_STREAM",
                kinesis_stream_config=aws.connect.InstanceStorageConfigStorageConfigKinesisStreamConfigArgs(
                    stream_arn=streams[resource_type].arn
                ),
            ),
            region=args.context.region,
            opts=child,
        )
    dead_letters = aws.sqs.Queue(
        f"{name}-dead-letters",
        region=args.context.region,
        sqs_managed_sse_enabled=True,
        message_retention_seconds=14 * 24 * 3600,
        opts=child,
    )
    ledger = _ledger(name, args, parent)
    stream_arns = [stream.arn for stream in streams.values()]
    table_arns = [args.context.tables.arn(table) for table in SYNCED_TABLES]
    via_dynamodb = {"StringEquals": {"kms:ViaService": f"dynamodb.{args.context.region}.amazonaws.com"}}
    consumer = python_lambda(
        f"{name}-consumer",
        LambdaSpec(
            function_name=pulumi.Output.concat(args.context.name_prefix, STREAM_SYNC),
            source="stream_sync",
            region=args.context.region,
            description="Connect streams into the contacts and agent_state global tables",
            timeout_seconds=60,
            memory_mb=512,
            environment={
                "INSTANCE_ID": args.context.instance_id,
                "CONTACTS_TABLE": args.context.tables.name("contacts"),
                "AGENT_STATE_TABLE": args.context.tables.name("agent_state"),
                "DEAD_LETTER_QUEUE_URL": dead_letters.url,
                "DEAD_LETTER_LEDGER_TABLE": ledger.name,
            },
            statements=[
                Statement("ReadConnectStreams", STREAM_READ_ACTIONS, stream_arns),
                Statement("WriteSyncedTables", ["dynamodb:PutItem"], table_arns),
                Statement("DeadLetterLedger", ["dynamodb:BatchGetItem", "dynamodb:BatchWriteItem"], [ledger.arn]),
                Statement(
                    "UseTableKey", ["kms:Decrypt", "kms:GenerateDataKey"], [args.context.tables.key_arn], via_dynamodb
                ),
                Statement("DeadLetter", ["sqs:SendMessage"], [dead_letters.arn]),
            ],
        ),
        parent,
    ).function
    for resource_type, suffix in STREAMS.items():
        aws.lambda_.EventSourceMapping(
            f"{name}-{suffix}-mapping",
            function_name=consumer.arn,
            event_source_arn=streams[resource_type].arn,
            region=args.context.region,
            starting_position="TRIM_HORIZON",
            batch_size=settings.batch_size,
            maximum_batching_window_in_seconds=settings.batching_window_seconds,
            parallelization_factor=settings.parallelization_factor,
            bisect_batch_on_function_error=True,
            maximum_retry_attempts=settings.max_retries,
            maximum_record_age_in_seconds=settings.max_record_age_seconds,
            function_response_types=["ReportBatchItemFailures"],
            destination_config=aws.lambda_.EventSourceMappingDestinationConfigArgs(
                on_failure=aws.lambda_.EventSourceMappingDestinationConfigOnFailureArgs(
                    destination_arn=dead_letters.arn
                )
            ),
            opts=child,
        )
    _alarm(
        f"{name}-iterator-age",
        args,
        parent,
        alarm_description="stream_sync is falling behind Connect's streams (RPO at risk)",
        namespace="AWS/Lambda",
        metric_name="IteratorAge",
        dimensions={"FunctionName": consumer.name},
        statistic="Maximum",
        period=60,
        evaluation_periods=3,
        datapoints_to_alarm=2,
        threshold=settings.iterator_age_alarm_seconds * 1000,
        comparison_operator="GreaterThanThreshold",
        treat_missing_data="notBreaching",
    )
    _alarm(
        f"{name}-dead-letters",
        args,
        parent,
        alarm_description="Records or batches reached the stream_sync dead-letter queue",
        namespace="AWS/SQS",
        metric_name="ApproximateNumberOfMessagesVisible",
        dimensions={"QueueName": dead_letters.name},
        statistic="Maximum",
        period=60,
        evaluation_periods=1,
        threshold=0,
        comparison_operator="GreaterThanThreshold",
        treat_missing_data="notBreaching",
    )
    for table in GLOBAL_TABLES:
        _alarm(
            f"{name}-replication-{table.replace('_', '-')}",
            args,
            parent,
            alarm_description=f"Replication of {table} to {args.context.other_region} is slow (RPO at risk)",
            namespace="AWS/DynamoDB",
            metric_name="ReplicationLatency",
            dimensions={"TableName": args.context.tables.name(table), "ReceivingRegion": args.context.other_region},
            statistic="Average",
            period=60,
            evaluation_periods=3,
            datapoints_to_alarm=2,
            threshold=settings.replication_latency_alarm_ms,
            comparison_operator="GreaterThanThreshold",
            treat_missing_data="notBreaching",
        )
    return DataSyncResources(streams=streams, consumer=consumer, dead_letter_queue=dead_letters)
