"""The AWS resources a stage needs, created on a stand-in (moto): what devops create in AWS.

Shared by the local stack and the tests, so both build exactly what infra/tables.yaml,
the app's event handlers and the README's deploy steps describe.
"""

from __future__ import annotations

import json
import pathlib
import secrets
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import yaml
from chalice import Chalice
from chalice.app import CloudWatchEventConfig, Rate, ScheduledEventConfig, SQSEventConfig

from local.relay import MAX_ATTEMPTS
from local.routes import AsyncRoute, Function, QueueRoute, Routes, ScheduleRoute

ROOT = pathlib.Path(__file__).resolve().parent.parent
TABLES_TEMPLATE = ROOT / "infra" / "tables.yaml"
# Longer than any attempt runs (the functions' timeout is 60 s; AWS advises 6 times the
# timeout for a queue Lambda reads), so no message is handed out twice while its handler
# runs. A failed one comes back sooner: the relay makes it visible again (local/relay.py).
VISIBILITY_SECONDS = 360
# An on_sqs_message handler's message that failed this many receives goes to the queue's
# dead-letter queue. The relay gives an on_cw_event event its 3 attempts itself; the
# redrive policy of that queue is only a backstop.
SQS_MAX_RECEIVES = 3


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


@dataclass(frozen=True)
class Queue:
    url: str
    arn: str
    dead_letter_url: str


def create_queue(sqs, name: str, *, visibility_seconds: int, max_receives: int) -> Queue:
    """A queue with a dead-letter queue (`<name>-dlq`) that takes a message received
    `max_receives` times without being deleted."""
    dead_letters = sqs.create_queue(QueueName=f"{name}-dlq")["QueueUrl"]
    redrive = {
        "deadLetterTargetArn": _queue_arn(sqs, dead_letters),
        "maxReceiveCount": max_receives,
    }
    url = sqs.create_queue(
        QueueName=name,
        Attributes={
            "VisibilityTimeout": str(visibility_seconds),
            "RedrivePolicy": json.dumps(redrive),
        },
    )["QueueUrl"]
    return Queue(url, _queue_arn(sqs, url), dead_letters)


def route_rule_to_queue(events, name: str, pattern: Mapping, queue: Queue) -> None:
    """An EventBridge rule `name` on the default bus, with `pattern`, delivering to `queue`."""
    events.put_rule(Name=name, EventPattern=json.dumps(pattern))
    events.put_targets(Rule=name, Targets=[{"Id": "handler", "Arn": queue.arn}])


def create_routes(
    app: Chalice,
    events,
    sqs,
    *,
    failed_frames_queue: str,
    function: Callable[[str], Function],
    region: str,
    account: str,
) -> tuple[Routes, Queue]:
    """What `chalice deploy` and the README's steps set up for the app's event handlers, for
    the relay to play Lambda on: for every on_cw_event handler, an EventBridge rule with the
    app's own pattern and a queue (the function's asynchronous invocations) whose on-failure
    destination is the failed-frames queue; for every on_sqs_message handler, its queue.
    `function` names and sizes the Lambda function of a handler; every pure Lambda function
    (`@app.lambda_function`, invoked by its callers through the Invoke API) is named too.
    Also returns the failed-frames queue, created whether or not a handler reads it."""
    queues = {
        failed_frames_queue: create_queue(
            sqs,
            failed_frames_queue,
            visibility_seconds=VISIBILITY_SECONDS,
            max_receives=SQS_MAX_RECEIVES,
        )
    }
    failed_frames = queues[failed_frames_queue]
    async_routes, queue_routes, unserved, schedules = [], [], [], []
    for source in app.event_sources:
        lambda_function = function(source.name)
        if isinstance(source, CloudWatchEventConfig):
            name = lambda_function.name
            queue = create_queue(
                sqs, name, visibility_seconds=VISIBILITY_SECONDS, max_receives=MAX_ATTEMPTS + 2
            )
            route_rule_to_queue(events, name, source.event_pattern, queue)
            async_routes.append(
                AsyncRoute(lambda_function, name, source.event_pattern, queue.url,
                           queue.dead_letter_url, on_failure_url=failed_frames.url)
            )  # fmt: skip
        elif isinstance(source, SQSEventConfig):
            name = source.queue or str(source.queue_arn).rsplit(":", 1)[1]
            if name not in queues:
                queues[name] = create_queue(
                    sqs, name, visibility_seconds=VISIBILITY_SECONDS, max_receives=SQS_MAX_RECEIVES
                )
            queue = queues[name]
            queue_routes.append(
                QueueRoute(lambda_function, queue.url, queue.arn, source.batch_size,
                           queue.dead_letter_url)
            )  # fmt: skip
        elif isinstance(source, ScheduledEventConfig) and isinstance(
            source.schedule_expression, Rate
        ):
            rate = source.schedule_expression
            seconds = rate.value * {"MINUTES": 60, "HOURS": 3600, "DAYS": 86400}[rate.unit]
            schedules.append(ScheduleRoute(lambda_function, seconds))
        else:
            unserved.append(f"{source.name} ({type(source).__name__})")
    functions = tuple(function(pure.name) for pure in app.pure_lambda_functions)
    routes = Routes(
        region, account, tuple(async_routes), tuple(queue_routes), tuple(unserved), functions,
        tuple(schedules),
    )  # fmt: skip
    return routes, failed_frames


def _queue_arn(sqs, queue_url: str) -> str:
    attributes = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])
    return attributes["Attributes"]["QueueArn"]


@dataclass(frozen=True)
class UserPool:
    user_pool_id: str
    client_id: str
    groups: dict[str, str]  # role -> its group (TRIAGE_GROUP, MODERATORS_GROUP, ADMINS_GROUP)


def create_moderators_pool(idp, name: str, groups: dict[str, str]) -> UserPool:
    """A user pool, a public app client for the dashboard, and a group for each role."""
    pool_id = idp.create_user_pool(PoolName=name)["UserPool"]["Id"]
    client_id = idp.create_user_pool_client(
        UserPoolId=pool_id,
        ClientName="dashboard",
        GenerateSecret=False,
        ExplicitAuthFlows=["ALLOW_USER_PASSWORD_AUTH", "ALLOW_REFRESH_TOKEN_AUTH"],
    )["UserPoolClient"]["ClientId"]
    for group in groups.values():
        idp.create_group(UserPoolId=pool_id, GroupName=group)
    return UserPool(pool_id, client_id, dict(groups))


def create_user(
    idp, pool_id: str, username: str, group: str | None, email: str | None = None
) -> str:
    """A confirmed user with a fresh random password (returned), in `group` if one is given."""
    password = f"Mod-{secrets.token_urlsafe(12)}1a"
    idp.admin_create_user(
        UserPoolId=pool_id,
        Username=username,
        MessageAction="SUPPRESS",
        UserAttributes=[{"Name": "email", "Value": email or f"{username}@example.com"}],
    )
    idp.admin_set_user_password(
        UserPoolId=pool_id, Username=username, Password=password, Permanent=True
    )
    if group:
        idp.admin_add_user_to_group(UserPoolId=pool_id, Username=username, GroupName=group)
    return password
