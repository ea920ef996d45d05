"""What Lambda sends: invocation records of failed asynchronous invokes, SQS events, and the
context a handler gets."""

from __future__ import annotations

import base64
import traceback
import uuid
from datetime import UTC, datetime
from typing import Any

from chalice.local import LambdaContext

from local.routes import Function


def timestamp(moment: datetime) -> str:
    """UTC with milliseconds, as Lambda writes it: 2026-11-22T10:00:00.000Z."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def lambda_context(function: Function, request_id: str) -> LambdaContext:
    """The context Lambda hands the deployed function: its name, ARN, memory and time."""
    context = LambdaContext(
        function.name,
        memory_size=function.memory_mb,
        max_runtime_ms=function.timeout_seconds * 1000,
    )
    context.aws_request_id = request_id
    context.invoked_function_arn = function.arn
    return context


def error_payload(error: BaseException, request_id: str) -> dict[str, Any]:
    """What the Python runtime answers for an unhandled exception (awslambdaric's make_error)."""
    return {
        "errorMessage": str(error),
        "errorType": type(error).__name__,
        "requestId": request_id,
        "stackTrace": traceback.format_list(traceback.extract_tb(error.__traceback__)),
    }


def invocation_record(
    event: Any, error: BaseException, *, attempts: int, request_id: str, function_arn: str
) -> dict[str, Any]:
    """Lambda's record of an asynchronous invocation that failed for good, as its on-failure
    destination receives it (Lambda developer guide, "Invocation records")."""
    return {
        "version": "1.0",
        "timestamp": timestamp(datetime.now(UTC)),
        "requestContext": {
            "requestId": request_id,
            "functionArn": f"{function_arn}:$LATEST",
            "condition": "RetriesExhausted",
            "approximateInvokeCount": attempts,
        },
        "requestPayload": event,
        "responseContext": {
            "statusCode": 200,
            "executedVersion": "$LATEST",
            "functionError": "Unhandled",
        },
        "responsePayload": error_payload(error, request_id),
    }


def sqs_record(message: dict[str, Any], queue_arn: str, region: str) -> dict[str, Any]:
    """One record of Lambda's SQS event, from a ReceiveMessage message."""
    record = {
        "messageId": message["MessageId"],
        "receiptHandle": message["ReceiptHandle"],
        "body": message["Body"],
        "attributes": message.get("Attributes", {}),
        "messageAttributes": {
            name: _lambda_message_attribute(value)
            for name, value in message.get("MessageAttributes", {}).items()
        },
        "md5OfBody": message["MD5OfBody"],
        "eventSource": "aws:sqs",
        "eventSourceARN": queue_arn,
        "awsRegion": region,
    }
    if "MD5OfMessageAttributes" in message:
        record["md5OfMessageAttributes"] = message["MD5OfMessageAttributes"]
    return record


def _lambda_message_attribute(value: dict[str, Any]) -> dict[str, Any]:
    attribute: dict[str, Any] = {
        "stringListValues": [],
        "binaryListValues": [],
        "dataType": value["DataType"],
    }
    if "StringValue" in value:
        attribute["stringValue"] = value["StringValue"]
    if "BinaryValue" in value:
        attribute["binaryValue"] = base64.b64encode(value["BinaryValue"]).decode()
    return attribute


def scheduled_event(region: str, account: str) -> dict[str, Any]:
    """EventBridge's event for a schedule rule's tick."""
    now = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    return {
        "version": "0",
        "id": str(uuid.uuid4()),
        "detail-type": "Scheduled Event",
        "source": "aws.events",
        "account": account,
        "time": now,
        "region": region,
        "resources": [],
        "detail": {},
    }
