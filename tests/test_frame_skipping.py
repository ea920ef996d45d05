"""Near-duplicate frames reuse the last analysed clean decision instead of calling Rekognition.

Rekognition is a Stubber: a frame that should be analysed needs a stubbed answer, and one
that should be skipped must not use one (the fixture fails on a pending answer, the stub
on an unexpected call). Frames are real photographs as a camera delivers them
(local/footage.py): each one jittered, flickering, noisy and re-encoded.
"""

from __future__ import annotations

import functools

import boto3
import pytest
from support import (
    CHANNEL_ARN,
    CLEAN,
    DECISIONS_TABLE,
    VIOLENCE,
    decisions,
    detect_params,
    thumbnail_key,
    written,
)

from chalicelib.frames.change import THRESHOLD, compare, signature
from chalicelib.frames.skipping import REFERENCE_FRAME
from local.footage import ForeignObject, Scene

HANDLER = "moderate_thumbnail"


@functools.cache
def studio(n: int, obj: ForeignObject | None = None) -> bytes:
    """Frame n of a static camera on a photograph: the bytes of every frame differ."""
    return Scene("static", "chelsea", (640, 360), seed=77).frame(n, obj)


def at(second: int) -> str:
    return f"2026-11-21T10:{second // 60:02d}:{second % 60:02d}Z"


def frame(client, n: int, body: bytes, second: int):
    event = written(thumbnail_key(n), body, sequencer=f"00{n:04d}", time=at(second))
    return client.lambda_.invoke(HANDLER, event).payload


def reference_item() -> dict:
    key = {"channelArn": CHANNEL_ARN, "sortKey": REFERENCE_FRAME}
    return boto3.resource("dynamodb").Table(DECISIONS_TABLE).get_item(Key=key)["Item"]


def put_reference(signature_bytes: bytes | None, *, decision: str, second: int) -> None:
    item = {
        "channelArn": CHANNEL_ARN,
        "sortKey": REFERENCE_FRAME,
        "decisionId": "0123456789abcdef01234567",
        "frameTime": f"{at(second)[:-1]}.000Z",
        "decision": decision,
    }
    if signature_bytes is None:  # as the previous version left it: a perceptual hash
        item["fingerprint"] = "f0e1d2c3b4a59687"
    else:
        item["signature"] = signature_bytes
    boto3.resource("dynamodb").Table(DECISIONS_TABLE).put_item(Item=item)


def test_a_static_scene_is_analysed_once_and_the_decision_reused(client, rekognition):
    rekognition.add_response("detect_moderation_labels", CLEAN, detect_params(image=studio(0)))

    results = [frame(client, n, studio(n), second=n * 5) for n in range(6)]

    assert [r["decision"] for r in results] == ["clean"] * 6
    first, *skipped = reversed(decisions())  # oldest first
    assert "skipped" not in first
    assert all(item["skipped"] is True for item in skipped)
    assert {item["reusedDecisionId"] for item in skipped} == {first["decisionId"]}
    assert all(0 <= item["changeScore"] < THRESHOLD for item in skipped)
    # The reference keeps the analysed frame's signature, as DynamoDB binary.
    stored = reference_item()["signature"].value
    assert 1000 < len(stored) < 8 * 1024
    assert not compare(stored, stored).changed


def test_a_small_object_after_a_run_of_near_identical_clean_frames_is_analysed(
    client, rekognition, ivschat
):
    rekognition.add_response("detect_moderation_labels", CLEAN, detect_params(image=studio(0)))
    for n in range(4):
        frame(client, n, studio(n), second=n * 5)
    # THEN something comes into view, over 1% of the frame: a crop of another photograph
    violating = studio(4, ForeignObject("astronaut", 0.01, seed=3))
    rekognition.add_response("detect_moderation_labels", VIOLENCE, detect_params(image=violating))
    ivschat.add_response("send_event", {"id": "AbCdEfGh1234"})

    result = frame(client, 4, violating, second=20)

    assert result["decision"] == "alert"
    assert result["delivery"] == "delivered"


def test_frames_after_a_flagged_frame_are_always_analysed(client, rekognition, ivschat):
    rekognition.add_response("detect_moderation_labels", VIOLENCE, detect_params(image=studio(0)))
    rekognition.add_response("detect_moderation_labels", VIOLENCE, detect_params(image=studio(1)))
    ivschat.add_response("send_event", {"id": "AbCdEfGh1234"})  # one incident, one event

    results = [frame(client, n, studio(n), second=n * 5) for n in range(2)]

    assert [r["decision"] for r in results] == ["alert", "alert"]


@pytest.mark.parametrize("decision", ["unscannable", "alert", "auto-stop"])
def test_a_reference_that_is_not_clean_is_never_reused(client, rekognition, decision):
    # GIVEN the channel's reference is an analysed frame whose decision was not clean
    put_reference(signature(studio(0)), decision=decision, second=0)
    rekognition.add_response("detect_moderation_labels", CLEAN, detect_params(image=studio(1)))

    # WHEN a near-identical frame follows
    result = frame(client, 1, studio(1), second=5)

    # THEN it is analysed, not reused
    assert result["decision"] == "clean"
    assert not any(item.get("skipped") for item in decisions())


def test_a_reused_decision_is_never_older_than_the_maximum_age(client, rekognition, monkeypatch):
    monkeypatch.setenv("FRAME_SKIP_MAX_AGE_SECONDS", "12")
    rekognition.add_response("detect_moderation_labels", CLEAN, detect_params(image=studio(0)))
    rekognition.add_response("detect_moderation_labels", CLEAN, detect_params(image=studio(3)))

    for n in range(4):  # at 0, 5, 10 and 15 s: the frame at 15 s is 15 s after the analysed one
        frame(client, n, studio(n), second=n * 5)

    assert [item.get("skipped", False) for item in reversed(decisions())] == [
        False,
        True,
        True,
        False,
    ]


def test_a_frame_older_than_the_last_analysed_one_is_analysed(client, rekognition):
    rekognition.add_response("detect_moderation_labels", CLEAN, detect_params(image=studio(1)))
    rekognition.add_response("detect_moderation_labels", CLEAN, detect_params(image=studio(0)))

    frame(client, 1, studio(1), second=10)
    frame(client, 0, studio(0), second=5)  # delivered late

    assert not any(item.get("skipped") for item in decisions())
    assert reference_item()["frameTime"].startswith("2026-11-21T10:00:10")  # the newer one


def test_a_thumbnail_of_another_size_is_analysed(client, rekognition):
    hd = Scene("static", "chelsea", (1280, 720), seed=77).frame(1)
    rekognition.add_response("detect_moderation_labels", CLEAN, detect_params(image=studio(0)))
    rekognition.add_response("detect_moderation_labels", CLEAN, detect_params(image=hd))

    frame(client, 0, studio(0), second=0)
    frame(client, 1, hd, second=5)

    assert not any(item.get("skipped") for item in decisions())


def test_a_reference_without_a_signature_is_not_reused(client, rekognition):
    # GIVEN a channel reference left by the previous version (a perceptual hash, no signature)
    put_reference(None, decision="clean", second=0)
    rekognition.add_response("detect_moderation_labels", CLEAN, detect_params(image=studio(1)))

    result = frame(client, 1, studio(1), second=5)

    assert result["decision"] == "clean"
    assert not any(item.get("skipped") for item in decisions())


def test_with_skipping_off_every_frame_goes_to_rekognition(client, rekognition, monkeypatch):
    monkeypatch.setenv("FRAME_SKIP_ENABLED", "false")
    for n in range(2):
        rekognition.add_response("detect_moderation_labels", CLEAN, detect_params(image=studio(n)))

    for n in range(2):
        frame(client, n, studio(n), second=n * 5)

    assert not any(item.get("skipped") for item in decisions())


def test_an_unreadable_image_is_left_to_rekognition_to_judge(client, rekognition):
    rekognition.add_client_error(
        "detect_moderation_labels",
        "InvalidImageFormatException",
        http_status_code=400,
        expected_params=detect_params(image=b"GIF89a not a jpeg"),
    )

    result = frame(client, 0, b"GIF89a not a jpeg", second=0)

    assert result["decision"] == "unscannable"


def test_frames_after_an_unscannable_frame_are_analysed(client, rekognition):
    # GIVEN a clean reference, then a changed frame Rekognition cannot scan
    rekognition.add_response("detect_moderation_labels", CLEAN, detect_params(image=studio(0)))
    frame(client, 0, studio(0), second=0)
    odd = studio(1, ForeignObject("astronaut", 0.05, seed=5))
    rekognition.add_client_error(
        "detect_moderation_labels",
        "InvalidImageFormatException",
        http_status_code=400,
        expected_params=detect_params(image=odd),
    )
    assert frame(client, 1, odd, second=5)["decision"] == "unscannable"
    # WHEN the scene looks like the clean reference again
    rekognition.add_response("detect_moderation_labels", CLEAN, detect_params(image=studio(2)))
    result = frame(client, 2, studio(2), second=10)

    # THEN it is analysed: the unscannable frame is the reference now, never reused past
    assert result["decision"] == "clean"
    assert not decisions()[0].get("skipped")
