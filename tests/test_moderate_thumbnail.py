"""The thumbnail handler end to end: EventBridge event in, decision log and chat event out.

S3 and DynamoDB are moto; Rekognition, IVS and IVS chat are Stubbers with expected_params,
so a request of the wrong shape fails the test.
"""

from __future__ import annotations

from decimal import Decimal

import boto3
import pytest
from chalicelib.core.config import ConfigError
from chalicelib.frames.event import ObjectCreated
from chalicelib.frames.moderator import ModerationIncomplete
from support import (
    BUCKET,
    CHANNEL_ARN,
    CHANNEL_NAME,
    CLEAN,
    OTHER_FRAME,
    RECORDING_ID,
    REGION,
    SEND,
    VIOLENCE,
    decisions,
    detect_params,
    incident_audits,
    incidents,
    moderation_labels,
    object_created,
    thumbnail_key,
    written,
)

HANDLER = "moderate_thumbnail"


def test_a_flagged_frame_opens_an_incident_announced_once_and_is_recorded(
    client, rekognition, ivschat, sent_events
):
    # GIVEN a thumbnail Rekognition finds violent at 96%
    key = thumbnail_key(12)
    event = written(key)
    rekognition.add_response("detect_moderation_labels", VIOLENCE, detect_params())
    ivschat.add_response("send_event", {"id": "AbCdEfGh1234"}, SEND)

    # WHEN its Object Created event arrives
    result = client.lambda_.invoke(HANDLER, event).payload

    # THEN the log holds the decision, joined to a new incident ...
    assert result["decision"] == "alert"
    [item] = decisions()
    assert item["channelArn"] == CHANNEL_ARN
    assert item["channelName"] == CHANNEL_NAME
    assert item["recordingId"] == RECORDING_ID
    assert item["thumbnailKey"] == key
    assert item["sequence"] == 12
    assert item["frameTime"] == "2026-11-21T10:00:12.000Z"
    assert item["decision"] == "alert"
    assert item["topLabel"] == "Graphic Violence"
    assert item["categories"] == [
        {"category": "Violence", "label": "Graphic Violence", "confidence": Decimal("96.4")}
    ]
    assert item["modelVersion"] == "7.0"
    assert [label["name"] for label in item["labels"]] == [
        "Violence",
        "Graphic Violence",
        "Weapon Violence",
    ]
    assert item["day"] == "2026-11-21"  # listed across channels
    [incident] = incidents()
    assert item["incidentId"] == incident["incidentId"] == result["incidentId"]
    assert item["delivery"] == "delivered"
    assert item["chatEventId"] == "AbCdEfGh1234"
    assert item["action"] == "none"
    assert item["expiresAt"] > 0
    # ... and the moderators' room heard of the incident, schema version 2
    [sent] = sent_events
    assert sent["schemaVersion"] == "2"
    assert sent["type"] == "incident-opened"
    assert sent["incidentId"] == incident["incidentId"]
    assert sent["channelArn"] == CHANNEL_ARN
    assert sent["channelName"] == CHANNEL_NAME
    assert sent["state"] == "open"
    assert sent["severity"] == "high"  # 96.4% >= 95%
    assert (sent["topLabel"], sent["topCategory"]) == ("Graphic Violence", "Violence")
    assert sent["frameCount"] == "1"
    assert sent["latestFrameKey"] == key


def test_clean_frame_is_recorded_and_nothing_is_sent(client, rekognition, ivschat):
    key = thumbnail_key(3)
    rekognition.add_response("detect_moderation_labels", CLEAN, detect_params())

    result = client.lambda_.invoke(HANDLER, written(key)).payload

    # ivschat has no stubbed response: any SendEvent would have failed the invoke
    assert result["decision"] == "clean"
    [item] = decisions()
    assert item["decision"] == "clean"
    assert item["labels"] == []
    assert item["delivery"] == "not-required"
    assert "day" not in item  # clean frames are listed per channel only
    assert incidents() == []


def test_labels_below_the_alert_threshold_are_clean(client, rekognition):
    key = thumbnail_key(4)
    labels = moderation_labels(("Violence", "", 1, 79.9), ("Weapons", "Violence", 2, 79.9))
    rekognition.add_response("detect_moderation_labels", labels, detect_params())

    assert client.lambda_.invoke(HANDLER, written(key)).payload["decision"] == "clean"
    assert decisions()[0]["decision"] == "clean"


def test_duplicate_delivery_gives_one_decision_and_one_event(
    client, rekognition, ivschat, sent_events
):
    key = thumbnail_key(12)
    event = written(key)
    rekognition.add_response("detect_moderation_labels", VIOLENCE, detect_params())
    ivschat.add_response("send_event", {"id": "AbCdEfGh1234"}, SEND)

    first = client.lambda_.invoke(HANDLER, event).payload
    # The same object, delivered again (a second event for the same write)
    again = client.lambda_.invoke(HANDLER, {**event, "id": "another-delivery"}).payload

    assert again == first
    assert len(decisions()) == 1
    assert len(sent_events) == 1


def test_overwritten_latest_thumbnail_is_a_new_frame(client, rekognition, ivschat):
    key = thumbnail_key(None)  # media/latest_thumbnail/thumb.jpg, overwritten every interval
    rekognition.add_response("detect_moderation_labels", CLEAN, detect_params())
    rekognition.add_response("detect_moderation_labels", CLEAN, detect_params(image=OTHER_FRAME))

    client.lambda_.invoke(HANDLER, written(key, sequencer="00AA"))
    client.lambda_.invoke(
        HANDLER, written(key, OTHER_FRAME, sequencer="00AB", time="2026-11-21T10:00:17Z")
    )

    assert [item["frameTime"] for item in decisions()] == [
        "2026-11-21T10:00:17.000Z",
        "2026-11-21T10:00:12.000Z",
    ]
    assert all("sequence" not in item for item in decisions())


def test_a_latest_write_overwritten_before_it_is_read_is_superseded_never_judged_by_the_next(
    client, rekognition, ivschat
):
    # GIVEN a violating LATEST write, overwritten by a clean one before its event is handled
    key = thumbnail_key(None)
    violating = written(key, OTHER_FRAME, sequencer="00AA")
    clean = written(key, sequencer="00AB", time="2026-11-21T10:00:17Z")
    # Only the newer write reaches Rekognition (the Stubber fails on any other call).
    rekognition.add_response("detect_moderation_labels", CLEAN, detect_params())

    # WHEN both events are handled, the older one last
    client.lambda_.invoke(HANDLER, clean)
    result = client.lambda_.invoke(HANDLER, violating).payload

    # THEN the overwritten write is recorded as superseded, not with the newer write's verdict
    assert result["decision"] == "superseded"
    newer, older = decisions()
    assert (newer["decision"], older["decision"]) == ("clean", "superseded")
    assert "labels" not in older and "day" not in older


def test_in_a_versioned_bucket_the_write_is_read_by_its_version_even_after_an_overwrite(
    client, rekognition, ivschat
):
    s3 = boto3.client("s3")
    s3.put_bucket_versioning(Bucket=BUCKET, VersioningConfiguration={"Status": "Enabled"})
    key = thumbnail_key(None)
    first = s3.put_object(Bucket=BUCKET, Key=key, Body=OTHER_FRAME)
    s3.put_object(Bucket=BUCKET, Key=key, Body=b"the next write")
    event = object_created(key, etag=first["ETag"].strip('"'))
    event["detail"]["object"]["version-id"] = first["VersionId"]
    rekognition.add_response("detect_moderation_labels", VIOLENCE, detect_params(image=OTHER_FRAME))
    ivschat.add_response("send_event", {"id": "AbCdEfGh1234"})

    assert client.lambda_.invoke(HANDLER, event).payload["decision"] == "alert"


def test_with_both_storages_a_frame_is_decided_once_by_its_sequential_copy(
    client, rekognition, ivschat, monkeypatch
):
    monkeypatch.setenv("THUMBNAIL_STORAGE", "SEQUENTIAL,LATEST")
    rekognition.add_response("detect_moderation_labels", VIOLENCE, detect_params())
    ivschat.add_response("send_event", {"id": "AbCdEfGh1234"})

    # IVS writes the frame twice: thumb12.jpg and latest_thumbnail/thumb.jpg
    sequential = client.lambda_.invoke(HANDLER, written(thumbnail_key(12))).payload
    latest = client.lambda_.invoke(HANDLER, written(thumbnail_key(None))).payload

    assert sequential["decision"] == "alert"
    assert latest == {"decision": "ignored", "key": thumbnail_key(None)}
    assert len(decisions()) == 1


@pytest.mark.parametrize("storage", ["LATEST", "SEQUENTIAL"])
def test_without_both_storages_every_latest_write_is_moderated(
    client, rekognition, monkeypatch, storage
):
    monkeypatch.setenv("THUMBNAIL_STORAGE", storage)  # SEQUENTIAL alone: LATEST is unexpected,
    rekognition.add_response("detect_moderation_labels", CLEAN, detect_params())  # still judged

    result = client.lambda_.invoke(HANDLER, written(thumbnail_key(None))).payload

    assert result["decision"] == "clean"


def test_content_types_and_the_adapter_that_answered_are_recorded(
    client, rekognition, ivschat, monkeypatch
):
    adapter = f"arn:aws:rekognition:{REGION}:123456789012:project/streams/version/v3/1732100000000"
    monkeypatch.setenv("MODERATION_ADAPTER_ARN", adapter)
    answer = {
        **VIOLENCE,
        "ContentTypes": [{"Name": "Animated", "Confidence": 91.5}],
        "ProjectVersion": adapter,
    }
    rekognition.add_response(
        "detect_moderation_labels", answer, {**detect_params(), "ProjectVersion": adapter}
    )
    ivschat.add_response("send_event", {"id": "AbCdEfGh1234"})

    client.lambda_.invoke(HANDLER, written(thumbnail_key(12)))

    [item] = decisions()
    assert item["contentTypes"] == [{"name": "Animated", "confidence": Decimal("91.5")}]
    assert item["adapterArn"] == adapter
    assert item["adapterAnswered"] is True


def test_an_expired_adapter_is_recorded_as_the_base_model_answering(
    client, rekognition, monkeypatch
):
    adapter = f"arn:aws:rekognition:{REGION}:123456789012:project/streams/version/v3/1732100000000"
    monkeypatch.setenv("MODERATION_ADAPTER_ARN", adapter)
    # Rekognition leaves ProjectVersion out when the adapter expired and the base model answered
    rekognition.add_response(
        "detect_moderation_labels", CLEAN, {**detect_params(), "ProjectVersion": adapter}
    )

    client.lambda_.invoke(HANDLER, written(thumbnail_key(12)))

    [item] = decisions()
    assert item["adapterAnswered"] is False


def test_an_object_too_large_to_be_a_thumbnail_is_unscannable_and_never_read_whole(
    client, rekognition
):
    huge = b"\xff\xd8" + bytes(5 * 1024 * 1024)

    result = client.lambda_.invoke(HANDLER, written(thumbnail_key(12), huge)).payload

    assert result["decision"] == "unscannable"
    assert decisions()[0]["unscannableReason"] == "ImageTooLargeException"


@pytest.mark.parametrize(
    "key",
    [
        "uploads/avatar.jpg",
        f"ivs/v1/123456789012/{'AbCdEfGh1234'}/2026/11/21/9/58/Rec0AbCdEfGh/media/hls/720p30/0.jpg",
        "ivs/v1/123456789012/AbCdEfGh1234/2026/13/21/9/58/Rec0AbCdEfGh/media/thumbnails/thumb1.jpg",
        # non-ASCII digits (Arabic-Indic), which `\\d` would accept
        "ivs/v1/123456789012/AbCdEfGh1234/٢٠٢٦/11/21/9/58/Rec0AbCdEfGh/media/thumbnails/thumb1.jpg",
        # a trailing newline, which `$` would accept
        "ivs/v1/123456789012/AbCdEfGh1234/2026/11/21/9/58/Rec0AbCdEfGh/media/thumbnails/thumb1.jpg\n",
        # a channel id no IVS channel has: its ARN would not fit IVS's 128 characters
        f"ivs/v1/123456789012/{'A' * 900}/2026/11/21/9/58/Rec0AbCdEfGh/media/thumbnails/thumb1.jpg",
    ],
)
def test_a_jpg_that_is_not_an_ivs_thumbnail_is_ignored(client, rekognition, ivschat, key):
    result = client.lambda_.invoke(HANDLER, object_created(key)).payload

    assert result == {"decision": "ignored", "key": key}
    assert decisions() == []


def test_an_object_of_another_bucket_is_ignored(client, rekognition):
    event = object_created(thumbnail_key(1), bucket="someone-elses-bucket")

    assert client.lambda_.invoke(HANDLER, event).payload["decision"] == "ignored"
    assert decisions() == []


@pytest.mark.parametrize(
    "code",
    [
        "InvalidImageFormatException",
        "ImageTooLargeException",
        "InvalidS3ObjectException",
        "InvalidParameterException",
    ],
)
def test_an_image_rekognition_cannot_scan_is_recorded_as_unscannable_and_told(
    client, rekognition, ivschat, code, sent_events
):
    key = thumbnail_key(7)
    rekognition.add_client_error(
        "detect_moderation_labels",
        service_error_code=code,
        service_message="Request has invalid image format",
        http_status_code=400,
        expected_params=detect_params(),
    )
    ivschat.add_response("send_event", {"id": "AbCdEfGh0001"}, SEND)

    result = client.lambda_.invoke(HANDLER, written(key)).payload

    assert result["decision"] == "unscannable"
    [item] = decisions()
    assert item["decision"] == "unscannable"
    assert item["unscannableReason"] == code
    assert item["delivery"] == "delivered"  # the team is blind on this frame: it was told
    [notice] = sent_events
    assert (notice["type"], notice["decision"]) == ("frames-failed", "unscannable")
    assert notice["error"].startswith(code)


def test_unscannable_frames_of_a_channel_are_told_once_per_interval(
    client, rekognition, ivschat, sent_events
):
    for _ in range(3):
        rekognition.add_client_error(
            "detect_moderation_labels", "InvalidImageFormatException", http_status_code=400
        )
    ivschat.add_response("send_event", {"id": "AbCdEfGh0001"}, SEND)

    for n in range(3):
        client.lambda_.invoke(HANDLER, written(thumbnail_key(n)))

    assert sorted(item["delivery"] for item in decisions()) == [
        "coalesced",
        "coalesced",
        "delivered",
    ]
    assert len(sent_events) == 1


def test_a_frame_recorded_failed_is_decided_when_its_event_comes_again(
    client, rekognition, ivschat, sent_events
):
    from support import FAILED_FRAMES_QUEUE, failure_record

    # GIVEN Lambda gave up on a frame: it is recorded failed
    event = written(thumbnail_key(12))
    ivschat.add_response("send_event", {"id": "AbCdEfGh0001"}, SEND)  # the blind notice
    sqs_event = client.events.generate_sqs_event([failure_record(event)], FAILED_FRAMES_QUEUE)
    client.lambda_.invoke("record_failed_frames", sqs_event)
    assert decisions()[0]["decision"] == "failed"
    # WHEN its event is delivered again (a replay from an archive, a late duplicate)
    rekognition.add_response("detect_moderation_labels", VIOLENCE, detect_params())
    ivschat.add_response("send_event", {"id": "AbCdEfGh0002"}, SEND)

    result = client.lambda_.invoke(HANDLER, {**event, "id": "a-replay"}).payload

    # THEN the frame is judged now, and the record keeps what happened before
    assert result["decision"] == "alert"
    [item] = decisions()
    assert item["decision"] == "alert"
    assert item["earlierFailure"]["attempts"] == 3
    assert sent_events[-1]["type"] == "incident-opened"


def test_a_thumbnail_deleted_before_it_is_read_is_unscannable(client, rekognition):
    # No object was written: the event outlived it
    result = client.lambda_.invoke(HANDLER, object_created(thumbnail_key(8))).payload

    assert result["decision"] == "unscannable"
    assert decisions()[0]["unscannableReason"] == "NoSuchKey"


def test_rekognition_failure_that_outlasts_retries_raises_and_a_retry_starts_afresh(
    client, rekognition, ivschat
):
    # GIVEN Rekognition still throttles after the client's own retries
    key = thumbnail_key(12)
    event = written(key)
    rekognition.add_client_error(
        "detect_moderation_labels",
        service_error_code="ProvisionedThroughputExceededException",
        http_status_code=400,
        expected_params=detect_params(),
    )
    # WHEN the event is handled THEN the invoke fails, so Lambda retries it
    with pytest.raises(Exception, match="ProvisionedThroughputExceeded"):
        client.lambda_.invoke(HANDLER, event)
    assert decisions() == []

    # AND Lambda's retry is not mistaken for a duplicate
    rekognition.add_response("detect_moderation_labels", VIOLENCE, detect_params())
    ivschat.add_response("send_event", {"id": "AbCdEfGh1234"}, SEND)
    assert client.lambda_.invoke(HANDLER, event).payload["delivery"] == "delivered"


def test_failed_send_keeps_the_decision_and_the_retry_delivers_it_once(
    client, rekognition, ivschat, sent_events
):
    key = thumbnail_key(12)
    event = written(key)
    rekognition.add_response("detect_moderation_labels", VIOLENCE, detect_params())
    ivschat.add_client_error(
        "send_event",
        service_error_code="ThrottlingException",
        http_status_code=429,
        expected_params=SEND,
    )

    # WHEN SendEvent fails after the client's retries THEN the invoke fails (Lambda retries) ...
    with pytest.raises(ModerationIncomplete):
        client.lambda_.invoke(HANDLER, event)
    # ... and the decision is recorded, its incident opened, the event marked not delivered
    [item] = decisions()
    assert item["decision"] == "alert"
    assert item["delivery"] == "failed"
    assert "ThrottlingException" in item["deliveryError"]
    [incident] = incidents()

    # WHEN Lambda retries THEN the announcement is delivered, without a second scan and
    # without counting the frame twice
    ivschat.add_response("send_event", {"id": "AbCdEfGh1234"}, SEND)
    assert client.lambda_.invoke(HANDLER, event).payload["delivery"] == "delivered"
    [item] = decisions()
    assert item["delivery"] == "delivered"
    assert item["chatEventId"] == "AbCdEfGh1234"
    [again] = incidents()
    assert again["frameCount"] == incident["frameCount"] == 1
    assert [event["type"] for event in sent_events] == ["incident-opened", "incident-opened"]


def test_auto_stop_revokes_the_key_stops_the_stream_and_resolves_its_incident(
    client, rekognition, ivschat, ivs, monkeypatch, sent_events
):
    monkeypatch.setenv("AUTO_STOP_THRESHOLDS", "Violence=95")
    monkeypatch.setenv("AUTO_STOP_REVOKE_STREAM_KEY", "true")
    key = thumbnail_key(12)
    event = written(key)
    key_arn = "arn:aws:ivs:us-west-2:123456789012:stream-key/g1H2I3j4k5L6"
    rekognition.add_response("detect_moderation_labels", VIOLENCE, detect_params())
    # In this order (the Stubber checks it): the keys go first, then the stream.
    ivs.add_response(
        "list_stream_keys",
        {"streamKeys": [{"arn": key_arn, "channelArn": CHANNEL_ARN, "tags": {}}]},
        {"channelArn": CHANNEL_ARN},
    )
    ivs.add_response("delete_stream_key", {}, {"arn": key_arn})
    ivs.add_response("stop_stream", {}, {"channelArn": CHANNEL_ARN})
    ivschat.add_response("send_event", {"id": "AbCdEfGh1234"}, SEND)

    result = client.lambda_.invoke(HANDLER, event).payload

    [incident] = incidents()
    assert result == {
        "decisionId": ObjectCreated.from_event(event).decision_id,
        "channelArn": CHANNEL_ARN,
        "decision": "auto-stop",
        "action": "stopped",
        "incidentId": incident["incidentId"],
        "delivery": "delivered",
    }
    [item] = decisions()
    assert item["streamKeysRevoked"] == 1
    assert (incident["state"], incident["resolution"]) == ("resolved", "stopped")
    assert incident["resolvedBy"] == "policy"
    assert incident["autoStop"]["action"] == "stopped"
    assert incident["autoStop"]["streamKeysRevoked"] == 1
    [sent] = sent_events
    assert (sent["severity"], sent["state"], sent["resolution"]) == (
        "critical",
        "resolved",
        "stopped",
    )
    assert sent["autoStop"] == "stopped"
    # Both transitions are audited: opened, and resolved by the policy
    assert [(a["action"], a["by"]) for a in incident_audits()] == [
        ("opened", "system"),
        ("resolved:stopped", "policy"),
    ]


def test_auto_stop_of_a_channel_already_offline_is_not_a_failure(
    client, rekognition, ivschat, ivs, monkeypatch
):
    monkeypatch.setenv("AUTO_STOP_THRESHOLDS", "Violence=95")
    key = thumbnail_key(12)
    event = written(key)
    rekognition.add_response("detect_moderation_labels", VIOLENCE, detect_params())
    ivs.add_client_error(
        "stop_stream",
        service_error_code="ChannelNotBroadcasting",
        http_status_code=404,
        expected_params={"channelArn": CHANNEL_ARN},
    )
    ivschat.add_response("send_event", {"id": "AbCdEfGh1234"}, SEND)

    assert client.lambda_.invoke(HANDLER, event).payload["action"] == "already-offline"


def test_failed_auto_stop_still_alerts_and_the_retry_stops_and_resolves_without_reopening(
    client, rekognition, ivschat, ivs, monkeypatch, sent_events
):
    monkeypatch.setenv("AUTO_STOP_THRESHOLDS", "Violence=95")
    key = thumbnail_key(12)
    event = written(key)
    rekognition.add_response("detect_moderation_labels", VIOLENCE, detect_params())
    ivs.add_client_error(
        "stop_stream", service_error_code="StreamUnavailable", http_status_code=503
    )
    ivschat.add_response("send_event", {"id": "AbCdEfGh1234"}, SEND)
    with pytest.raises(ModerationIncomplete):
        client.lambda_.invoke(HANDLER, event)
    assert decisions()[0]["action"] == "stop-failed"
    [incident] = incidents()
    assert incident["state"] == "open"  # moderators must stop it by hand: it says so
    assert sent_events[-1]["autoStop"] == "stop-failed"

    ivs.add_response("stop_stream", {}, {"channelArn": CHANNEL_ARN})
    ivschat.add_response("send_event", {"id": "AbCdEfGh1235"}, SEND)
    assert client.lambda_.invoke(HANDLER, event).payload["action"] == "stopped"
    assert decisions()[0]["action"] == "stopped"
    [incident] = incidents()
    assert (incident["state"], incident["resolution"], incident["frameCount"]) == (
        "resolved",
        "stopped",
        1,
    )
    assert [e["type"] for e in sent_events] == ["incident-opened", "incident-resolved"]


def test_ignored_categories_never_alert(client, rekognition, monkeypatch):
    monkeypatch.setenv("IGNORED_CATEGORIES", "Violence; Alcohol")
    key = thumbnail_key(12)
    rekognition.add_response("detect_moderation_labels", VIOLENCE, detect_params())

    assert client.lambda_.invoke(HANDLER, written(key)).payload["decision"] == "clean"


def test_min_confidence_setting_reaches_rekognition(client, rekognition, monkeypatch):
    monkeypatch.setenv("MIN_CONFIDENCE", "70")
    key = thumbnail_key(12)
    rekognition.add_response("detect_moderation_labels", CLEAN, detect_params(70.0))

    client.lambda_.invoke(HANDLER, written(key))


def test_a_bad_setting_fails_with_its_name(client, monkeypatch):
    monkeypatch.setenv("ALERT_THRESHOLDS", "*=80; Violense=60")

    with pytest.raises(ConfigError, match="ALERT_THRESHOLDS: unknown category 'Violense'"):
        client.lambda_.invoke(HANDLER, object_created(thumbnail_key(1)))


def test_the_handler_reads_the_recording_bucket_of_its_stage(app_module):
    [source] = [s for s in app_module.app.event_sources if s.name == HANDLER]
    assert source.event_pattern["detail"]["bucket"]["name"] == [BUCKET]
