"""CustomerLookup: the flow's Lambda in one region, associated with that region's instance."""

from dataclasses import dataclass

import pulumi
import pulumi_aws as aws

from components.iam import Statement
from components.lambda_function import LambdaSpec, python_lambda
from components.table_refs import TableRefs
from config.names import CUSTOMER_LOOKUP


@dataclass
class CustomerLookupArgs:
    function_name: pulumi.Input[str]
    region: str
    instance_id: pulumi.Input[str]
    customers_table_arn: pulumi.Input[str]
    customers_table_name: pulumi.Input[str]
    table_key_arn: pulumi.Input[str]

    @classmethod
    def for_region(
        cls, name_prefix: pulumi.Input[str], region: str, instance_id: pulumi.Input[str], tables: TableRefs
    ) -> "CustomerLookupArgs":
        """The same function name in every region; the customers table and key of that region."""
        return cls(
            function_name=pulumi.Output.concat(name_prefix, CUSTOMER_LOOKUP),
            region=region,
            instance_id=instance_id,
            customers_table_arn=tables.arn("customers"),
            customers_table_name=tables.name("customers"),
            table_key_arn=tables.key_arn,
        )


class CustomerLookup(pulumi.ComponentResource):
    """The customer_lookup function under the same name in each region (flows call it through `$.AwsRegion`),
    reading only its region's replica of the customers table, and associated with the instance there:
    Lambda associations are not mirrored by Global Resiliency."""

    function_arn: pulumi.Output[str]
    associated_arn: pulumi.Output[str]
    """The function's ARN, known once it is associated with the instance (flows that invoke it wait for it)."""

    def __init__(self, name: str, args: CustomerLookupArgs, opts: pulumi.ResourceOptions | None = None) -> None:
        super().__init__("connectdr:connect:CustomerLookup", name, None, opts)
        deployed = python_lambda(
            f"{name}-function",
            LambdaSpec(
                function_name=args.function_name,
                source="customer_lookup",
                region=args.region,
                description="Finds the caller in the customers table for the inbound flow",
                timeout_seconds=3,
                environment={"CUSTOMERS_TABLE": args.customers_table_name},
                statements=[
                    Statement("ReadCustomers", ["dynamodb:GetItem"], [args.customers_table_arn]),
                    Statement(
                        "DecryptCustomers",
                        ["kms:Decrypt"],
                        [args.table_key_arn],
                        {"StringEquals": {"kms:ViaService": f"dynamodb.{args.region}.amazonaws.com"}},
                    ),
                ],
            ),
            self,
        )
        association = aws.connect.LambdaFunctionAssociation(
            f"{name}-association",
            instance_id=args.instance_id,
            function_arn=deployed.function.arn,
            region=args.region,
            opts=pulumi.ResourceOptions(parent=self),
        )
        self.function_arn = deployed.function.arn
        self.associated_arn = association.function_arn
        self.register_outputs({"function_arn": self.function_arn, "associated_arn": self.associated_arn})
