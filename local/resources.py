"""The AWS resources a stage needs, created on a stand-in (moto): what devops create in AWS.

Shared by the local stack and the tests, so both build exactly what infra/tables.yaml and
the README's deploy steps describe.
"""

from __future__ import annotations

import json
import pathlib
import secrets
from collections.abc import Mapping
from dataclasses import dataclass

import yaml

ROOT = pathlib.Path(__file__).resolve().parent.parent
TABLES_TEMPLATE = ROOT / "infra" / "tables.yaml"


def create_tables(dynamodb, names: Mapping[str, str]) -> None:
    """Create the tables of infra/tables.yaml; `names` maps logical id to table name."""
    template = yaml.safe_load(TABLES_TEMPLATE.read_text())
    wanted = ("AttributeDefinitions", "KeySchema", "GlobalSecondaryIndexes", "BillingMode")
    for logical_id, resource in template["Resources"].items():
        props = resource["Properties"]
        kwargs = {key: props[key] for key in wanted if key in props}
        dynamodb.create_table(TableName=names[logical_id], **kwargs)
        if "TimeToLiveSpecification" in props:
            dynamodb.update_time_to_live(
                TableName=names[logical_id],
                TimeToLiveSpecification=props["TimeToLiveSpecification"],
            )


def create_recording_bucket(s3, bucket: str, region: str) -> None:
    """The IVS recording bucket, sending its events to EventBridge (Chalice does not)."""
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})
    s3.put_bucket_notification_configuration(
        Bucket=bucket, NotificationConfiguration={"EventBridgeConfiguration": {}}
    )


def route_rule_to_queue(events, sqs, name: str, pattern: Mapping) -> str:
    """An EventBridge rule on the default bus that delivers to a new SQS queue; its URL.

    The queue stands in for Lambda's asynchronous invoke: a failed event is received
    again after the visibility timeout, and after three receives goes to a dead-letter queue.
    """
    dead_letters = sqs.create_queue(QueueName=f"{name}-failed")["QueueUrl"]
    dead_letters_arn = _queue_arn(sqs, dead_letters)
    queue_url = sqs.create_queue(
        QueueName=name,
        Attributes={
            "VisibilityTimeout": "10",
            "RedrivePolicy": json.dumps(
                {"deadLetterTargetArn": dead_letters_arn, "maxReceiveCount": "3"}
            ),
        },
    )["QueueUrl"]
    events.put_rule(Name=name, EventPattern=json.dumps(pattern))
    events.put_targets(Rule=name, Targets=[{"Id": "handler", "Arn": _queue_arn(sqs, queue_url)}])
    return queue_url


def _queue_arn(sqs, queue_url: str) -> str:
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])
    return attributes["Attributes"]["QueueArn"]


@dataclass(frozen=True)
class UserPool:
    user_pool_id: str
    client_id: str
    group: str


def create_moderators_pool(idp, name: str, group: str) -> UserPool:
    """A user pool, a public app client for the dashboard, and the moderators group."""
    pool_id = idp.create_user_pool(PoolName=name)["UserPool"]["Id"]
    client_id = idp.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName="dashboard",
        GenerateSecret=False,
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]["ClientId"]
    idp.create_group(UserPoolId=pool_id, GroupName=group)
    return UserPool(pool_id, client_id, group)


def create_user(idp, pool: UserPool, username: str, *, moderator: bool) -> str:
    """A confirmed user with a fresh random password (returned); in the group if a moderator."""
    password = f"Mod-{secrets.token_urlsafe(12)}1a"
    idp.admin_create_user(
        UserPoolId=pool.user_pool_id,
        Username=username,
        MessageAction="SUPPRESS",
        UserAttributes=[{"Name": "email", "Value": f"{username}@example.com"}],
    )
    idp.admin_set_user_password(
        UserPoolId=pool.user_pool_id, Username=username, Password=password, Permanent=True
    )
    if moderator:
        idp.admin_add_user_to_group(
            UserPoolId=pool.user_pool_id, Username=username, GroupName=pool.group
        )
    return password
