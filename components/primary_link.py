"""What the secondary stack takes from the primary: one contract, exported by one stack, read by the other."""

from dataclasses import dataclass

import pulumi

NAME_PREFIX = "namePrefix"
INSTANCE_ID = "instanceId"
INSTANCE_ARN = "instanceArn"
REPLICA_ARN = "replicaArn"
DEFAULT_TDG_ARN = "defaultTdgArn"
TDG_ARNS = "trafficDistributionGroupArns"
TABLE_NAMES = "tableNames"
TABLE_KEY_ARNS = "tableKeyArns"
GCP_NETWORK_ID = "gcpNetworkId"
GCP_NETWORK_NAME = "gcpNetworkName"
RECORDINGS_BUCKET = "recordingsBucket"
RECORDINGS_KEY_ARN = "recordingsKeyArn"
LINK_KEYS = (
    NAME_PREFIX,
    INSTANCE_ID,
    INSTANCE_ARN,
    REPLICA_ARN,
    DEFAULT_TDG_ARN,
    TDG_ARNS,
    TABLE_NAMES,
    TABLE_KEY_ARNS,
    GCP_NETWORK_ID,
    GCP_NETWORK_NAME,
    RECORDINGS_BUCKET,
    RECORDINGS_KEY_ARN,
)


@dataclass(frozen=True)
class PrimaryLink:
    """Identifiers the secondary stack needs; the replica keeps the source instance's id."""

    name_prefix: pulumi.Input[str]
    instance_id: pulumi.Input[str]
    instance_arn: pulumi.Input[str]
    replica_arn: pulumi.Input[str]
    default_tdg_arn: pulumi.Input[str]
    tdg_arns: pulumi.Input[list[str]]
    table_names: pulumi.Input[dict[str, str]]
    table_key_arns: pulumi.Input[dict[str, str]]
    gcp_network_id: pulumi.Input[str]
    gcp_network_name: pulumi.Input[str]
    recordings_bucket: pulumi.Input[str] | None = None
    recordings_key_arn: pulumi.Input[str] | None = None

    def export(self) -> None:
        """Publish the contract as stack outputs (primary stack)."""
        for key, value in self._as_outputs().items():
            pulumi.export(key, value)

    def _as_outputs(self) -> dict[str, pulumi.Input]:
        return {
            NAME_PREFIX: self.name_prefix,
            INSTANCE_ID: self.instance_id,
            INSTANCE_ARN: self.instance_arn,
            REPLICA_ARN: self.replica_arn,
            DEFAULT_TDG_ARN: self.default_tdg_arn,
            TDG_ARNS: self.tdg_arns,
            TABLE_NAMES: self.table_names,
            TABLE_KEY_ARNS: self.table_key_arns,
            GCP_NETWORK_ID: self.gcp_network_id,
            GCP_NETWORK_NAME: self.gcp_network_name,
            RECORDINGS_BUCKET: self.recordings_bucket,
            RECORDINGS_KEY_ARN: self.recordings_key_arn,
        }

    @classmethod
    def from_stack(cls, primary_stack: str) -> "PrimaryLink":
        """Read the contract from the primary stack (secondary stack)."""
        reference = pulumi.StackReference(primary_stack)
        get = reference.require_output
        return cls(
            name_prefix=get(NAME_PREFIX),
            instance_id=get(INSTANCE_ID),
            instance_arn=get(INSTANCE_ARN),
            replica_arn=get(REPLICA_ARN),
            default_tdg_arn=get(DEFAULT_TDG_ARN),
            tdg_arns=get(TDG_ARNS),
            table_names=get(TABLE_NAMES),
            table_key_arns=get(TABLE_KEY_ARNS),
            gcp_network_id=get(GCP_NETWORK_ID),
            gcp_network_name=get(GCP_NETWORK_NAME),
            recordings_bucket=get(RECORDINGS_BUCKET),
            recordings_key_arn=get(RECORDINGS_KEY_ARN),
        )
