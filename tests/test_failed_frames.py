"""Frames Lambda gave up on: the on-failure queue's records become decisions and a notice.

Records are Lambda's own invocation records (its developer guide's format), delivered by
Chalice's test client as an SQS event, as Lambda's event source mapping would.
"""

from __future__ import annotations

import json

import pytest
from botocore.exceptions import ClientError
from support import (
    CHANNEL_ARN,
    FAILED_FRAMES_QUEUE,
    SEND,
    VIOLENCE,
    decisions,
    detect_params,
    failure_record,
    incidents,
    object_created,
    thumbnail_key,
    written,
)
from tokens import signed_in

from chalicelib.frames.moderator import ModerationIncomplete

HANDLER = "record_failed_frames"


def deliver(client, *bodies: str):
    return client.lambda_.invoke(
        HANDLER, client.events.generate_sqs_event(list(bodies), FAILED_FRAMES_QUEUE)
    )


def test_a_frame_that_finally_failed_is_recorded_and_the_room_is_told(client, ivschat, sent_events):
    event = object_created(thumbnail_key(7))
    ivschat.add_response("send_event", {"id": "AbCdEfGh0001"}, SEND)

    deliver(client, failure_record(event, error="ThrottlingException: Rate exceeded"))

    [item] = decisions()
    assert item["decision"] == "failed"
    assert item["kind"] == "frame"
    assert item["channelArn"] == CHANNEL_ARN
    assert item["thumbnailKey"] == thumbnail_key(7)
    assert item["error"] == "ThrottlingException: Rate exceeded"
    assert item["attempts"] == 3
    assert item["condition"] == "RetriesExhausted"
    assert item["day"] == "2026-11-21"  # listed across channels
    [notice] = sent_events
    assert notice["type"] == "frames-failed"
    assert notice["channelArn"] == CHANNEL_ARN
    assert notice["channelName"] == "arena-shooter"
    assert notice["latestFrameKey"] == thumbnail_key(7)
    assert notice["attempts"] == "3"


def test_failures_of_one_channel_are_told_once_per_interval(client, ivschat, sent_events):
    ivschat.add_response("send_event", {"id": "AbCdEfGh0001"}, SEND)
    records = [failure_record(object_created(thumbnail_key(n))) for n in range(5)]

    deliver(client, *records)

    assert len(decisions()) == 5
    assert len(sent_events) == 1


def test_a_delivery_of_the_same_record_twice_records_one_decision(client, ivschat):
    ivschat.add_response("send_event", {"id": "AbCdEfGh0001"}, SEND)
    record = failure_record(object_created(thumbnail_key(7)))

    deliver(client, record)
    deliver(client, record)

    assert len(decisions()) == 1


def test_a_decided_frame_whose_announcement_never_went_out_is_announced_then(
    client, rekognition, ivschat, sent_events
):
    event = written(thumbnail_key(12))
    rekognition.add_response("detect_moderation_labels", VIOLENCE, detect_params())
    ivschat.add_client_error("send_event", "ThrottlingException", http_status_code=429)
    with pytest.raises(ModerationIncomplete):
        client.lambda_.invoke("moderate_thumbnail", event)
    ivschat.add_response("send_event", {"id": "AbCdEfGh0001"}, SEND)

    result = deliver(client, failure_record(event))

    [item] = decisions()
    assert item["decision"] == "alert"  # the decision stands ...
    assert item["finalFailure"]["attempts"] == 3  # ... says Lambda gave up on it ...
    assert item["delivery"] == "delivered"  # ... and was finished here: the room heard it
    opened = sent_events[-1]  # (sent_events holds every attempt, the failed one too)
    assert (opened["type"], opened["incidentId"]) == ("incident-opened", item["incidentId"])
    assert [r.get("finished") for r in result.payload] == [True]


def test_a_flagged_frame_whose_incident_write_fails_past_every_retry_reaches_the_queue(
    client, app_module, rekognition, ivschat, sent_events, jwks
):
    # GIVEN DynamoDB refuses every transaction (the incident's write) while Lambda tries
    event = written(thumbnail_key(13))
    rekognition.add_response("detect_moderation_labels", VIOLENCE, detect_params())
    dynamodb = app_module.aws_client("dynamodb")

    def refuse(**_):
        raise ClientError({"Error": {"Code": "InternalServerError", "Message": "down"}}, "Tx")

    dynamodb.meta.events.register_first("before-call.dynamodb.TransactWriteItems", refuse)
    try:
        for _ in range(3):  # the invoke and Lambda's two retries
            with pytest.raises((ModerationIncomplete, ClientError)):
                client.lambda_.invoke("moderate_thumbnail", event)
    finally:
        dynamodb.meta.events.unregister("before-call.dynamodb.TransactWriteItems", refuse)
    [item] = decisions()
    assert (item["decision"], item["incident"]) == ("alert", "pending")
    assert incidents() == []

    # WHEN Lambda's invocation record reaches the on-failure queue
    ivschat.add_response("send_event", {"id": "AbCdEfGh0001"}, SEND)
    deliver(client, failure_record(event))

    # THEN the frame is in the queue (GET /incidents), and the room heard of it, once
    listed = client.http.get("/incidents", headers=signed_in()).json_body["items"]
    assert [i["incidentId"] for i in listed] == [decisions()[0]["incidentId"]]
    assert [e["type"] for e in sent_events] == ["incident-opened"]


def test_a_decided_frame_that_cannot_be_finished_either_is_told_and_tried_again(
    client, rekognition, ivschat, sent_events
):
    event = written(thumbnail_key(14))
    rekognition.add_response("detect_moderation_labels", VIOLENCE, detect_params())
    ivschat.add_client_error("send_event", "ThrottlingException", http_status_code=429)
    with pytest.raises(ModerationIncomplete):
        client.lambda_.invoke("moderate_thumbnail", event)
    ivschat.add_client_error("send_event", "ThrottlingException", http_status_code=429)
    ivschat.add_response("send_event", {"id": "AbCdEfGh0001"}, SEND)  # the blind notice

    with pytest.raises(ModerationIncomplete):  # the batch fails: SQS delivers it again
        deliver(client, failure_record(event))

    assert decisions()[0]["delivery"] == "failed"
    assert sent_events[-1]["type"] == "frames-failed"
    assert sent_events[-1]["decision"] == "alert"
    ivschat.add_response("send_event", {"id": "AbCdEfGh0002"}, SEND)
    deliver(client, failure_record(event))  # the next delivery finishes it
    assert decisions()[0]["delivery"] == "delivered"


def test_a_record_that_names_no_frame_is_logged_and_dropped(client):
    result = deliver(client, "not json", json.dumps({"requestPayload": {"detail": 5}}))

    assert [r["recorded"] for r in result.payload] == ["nothing", "nothing"]
    assert decisions() == []


def test_a_failed_notice_leaves_the_record_for_another_try(client, ivschat):
    import pytest
    from botocore.exceptions import ClientError

    ivschat.add_client_error("send_event", "ThrottlingException", http_status_code=429)
    record = failure_record(object_created(thumbnail_key(7)))

    with pytest.raises(ClientError):
        deliver(client, record)
    ivschat.add_response("send_event", {"id": "AbCdEfGh0001"}, SEND)
    deliver(client, record)  # SQS delivers it again

    [item] = decisions()
    assert item["decision"] == "failed"
