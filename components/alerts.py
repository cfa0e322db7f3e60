"""The region's alert topic, with the on-call e-mail subscribed."""

import json

import pulumi
import pulumi_aws as aws

from components.encryption import regional_key


def alert_topic(name: str, region: str, email: str, parent: pulumi.Resource) -> aws.sns.Topic:
    """An SNS topic encrypted with its own key: CloudWatch cannot publish to a topic under the AWS-managed
    SNS key, whose policy cannot name it."""
    child = pulumi.ResourceOptions(parent=parent)
    key = regional_key(f"{name}-alerts-key", region, "alert topic", parent, ["cloudwatch.amazonaws.com"])
    topic = aws.sns.Topic(f"{name}-alerts", region=region, kms_master_key_id=key.arn, opts=child)
    aws.sns.TopicPolicy(
        f"{name}-alerts-policy",
        arn=topic.arn,
        region=region,
        policy=topic.arn.apply(
            lambda arn: json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Sid": "CloudWatchAlarmsPublish",
                            "Effect": "Allow",
                            "Principal": {"Service": "cloudwatch.amazonaws.com"},
                            "Action": "sns:Publish",
                            "Resource": arn,
                        }
                    ],
                }
            )
        ),
        opts=child,
    )
    aws.sns.TopicSubscription(
        f"{name}-alerts-email", topic=topic.arn, protocol="email", endpoint=email, region=region, opts=child
    )
    return topic
