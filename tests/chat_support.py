"""What the chat tests share: a viewers' room, IVS chat and Comprehend answered after
botocore has validated each request (moto has neither Comprehend nor IVS chat), and the
review request and queued message as IVS and the service write them."""

from __future__ import annotations

import base64
import gzip
import json
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import boto3
from botocore.awsrequest import AWSResponse
from support import ACCOUNT, CHANNEL_ARN, CHAT_MESSAGES_QUEUE, CHAT_TABLE, REGION

VIEWER_ROOM = f"arn:aws:ivschat:{REGION}:{ACCOUNT}:room/Viewers0001"
OTHER_ROOM = f"arn:aws:ivschat:{REGION}:{ACCOUNT}:room/Viewers0002"
QUEUE_URL = f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/{CHAT_MESSAGES_QUEUE}"
INSULT = {"INSULT": 0.93, "PROFANITY": 0.4}


def review_request(content: str = "hello all", *, user: str = "viewer1", **extra: Any) -> dict:
    """IVS chat's review request, as the docs give it."""
    return {
        "Content": content,
        "MessageId": extra.pop("message_id", "AbCdEf123456"),
        "RoomArn": extra.pop("room", VIEWER_ROOM),
        "Attributes": extra.pop("attributes", {}),
        "Sender": {"Attributes": {}, "UserId": user, "Ip": "203.0.113.7"},
        **extra,
    }


def queued(content: str, *, user: str = "viewer1", message_id: str = "Msg000000001", **extra):
    """A message on the chat queue, as the review handler or chat logging puts it."""
    return json.dumps(
        {
            "id": message_id,
            "roomArn": extra.pop("room", VIEWER_ROOM),
            "userId": user,
            "content": content,
            "attributes": extra.pop("attributes", {}),
            "sentAt": extra.pop("sent_at", datetime.now(UTC).isoformat()),
            "source": extra.pop("source", "review"),
            "reviewed": "ALLOW",
        }
    )


@dataclass
class ChatAws:
    """The calls the app made to IVS chat, Comprehend and Rekognition, and their answers."""

    calls: list[tuple[str, dict]] = field(default_factory=list)
    toxicity: dict[str, dict[str, float]] = field(default_factory=dict)  # text -> scores
    failing: dict[str, str] = field(default_factory=dict)  # operation -> error code
    room_tags: dict[str, str] = field(default_factory=lambda: {"moderation-channel": CHANNEL_ARN})
    image_labels: list[dict] = field(default_factory=list)

    def of(self, operation: str) -> list[dict]:
        return [params for name, params in self.calls if name == operation]

    def answer(self, operation: str, params: dict) -> dict:
        if operation == "DetectToxicContent":
            return {
                "ResultList": [
                    {
                        "Labels": [
                            {"Name": name, "Score": score}
                            for name, score in self.toxicity.get(segment["Text"], {}).items()
                        ],
                        "Toxicity": max(self.toxicity.get(segment["Text"], {0: 0.01}).values()),
                    }
                    for segment in params["TextSegments"]
                ]
            }
        if operation == "GetRoom":
            return {"arn": params["identifier"], "name": "arena-chat", "tags": self.room_tags}
        if operation == "DetectModerationLabels":
            return {"ModerationLabels": self.image_labels, "ModerationModelVersion": "7.0"}
        if operation == "DeleteMessage":
            return {"id": "Deleted00001"}
        if operation == "SendEvent":
            return {"id": "EvtAbCdEf123"}
        return {}


@contextmanager
def answered(clients: dict[str, Any]) -> Iterator[ChatAws]:
    """Each client's calls recorded and answered (ChatAws.answer) after validation."""
    aws = ChatAws()
    handlers: list[tuple[Any, str, Callable]] = []
    for service, client in clients.items():

        def before_call(model, params, _service=service, **_):
            body = json.loads(params["body"] or b"{}") if params.get("body") else {}
            if not body and params.get("query_string"):
                body = dict(params["query_string"])
            aws.calls.append((model.name, body))
            code = aws.failing.get(model.name)
            if code:
                error = {"__type": code, "message": "failing in this test", "Message": "failing"}
                status = 429 if "Throttl" in code else 500
                response = AWSResponse("https://aws.invalid", status, {}, None)
                return response, {"Error": {"Code": code, "Message": "failing"}, **error}
            return AWSResponse("https://aws.invalid", 200, {}, None), aws.answer(model.name, body)

        event = f"before-call.{client.meta.service_model.endpoint_prefix}"
        client.meta.events.register_first(event, before_call)
        handlers.append((client, event, before_call))
    try:
        yield aws
    finally:
        for client, event, handler in handlers:
            client.meta.events.unregister(event, handler)


def create_chat_queue() -> str:
    return boto3.client("sqs").create_queue(QueueName=CHAT_MESSAGES_QUEUE)["QueueUrl"]


def queued_bodies(queue_url: str, wait: int = 2) -> list[dict]:
    """What is on the queue, waiting up to `wait` s for it (the review queues with a delay)."""
    sqs = boto3.client("sqs")
    found = []
    while True:
        answer = sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0 if found else wait
        )
        messages = answer.get("Messages", [])
        if not messages:
            return found
        found += [json.loads(m["Body"]) for m in messages]
        for message in messages:
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])


def chat_items(prefix: str) -> list[dict]:
    items = boto3.resource("dynamodb").Table(CHAT_TABLE).scan()["Items"]
    return [item for item in items if item["pk"].startswith(prefix)]


def put_ban(user: str, *, kind: str = "ban", until: str = "", room: str = VIEWER_ROOM) -> None:
    from chalicelib.chat.store import ChatStore
    from chalicelib.core.dynamo import transact

    store = ChatStore(boto3.client("dynamodb"), CHAT_TABLE)
    ban = {"roomArn": room, "userId": user, "kind": kind, "until": until, "reason": "test"}
    transact(store.table.client, [store.ban_write({**ban, "by": "maria", "at": "2026-12-04"})])


def lambda_context(handler: str):
    """A Lambda context named as the deployed function would be."""
    from chalice.local import LambdaContext

    name = f"ivs-moderation-test-{handler}"
    context = LambdaContext(name, 256)
    context.invoked_function_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{name}"
    return context


def sqs_event(bodies) -> dict:
    """Lambda's SQS event of these bodies (local/lambda_payloads.py, as the relay gives it)."""
    from hashlib import md5

    from local.lambda_payloads import sqs_record

    queue_arn = f"arn:aws:sqs:{REGION}:{ACCOUNT}:test-chat-messages"
    records = [
        sqs_record(
            {
                "MessageId": f"m{n}",
                "ReceiptHandle": f"r{n}",
                "Body": body,
                "MD5OfBody": md5(body.encode()).hexdigest(),
            },
            queue_arn,
            REGION,
        )
        for n, body in enumerate(bodies)
    ]
    return {"Records": records}


def logs_event(records, *, kind="DATA_MESSAGE", stream="aws/IVSChatLogs/1.0/room_Viewers0001"):
    data = {
        "messageType": kind,
        "owner": ACCOUNT,
        "logGroup": "/ivs-moderation/chat",
        "logStream": stream,
        "subscriptionFilters": ["chat"],
        "logEvents": [
            {"id": str(n), "timestamp": 1764000000000, "message": json.dumps(record)}
            for n, record in enumerate(records)
        ],
    }
    return {"awslogs": {"data": base64.b64encode(gzip.compress(json.dumps(data).encode()))}}


def log_record(message_id: str, content: str) -> dict:
    """A chat logging record, as the IVS chat docs show one."""
    return {
        "event_timestamp": "2026-12-04T10:00:00.000Z",
        "type": "MESSAGE",
        "version": "1.0",
        "payload": {
            "Type": "MESSAGE",
            "Id": message_id,
            "RequestId": "abc",
            "Attributes": {},
            "Content": content,
            "SendTime": "2026-12-04T10:00:00.000Z",
            "Sender": {"UserId": "viewer9", "Attributes": {}},
        },
    }
