"""One cold start of one Lambda function, run in a fresh process by bench/cold_start.py:

    python -m bench.cold_child app FUNCTION [ARG]     (ARG: the frame's path, or the token)
    python -m bench.cold_child floor FUNCTION

app:   import app.py, build the boto3 clients FUNCTION's first event builds, and handle that
       event as Lambda calls the function (`app.moderate_thumbnail(event, context)`, …; for
       the API `app.app(event, context)` with an API Gateway proxy event whose bearer token
       is verified against the user pool's JWKS, served by the parent on 127.0.0.1). A hook
       on each client answers in place of the network (after the request is serialised, as
       botocore's Stubber does). Nothing else is imported, so the figure is the app's, not
       the harness's.
floor: import boto3 and create the same clients, nothing else.

FUNCTION is one of FUNCTIONS; each names the clients its first event builds, and the app
run checks that it built those and no others, so the floor stays the function's own.
"""

import io
import os
import sys
import warnings

ACCOUNT, REGION = "123456789012", "us-west-2"
CHANNEL = f"arn:aws:ivs:{REGION}:{ACCOUNT}:channel/ColdStart001"
KEY = "ivs/v1/123456789012/ColdStart001/2026/11/21/10/0/RecCold00001/media/thumbnails/thumb0.jpg"

# Each Lambda function: the clients its first event builds (app run and floor alike).
FUNCTIONS = {
    "api": ("dynamodb", "ivschat"),  # GET /incidents: the incident store; the room's client
    "moderate_thumbnail": ("rekognition", "s3", "ivs", "ivschat", "dynamodb"),
    "stream_state_changed": ("ivs", "dynamodb", "ivschat"),
    "record_failed_frames": ("dynamodb", "ivs", "ivschat"),
    # the chat review: its own short-timeout clients (chat/review.py), not the app's
    "review_chat_message": ("dynamodb", "sqs"),
}


def floor(function: str) -> None:
    import boto3

    for service in FUNCTIONS[function]:
        boto3.client(service)


class Context:
    """What Lambda passes as the context, as far as the handlers use it."""

    function_version = "$LATEST"
    memory_limit_in_mb = 512
    aws_request_id = "00000000-0000-0000-0000-000000000001"

    def __init__(self, function: str) -> None:
        self.function_name = function
        self.invoked_function_arn = f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:{function}"

    def get_remaining_time_in_millis(self) -> int:
        return 60_000


def answer(client, responses: dict, calls: list) -> None:
    """Answer every call of `client` with `responses[operation]` ({} when not named) after
    the request is built, as botocore's Stubber does, but in any order: the handlers' order
    of calls is theirs to change. The operations called are appended to `calls`."""
    from botocore.awsrequest import AWSResponse

    def respond(model, **kwargs):
        calls.append(model.name)
        return AWSResponse(None, 200, {}, None), responses.get(model.name, {})

    client.meta.events.register_first("before-call.*.*", respond)


def answered(app, function: str, responses: dict) -> list:
    """Build FUNCTION's clients as its first event would, each answered from `responses`."""
    calls: list = []
    for service in FUNCTIONS[function]:
        answer(app.aws_client(service), responses.get(service, {}), calls)
    return calls


def built_only_its_clients(app, function: str) -> None:
    built = app.aws_client.cache_info().currsize
    expected = 0 if function == "review_chat_message" else len(FUNCTIONS[function])
    assert built == expected, f"{function} built {built} clients, not as listed"


def review_chat_message(app, _=None):
    """A clean message reviewed: the sender's bans and the room's terms read, the message
    queued for the deep pass (every client built from now on answers, through boto3's
    default session)."""
    import hashlib
    import json

    import boto3
    from botocore.awsrequest import AWSResponse

    calls: list = []

    def respond(model, params, **kwargs):
        calls.append(model.name)
        if model.name == "SendMessage":
            body = json.loads(params["body"])["MessageBody"]
            digest = hashlib.md5(body.encode()).hexdigest()  # SQS checks the body by MD5
            return AWSResponse(None, 200, {}, None), {"MessageId": "1", "MD5OfMessageBody": digest}
        if model.name == "BatchGetItem":
            return AWSResponse(None, 200, {}, None), {"Responses": {}}
        return AWSResponse(None, 200, {}, None), {"Items": [], "Count": 0}

    boto3.setup_default_session()
    boto3.DEFAULT_SESSION.events.register_first("before-call.*.*", respond)
    event = {
        "Content": "good game",
        "MessageId": "ColdMsg00001",
        "RoomArn": f"arn:aws:ivschat:{REGION}:{ACCOUNT}:room/ColdRoom0001",
        "Attributes": {},
        "Sender": {"Attributes": {}, "UserId": "viewer", "Ip": "203.0.113.1"},
    }
    answer = app.review_chat_message(event, Context("review_chat_message"))
    assert answer["ReviewResult"] == "ALLOW", answer
    assert {"BatchGetItem", "Query", "SendMessage"} <= set(calls), calls


def thumbnail_event(size: int) -> dict:
    bucket = os.environ["RECORDING_BUCKET"]
    return {
        "version": "0",
        "id": "0b0e9d36-1a3b-4e2c-9d0f-2c3a4b5c6d7e",
        "detail-type": "Object Created",
        "source": "aws.s3",
        "account": ACCOUNT,
        "time": "2026-11-21T10:00:00Z",
        "region": REGION,
        "resources": [f"arn:aws:s3:::{bucket}"],
        "detail": {
            "bucket": {"name": bucket},
            "object": {"key": KEY, "size": size, "etag": "e0", "sequencer": "00A"},
        },
    }


def moderate_thumbnail(app, frame_path: str):
    """A clean frame of a channel not seen before (its name from IVS)."""
    from botocore.response import StreamingBody

    with open(frame_path, "rb") as file:
        image = file.read()
    calls = answered(
        app,
        "moderate_thumbnail",
        {
            "ivs": {"GetChannel": {"channel": {"name": "cold-start"}}},
            "s3": {"GetObject": {"Body": StreamingBody(io.BytesIO(image), len(image))}},
            "rekognition": {
                "DetectModerationLabels": {"ModerationLabels": [], "ModerationModelVersion": "7.0"}
            },
        },
    )
    result = app.moderate_thumbnail(thumbnail_event(len(image)), Context("moderate_thumbnail"))
    assert result["decision"] == "clean", result
    assert {"GetObject", "DetectModerationLabels"} <= set(calls), calls


def stream_state_changed(app, _=None):
    """A channel goes live (IVS confirms it): its state recorded, the room told."""
    calls = answered(
        app,
        "stream_state_changed",
        {
            "ivs": {"GetStream": {"stream": {"channelArn": CHANNEL, "state": "LIVE"}}},
            "ivschat": {"SendEvent": {"id": "ColdEvent001"}},
        },
    )
    event = {
        "version": "0",
        "id": "5e7d1c2a-3b4f-4a6e-8d9c-0f1e2d3c4b5a",
        "detail-type": "IVS Stream State Change",
        "source": "aws.ivs",
        "account": ACCOUNT,
        "time": "2026-11-21T10:00:00Z",
        "region": REGION,
        "resources": [CHANNEL],
        "detail": {"event_name": "Stream Start", "channel_name": "cold-start", "stream_id": "st-1"},
    }
    result = app.stream_state_changed(event, Context("stream_state_changed"))
    assert result["applied"] and result["live"], result
    assert "SendEvent" in calls, calls


def record_failed_frames(app, _=None):
    """One SQS message: Lambda's invocation record of a frame whose retries ran out."""
    import json

    calls = answered(
        app,
        "record_failed_frames",
        {
            "ivs": {"GetChannel": {"channel": {"name": "cold-start"}}},
            "ivschat": {"SendEvent": {"id": "ColdEvent001"}},
        },
    )
    record = {
        "version": "1.0",
        "timestamp": "2026-11-21T10:03:12.000Z",
        "requestContext": {
            "requestId": "7c1d2e3f-4a5b-4c6d-8e9f-0a1b2c3d4e5f",
            "functionArn": f"arn:aws:lambda:{REGION}:{ACCOUNT}:function:moderate_thumbnail",
            "condition": "RetriesExhausted",
            "approximateInvokeCount": 3,
        },
        "requestPayload": thumbnail_event(48213),
        "responseContext": {"statusCode": 200, "functionError": "Unhandled"},
        "responsePayload": {"errorMessage": "Rate exceeded", "errorType": "ClientError"},
    }
    event = {
        "Records": [
            {
                "messageId": "0d1c2b3a-4f5e-4d6c-8b7a-9f8e7d6c5b4a",
                "receiptHandle": "ColdReceipt",
                "body": json.dumps(record),
                "attributes": {"ApproximateReceiveCount": "1"},
                "messageAttributes": {},
                "md5OfBody": "",
                "eventSource": "aws:sqs",
                "eventSourceARN": f"arn:aws:sqs:{REGION}:{ACCOUNT}:"
                + os.environ["FAILED_FRAMES_QUEUE"],
                "awsRegion": REGION,
            }
        ]
    }
    result = app.record_failed_frames(event, Context("record_failed_frames"))
    assert result[0]["recorded"] == "failed", result
    assert {"PutItem", "SendEvent"} <= set(calls), calls


def api(app, token: str):
    """A signed-in moderator's first request: GET /incidents (the dashboard's queue)."""
    calls = answered(app, "api", {"dynamodb": {"Query": {"Items": [], "Count": 0}}})
    headers = {
        "Accept": "application/json",
        "Authorization": f"Bearer {token}",
        "Host": "cold.execute-api.us-west-2.amazonaws.com",
    }
    event = {
        "resource": "/incidents",
        "path": "/incidents",
        "httpMethod": "GET",
        "headers": headers,
        "multiValueHeaders": {name: [value] for name, value in headers.items()},
        "queryStringParameters": None,
        "multiValueQueryStringParameters": None,
        "pathParameters": None,
        "stageVariables": None,
        "requestContext": {
            "resourcePath": "/incidents",
            "httpMethod": "GET",
            "path": "/api/incidents",
            "stage": "api",
            "accountId": ACCOUNT,
            "apiId": "cold",
            "requestId": "1a2b3c4d-5e6f-4a7b-8c9d-0e1f2a3b4c5d",
            "identity": {"sourceIp": "203.0.113.9"},
        },
        "body": None,
        "isBase64Encoded": False,
    }
    response = app.app(event, Context("api"))
    assert response["statusCode"] == 200, response
    assert "Query" in calls, calls


def app_first_event(function: str, arg: str | None) -> None:
    # Powertools warns when a function wrapped in log_metrics added none (a stream-state
    # event adds none): the app's to settle; here it would only clutter the bench's output.
    warnings.filterwarnings("ignore", "No application metrics to publish")
    with open(os.devnull, "w") as devnull:
        sys.stdout = devnull  # the handlers' logs and metrics: formatted, not shown
        import app

        app.logger.registered_handler.stream = devnull
        globals()[function](app, arg)
        sys.stdout = sys.__stdout__
    built_only_its_clients(app, function)


if __name__ == "__main__":
    mode, function, *rest = sys.argv[1:]
    if function not in FUNCTIONS:
        sys.exit(f"unknown function {function!r}: one of {', '.join(FUNCTIONS)}")
    if mode == "app":
        app_first_event(function, rest[0] if rest else None)
    else:
        floor(function)
