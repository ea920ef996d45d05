"""What Chalice cannot express, applied after `chalice deploy` (and written into the packaged
template by package.py from the same values): retries and the on-failure destination of the
event functions, chat logging's subscription to chat_log_received, the API stage's
throttling and access logs, and the concurrency caps."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping

import botocore.exceptions

from scripts.deploy import naming
from scripts.deploy.settings import API_GATEWAY_STAGE

# Lambda's asynchronous invokes (EventBridge): two retries; an event older than this is given
# up on (a frame 15 minutes late no longer helps a live moderator) and, for thumbnails, sent
# to the failed-frames queue, where record_failed_frames records it and tells the room.
RETRY_ATTEMPTS = 2
MAX_EVENT_AGE_SECONDS = 900
ON_FAILURE_TO_QUEUE = ("moderate_thumbnail",)
ASYNC_FUNCTIONS = ("moderate_thumbnail", "stream_state_changed")
# Concurrency caps. 20 thumbnails at once keep Rekognition under its default 50 TPS (a frame
# takes ~0.4 s); throttled thumbnails wait in Lambda's queue (up to MAX_EVENT_AGE_SECONDS).
# Lambda's SQS poller starts at 5, hence 5 for the failed-frames consumer.
RESERVED_CONCURRENCY = {
    "moderate_thumbnail": 20,
    "stream_state_changed": 5,
    "record_failed_frames": 5,
    "api_handler": 10,
    # The review handler is on every chat message's path (200 ms): its share is kept for it
    # (25 at ~50 ms each is ~500 messages/s); a throttled review gets the room's fallback.
    "review_chat_message": 25,
    "chat_log_received": 5,
    "moderate_chat_messages": 10,
    "chat_ban_lookup": 5,
    # Two sweeps at once escalate once (chalicelib/alerts/sla.py); more buy nothing.
    "sla_sweep": 2,
    "send_alerts": 2,
}
# Chat logging -> chat_log_received: only the MESSAGE records (EVENT records are ours).
CHAT_LOG_FUNCTION = "chat_log_received"
CHAT_LOG_FILTER_NAME = "chat-messages"
CHAT_LOG_FILTER = '{ $.type = "MESSAGE" }'
CHAT_LOG_PERMISSION = "chat-logging"
# Lambda keeps at least this much of the account's concurrency unreserved.
UNRESERVED_MINIMUM = 100
# The API stage: steady requests per second and burst, for all moderators together.
THROTTLE_RATE = 50
THROTTLE_BURST = 100
ACCESS_LOG_FORMAT = json.dumps(
    {
        "requestId": "$context.requestId",
        "extendedRequestId": "$context.extendedRequestId",
        "ip": "$context.identity.sourceIp",
        "requestTime": "$context.requestTime",
        "httpMethod": "$context.httpMethod",
        "resourcePath": "$context.resourcePath",
        "status": "$context.status",
        "responseLength": "$context.responseLength",
        "integrationLatency": "$context.integrationLatency",
        "userAgent": "$context.identity.userAgent",
    },
    separators=(",", ":"),
)


def event_invoke_config(function: str, failed_frames_queue_arn) -> dict | None:
    """Lambda's EventInvokeConfig for the function (API and template spelling), or None."""
    if function not in ASYNC_FUNCTIONS:
        return None
    config = {
        "MaximumRetryAttempts": RETRY_ATTEMPTS,
        "MaximumEventAgeInSeconds": MAX_EVENT_AGE_SECONDS,
    }
    if function in ON_FAILURE_TO_QUEUE:
        config["DestinationConfig"] = {"OnFailure": {"Destination": failed_frames_queue_arn}}
    return config


def affordable_concurrency(lambda_client, stage: str) -> tuple[dict[str, int], str]:
    """The caps this account can reserve now (all or none), and a line saying why not."""
    try:
        limits = lambda_client.get_account_settings()["AccountLimit"]
    except botocore.exceptions.ClientError as error:
        return {}, f"could not read Lambda's account settings ({error}); no caps reserved"
    ours = 0
    for function in naming.FUNCTIONS:
        try:
            current = lambda_client.get_function_concurrency(
                FunctionName=naming.function_name(stage, function)
            )
            ours += current.get("ReservedConcurrentExecutions", 0)
        except botocore.exceptions.ClientError:
            pass  # not deployed yet
    free = limits["UnreservedConcurrentExecutions"] + ours
    wanted = sum(RESERVED_CONCURRENCY.values())
    if free - wanted >= UNRESERVED_MINIMUM:
        return dict(RESERVED_CONCURRENCY), ""
    return {}, (
        f"Lambda's concurrency in this account is {limits['ConcurrentExecutions']} "
        f"({limits['UnreservedConcurrentExecutions']} unreserved): the caps ({wanted}) would leave "
        f"less than the {UNRESERVED_MINIMUM} Lambda keeps free, so none are reserved; ask for a "
        "higher 'Concurrent executions' quota (Service Quotas) and deploy again"
    )


def apply(
    session_client: Callable[[str], object],
    deployed: Mapping[str, Mapping[str, str]],
    outputs: Mapping[str, str],
    say: Callable[[str], None],
) -> None:
    """Configure the deployed functions and API stage (idempotent: a re-run sets the same)."""
    lambda_client = session_client("lambda")
    for function in ASYNC_FUNCTIONS:
        config = event_invoke_config(function, outputs["FailedFramesQueueArn"])
        arn = deployed[function]["lambda_arn"]
        _retrying_iam(lambda_client.put_function_event_invoke_config, FunctionName=arn, **config)
        what = "retries 2, events kept 15 min"
        if "DestinationConfig" in config:
            what += ", then to the failed-frames queue"
        say(f"  {function}: {what}")
    subscribe_chat_logs(
        lambda_client, session_client("logs"), deployed[CHAT_LOG_FUNCTION]["lambda_arn"], outputs
    )
    say(f"  {CHAT_LOG_FUNCTION}: receives the chat log group's MESSAGE records")
    api = deployed["rest_api"]
    session_client("apigateway").update_stage(
        restApiId=api["rest_api_id"],
        stageName=API_GATEWAY_STAGE,
        patchOperations=[
            {"op": "replace", "path": "/*/*/throttling/rateLimit", "value": str(THROTTLE_RATE)},
            {"op": "replace", "path": "/*/*/throttling/burstLimit", "value": str(THROTTLE_BURST)},
            {
                "op": "replace",
                "path": "/accessLogSettings/destinationArn",
                "value": outputs["ApiAccessLogGroupArn"],
            },
            {"op": "replace", "path": "/accessLogSettings/format", "value": ACCESS_LOG_FORMAT},
        ],
    )
    say(f"  API stage: {THROTTLE_RATE} requests/s (burst {THROTTLE_BURST}), access logs on")


def subscribe_chat_logs(lambda_client, logs_client, function_arn: str, outputs) -> None:
    """CloudWatch Logs may invoke the function for the chat log group (that group only), and
    the group's subscription filter sends the MESSAGE records to it."""
    source = f"{outputs['ChatLogGroupArn']}:*"
    account = source.split(":")[4]
    wanted = {"Principal": "logs.amazonaws.com", "SourceArn": source}
    if permission_of(lambda_client, function_arn, CHAT_LOG_PERMISSION) != wanted:
        remove_permission(lambda_client, function_arn, CHAT_LOG_PERMISSION)
        lambda_client.add_permission(
            FunctionName=function_arn,
            StatementId=CHAT_LOG_PERMISSION,
            Action="lambda:InvokeFunction",
            Principal="logs.amazonaws.com",
            SourceArn=source,
            SourceAccount=account,
        )
    logs_client.put_subscription_filter(
        logGroupName=outputs["ChatLogGroupName"],
        filterName=CHAT_LOG_FILTER_NAME,
        filterPattern=CHAT_LOG_FILTER,
        destinationArn=function_arn,
    )


def permission_of(lambda_client, function: str, sid: str) -> dict[str, str] | None:
    """The principal and source of the function's resource policy statement `sid`, or None."""
    try:
        policy = json.loads(lambda_client.get_policy(FunctionName=function)["Policy"])
    except botocore.exceptions.ClientError as error:
        if error.response["Error"].get("Code") == "ResourceNotFoundException":
            return None  # no resource policy yet
        raise
    for statement in policy.get("Statement", []):
        if statement.get("Sid") == sid:
            principal = statement.get("Principal", {})
            condition = statement.get("Condition", {}).get("ArnLike", {})
            return {
                "Principal": principal.get("Service", "") if isinstance(principal, dict) else "",
                "SourceArn": condition.get("AWS:SourceArn", ""),
            }
    return None


def remove_permission(lambda_client, function: str, sid: str) -> None:
    try:
        lambda_client.remove_permission(FunctionName=function, StatementId=sid)
    except botocore.exceptions.ClientError as error:
        if error.response["Error"].get("Code") != "ResourceNotFoundException":
            raise


def _retrying_iam(call: Callable[..., object], attempts: int = 8, **kwargs) -> None:
    """A new role can take seconds to be usable: Lambda then refuses the destination."""
    for attempt in range(attempts):
        try:
            call(**kwargs)
            return
        except botocore.exceptions.ClientError as error:
            code = error.response["Error"].get("Code", "")
            if code != "InvalidParameterValueException" or attempt == attempts - 1:
                raise
            time.sleep(2 + 2 * attempt)
