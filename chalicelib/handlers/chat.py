"""The bodies of chat moderation's four functions (app.py; docs/chat-moderation.md).

What they are built from is in dependencies/chat.py; the review handler builds only its
store and queue client: nothing of the incidents, the deep pass or Comprehend is imported
on its 200 ms path.
"""

from __future__ import annotations

import base64
import dataclasses
import gzip
import json
import logging
import os
import re
from typing import Any

from chalicelib import dependencies
from chalicelib.core.observability import correlate
from chalicelib.dependencies import chat as built

logger = logging.getLogger(__name__)

LOG_STREAM = re.compile(r"^aws/IVSChatLogs/[\d.]+/room_([A-Za-z0-9]+)$")
SQS_BATCH = 10  # SendMessageBatch's most


# --- the functions ------------------------------------------------------------------------


def review_chat_message(event: Any) -> dict[str, Any]:
    return built.reviewer().review(event)


def chat_log_received(event: Any, context) -> dict[str, int]:
    """Chat logging's records (a CloudWatch Logs subscription) onto the deep pass's queue."""
    try:
        data = json.loads(gzip.decompress(base64.b64decode(event["awslogs"]["data"])))
    except (KeyError, TypeError, ValueError, OSError) as error:
        logger.error("not a CloudWatch Logs subscription event", extra={"error": str(error)})
        return {"queued": 0, "ignored": 1}
    if data.get("messageType") != "DATA_MESSAGE":  # CONTROL_MESSAGE: CloudWatch's probe
        return {"queued": 0, "ignored": 0}
    room_arn = _room_of(data.get("logStream", ""), context.invoked_function_arn)
    if not room_arn:  # not IVS chat logging's stream naming: nothing here can place it
        logger.error("chat log stream names no room", extra={"stream": data.get("logStream")})
    bodies, ignored = [], 0
    for log_event in data.get("logEvents", []):
        body = _queued(log_event.get("message", ""), room_arn)
        if body is None:
            ignored += 1
        else:
            bodies.append(body)
    queue_url = os.environ["CHAT_MESSAGES_QUEUE_URL"]
    sqs = dependencies.aws_client("sqs")
    for start in range(0, len(bodies), SQS_BATCH):
        entries = [
            {"Id": str(n), "MessageBody": json.dumps(body)}
            for n, body in enumerate(bodies[start : start + SQS_BATCH])
        ]
        answer = sqs.send_message_batch(QueueUrl=queue_url, Entries=entries)
        if answer.get("Failed"):  # raise: the subscription's invoke is retried
            raise RuntimeError(f"chat messages not queued: {answer['Failed']}")
    return {"queued": len(bodies), "ignored": ignored}


def moderate_chat_messages(bodies: list[str], context=None) -> list[dict[str, Any]]:
    from chalicelib.chat.analysis import MalformedMessage, QueuedMessage

    if context is not None:
        built.chat_idempotency_config().register_lambda_context(context)
    outcomes = []
    for body in bodies:
        try:
            message = QueuedMessage.from_body(json.loads(body))
        except (ValueError, MalformedMessage) as error:
            logger.error("not a chat message: dropped", extra={"error": str(error)})
            outcomes.append({"decision": "ignored", "reason": str(error)})
            continue
        correlate(room=message.room_arn, message=message.id)
        outcomes.append(_moderate_once(message))
    return outcomes


def chat_ban_lookup(event: Any) -> dict[str, Any]:
    """For the platform's token issuer: {roomArn, userId} -> is the user held out, and how."""
    if not isinstance(event, dict) or not all(
        isinstance(event.get(k), str) and event.get(k) for k in ("roomArn", "userId")
    ):
        return {"error": "give roomArn and userId, as strings"}
    ban = built.chat_store().ban_in_force(event["roomArn"], event["userId"], dependencies.now())
    if ban is None:
        return {"banned": False, "kind": "", "until": "", "reason": ""}
    return {
        "banned": True,
        "kind": ban["kind"],
        "until": ban.get("until", ""),
        "reason": ban.get("reason", ""),
    }


def _moderate_once(message) -> dict[str, Any]:
    from aws_lambda_powertools.utilities.idempotency.exceptions import (
        IdempotencyAlreadyInProgressError,
    )

    try:
        return built.moderate_once()(message=dataclasses.asdict(message))
    except IdempotencyAlreadyInProgressError:  # the other path's delivery is at work on it
        logger.info("message decided elsewhere at this moment: left to it")
        return {"decision": "duplicate-in-progress"}


def _room_of(log_stream: str, function_arn: str) -> str:
    match = LOG_STREAM.match(log_stream)
    parts = function_arn.split(":")  # arn:<partition>:lambda:<region>:<account>:function:<name>
    partition, region, account = parts[1], parts[3], parts[4]
    return f"arn:{partition}:ivschat:{region}:{account}:room/{match.group(1)}" if match else ""


def _queued(record_text: str, room_arn: str) -> dict[str, Any] | None:
    try:
        record = json.loads(record_text)
        payload = record["payload"]
        if record.get("type") != "MESSAGE" or not room_arn:
            return None
        return {
            "id": payload["Id"],
            "roomArn": room_arn,
            "userId": payload["Sender"]["UserId"],
            "content": payload.get("Content", ""),
            "attributes": payload.get("Attributes") or {},
            "sentAt": payload.get("SendTime") or record.get("event_timestamp"),
            "source": "log",
            "reviewed": "",
        }
    except (KeyError, TypeError, ValueError):
        logger.warning(
            "chat log record not a message: ignored", extra={"record": record_text[:200]}
        )
        return None
