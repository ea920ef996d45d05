"""One cold start, run in a fresh process by bench/cold_start.py:
`python -m bench.cold_child app FRAME.jpg` or `python -m bench.cold_child floor`.

app:   import app.py, build its real boto3 clients as the first event does, and handle that
       event (a clean frame) — botocore Stubbers answer in place of the network. Nothing
       else is imported, so the figure is the app's, not the harness's.
floor: import boto3 and create the same clients, nothing else.
"""

import sys

SERVICES = ("rekognition", "s3", "ivs", "ivschat", "dynamodb")


def floor() -> None:
    import boto3

    for service in SERVICES:
        boto3.client(service)


class Context:
    """What Lambda passes as the context, as far as the handler uses it."""

    function_name = "moderate_thumbnail"
    function_version = "$LATEST"
    invoked_function_arn = "arn:aws:lambda:us-west-2:123456789012:function:moderate_thumbnail"
    memory_limit_in_mb = 512
    aws_request_id = "00000000-0000-0000-0000-000000000001"

    def get_remaining_time_in_millis(self) -> int:
        return 60_000


def app_first_event(frame_path: str) -> None:
    import io
    import os

    from botocore.response import StreamingBody
    from botocore.stub import Stubber

    import app

    with open(frame_path, "rb") as file:
        image = file.read()
    # In the order the handler goes: idempotency record, the decision (none yet), the
    # channel (unseen: its name from IVS, remembered), the reference frame, the new
    # reference, the decision, the idempotency record completed.
    dynamodb = Stubber(app.aws_client("dynamodb"))
    operations = ("put_item", "get_item", "get_item", "update_item", "get_item", "put_item")
    for operation in (*operations, "put_item", "update_item"):
        dynamodb.add_response(operation, {})
    ivs = Stubber(app.aws_client("ivs"))
    ivs.add_response("get_channel", {"channel": {"name": "cold-start"}})
    s3 = Stubber(app.aws_client("s3"))
    s3.add_response("get_object", {"Body": StreamingBody(io.BytesIO(image), len(image))})
    rekognition = Stubber(app.aws_client("rekognition"))
    rekognition.add_response(
        "detect_moderation_labels", {"ModerationLabels": [], "ModerationModelVersion": "7.0"}
    )
    app.aws_client("ivschat")  # built on a cold start too
    for stub in (dynamodb, s3, rekognition, ivs):
        stub.activate()
    key = (
        "ivs/v1/123456789012/ColdStart001/2026/11/21/10/0/RecCold00001/media/thumbnails/thumb0.jpg"
    )
    event = {
        "version": "0",
        "id": "0b0e9d36-1a3b-4e2c-9d0f-2c3a4b5c6d7e",
        "detail-type": "Object Created",
        "source": "aws.s3",
        "account": "123456789012",
        "time": "2026-11-21T10:00:00Z",
        "region": "us-west-2",
        "resources": [f"arn:aws:s3:::{os.environ['RECORDING_BUCKET']}"],
        "detail": {
            "bucket": {"name": os.environ["RECORDING_BUCKET"]},
            "object": {"key": key, "size": len(image), "etag": "e0", "sequencer": "00A"},
        },
    }
    with open(os.devnull, "w") as devnull:
        app.logger.registered_handler.stream = devnull
        sys.stdout = devnull
        result = app.moderate_thumbnail(event, Context())
        sys.stdout = sys.__stdout__
    assert result["decision"] == "clean", result
    for stub in (dynamodb, s3, rekognition, ivs):
        stub.assert_no_pending_responses()


if __name__ == "__main__":
    if sys.argv[1] == "app":
        app_first_event(sys.argv[2])
    else:
        floor()
