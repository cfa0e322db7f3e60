"""Pulumi dynamic providers (boto3) for what pulumi-aws lacks: replica, traffic groups, their users, routing."""
