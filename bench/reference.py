"""A faithful port of the reference design's handler (the AWS blog's Node.js Lambda).

For every thumbnail it calls DetectModerationLabels on the S3 object and sends the labels
to the chat room. There is no policy, no decision log, no idempotency, and — as in the
original, where `if (labels)` is true for an empty array — an event goes out for every
frame, clean ones included. Ported to compare like with like, not to be used.
"""

from __future__ import annotations

import json


def handle(event: dict, rekognition, ivschat, room_arn: str) -> None:
    bucket = event["detail"]["bucket"]["name"]
    key = event["detail"]["object"]["key"]
    channel_id = key.split("/")[3]
    response = rekognition.detect_moderation_labels(
        Image={"S3Object": {"Bucket": bucket, "Name": key}}, MinConfidence=50
    )
    labels = response.get("ModerationLabels")
    if labels is not None:  # JavaScript: `if (labels)` — an empty array is truthy
        ivschat.send_event(
            roomIdentifier=room_arn,
            eventName="STREAM_MODERATION",
            attributes={
                "channelId": channel_id,
                "key": key,
                "labels": json.dumps(labels),
            },
        )
