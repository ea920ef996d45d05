"""The app's own EventBridge pattern, evaluated by moto's EventBridge on real S3 writes.

chalice.test does not apply event patterns, so the rule is put on moto's default bus with
a queue as its target; what reaches the queue is what would reach the Lambda function.
"""

from __future__ import annotations

import json

import boto3
from support import ACCOUNT, BUCKET, CHANNEL_ARN, REGION, VIOLENCE, decisions, thumbnail_key


def route_to_queue(pattern: dict) -> str:
    sqs = boto3.client("sqs")
    queue_url = sqs.create_queue(QueueName="moderate-thumbnail-target")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])[
        "Attributes"
    ]["QueueArn"]
    events = boto3.client("events")
    events.put_rule(Name="moderate-thumbnail", EventPattern=json.dumps(pattern))
    events.put_targets(Rule="moderate-thumbnail", Targets=[{"Id": "handler", "Arn": queue_arn}])
    return queue_url


def delivered(queue_url: str) -> list[dict]:
    sqs = boto3.client("sqs")
    bodies = []
    while messages := sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10).get(
        "Messages"
    ):
        for message in messages:
            bodies.append(json.loads(message["Body"]))
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    return bodies


def with_eventbridge_notifications(bucket: str) -> None:
    s3 = boto3.client("s3")
    if bucket != BUCKET:
        s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    s3.put_bucket_notification_configuration(
        Bucket=bucket, NotificationConfiguration={"EventBridgeConfiguration": {}}
    )


def test_only_jpg_objects_of_the_recording_bucket_reach_the_handler(app_module):
    # GIVEN the recording bucket and another one, both sending events to EventBridge,
    # and the app's rule (read from the app, not copied) on the default bus
    with_eventbridge_notifications(BUCKET)
    with_eventbridge_notifications("another-bucket")
    [source] = [s for s in app_module.app.event_sources if s.name == "moderate_thumbnail"]
    queue_url = route_to_queue(source.event_pattern)
    prefix = f"ivs/v1/{ACCOUNT}/AbCdEfGh1234/2026/11/21/9/58/Rec0AbCdEfGh"
    s3 = boto3.client("s3")

    # WHEN IVS writes a recording's objects, and someone writes elsewhere
    for key in (
        f"{prefix}/events/recording-started.json",
        f"{prefix}/media/hls/720p30/playlist.m3u8",
        f"{prefix}/media/hls/720p30/0.ts",
        f"{prefix}/media/thumbnails/thumb12.jpg",
        f"{prefix}/media/thumbnails/thumb13.png",
        f"{prefix}/media/latest_thumbnail/thumb.jpg",
    ):
        s3.put_object(Bucket=BUCKET, Key=key, Body=b"\xff\xd8\xff\xe0 frame")
    s3.put_object(Bucket="another-bucket", Key=f"{prefix}/media/thumbnails/thumb1.jpg", Body=b"x")

    # THEN only the two thumbnails of the recording bucket are routed
    routed = delivered(queue_url)
    assert sorted(event["detail"]["object"]["key"] for event in routed) == [
        f"{prefix}/media/latest_thumbnail/thumb.jpg",
        f"{prefix}/media/thumbnails/thumb12.jpg",
    ]
    assert {event["detail"]["bucket"]["name"] for event in routed} == {BUCKET}


def test_a_routed_event_is_moderated_by_the_handler(app_module, client, rekognition, ivschat):
    # GIVEN the rule routing to a queue, as EventBridge would to the function
    with_eventbridge_notifications(BUCKET)
    [source] = [s for s in app_module.app.event_sources if s.name == "moderate_thumbnail"]
    queue_url = route_to_queue(source.event_pattern)
    key = thumbnail_key(12)
    rekognition.add_response("detect_moderation_labels", VIOLENCE)
    ivschat.add_response("send_event", {"id": "AbCdEfGh1234"})

    # WHEN a thumbnail is written and the event EventBridge produced is handled
    boto3.client("s3").put_object(Bucket=BUCKET, Key=key, Body=b"\xff\xd8\xff\xe0 frame")
    [event] = delivered(queue_url)
    result = client.lambda_.invoke("moderate_thumbnail", event).payload

    # THEN the frame is moderated from that event, as it would be in AWS
    assert result["decision"] == "alert"
    [item] = decisions()
    assert item["channelArn"] == CHANNEL_ARN
    assert item["thumbnailKey"] == key
    assert item["eventId"] == event["id"]
