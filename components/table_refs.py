"""How a region's components address the global tables: names and ARNs in that region."""

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws


@dataclass(frozen=True)
class TableRefs:
    """The global tables as seen from one region (each region has its own replica and KMS key)."""

    names: pulumi.Output[dict[str, str]]
    key_arn: pulumi.Output[str]
    region: str

    @classmethod
    def in_region(
        cls, table_names: pulumi.Input[dict[str, str]], key_arns: pulumi.Input[dict[str, str]], region: str
    ) -> "TableRefs":
        """The tables and this region's key, from the names and per-region key ARNs the primary publishes."""
        keys = pulumi.Output.from_input(key_arns)
        return cls(
            names=pulumi.Output.from_input(table_names), key_arn=keys.apply(lambda arns: arns[region]), region=region
        )

    def name(self, suffix: str) -> pulumi.Output[str]:
        return self.names.apply(lambda names: names[suffix])

    def arn(self, suffix: str) -> pulumi.Output[str]:
        account_id = aws.get_caller_identity_output().account_id
        return pulumi.Output.format("arn:aws:dynamodb:{0}:{1}:table/{2}", self.region, account_id, self.name(suffix))
