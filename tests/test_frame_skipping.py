"""Near-duplicate frames reuse the last analysed clean decision instead of calling Rekognition.

Rekognition is a Stubber: a frame that should be analysed needs a stubbed answer, and one
that should be skipped must not use one (the fixture fails on a pending answer, the stub
on an unexpected call).
"""

from __future__ import annotations

import pytest
from support import (
    CLEAN,
    OTHER_FRAME,
    VIOLENCE,
    decisions,
    detect_params,
    jpeg,
    thumbnail_key,
    written,
)

from chalicelib.similarity import NotAnImage, dhash, distance

HANDLER = "moderate_thumbnail"


def studio(n: int) -> bytes:
    """A static scene with a small clock in a corner: every frame's bytes differ a little."""

    def draw(d):
        d.ellipse((40, 40, 140, 140), fill=(230, 230, 230))
        d.text((270, 165), f"{n:02d}", fill=(255, 255, 255))

    return jpeg(draw)


def at(second: int) -> str:
    return f"2026-11-21T10:{second // 60:02d}:{second % 60:02d}Z"


def frame(client, n: int, body: bytes, second: int):
    event = written(thumbnail_key(n), body, sequencer=f"00{n:04d}", time=at(second))
    return client.lambda_.invoke(HANDLER, event).payload


def test_similar_frames_hash_close_and_different_scenes_far():
    assert distance(dhash(studio(1)), dhash(studio(1))) == 0
    assert distance(dhash(studio(1)), dhash(studio(59))) <= 4
    assert distance(dhash(studio(1)), dhash(OTHER_FRAME)) > 10
    with pytest.raises(NotAnImage):
        dhash(b"not an image")


def test_a_static_scene_is_analysed_once_and_the_decision_reused(client, rekognition):
    rekognition.add_response("detect_moderation_labels", CLEAN, detect_params(image=studio(0)))

    results = [frame(client, n, studio(n), second=n * 5) for n in range(6)]

    assert [r["decision"] for r in results] == ["clean"] * 6
    first, *skipped = reversed(decisions())  # oldest first
    assert "skipped" not in first
    assert all(item["skipped"] is True for item in skipped)
    assert {item["reusedDecisionId"] for item in skipped} == {first["decisionId"]}
    assert all(item["hashDistance"] <= 4 for item in skipped)


def test_a_violating_frame_after_a_run_of_near_identical_clean_frames_is_analysed(
    client, rekognition, ivschat
):
    rekognition.add_response("detect_moderation_labels", CLEAN, detect_params(image=studio(0)))
    for n in range(4):
        frame(client, n, studio(n), second=n * 5)
    # THEN the scene changes: a weapon fills the frame
    rekognition.add_response("detect_moderation_labels", VIOLENCE, detect_params(image=OTHER_FRAME))
    ivschat.add_response("send_event", {"id": "AbCdEfGh1234"})

    result = frame(client, 4, OTHER_FRAME, second=20)

    assert result["decision"] == "alert"
    assert result["delivery"] == "delivered"


def test_frames_after_a_flagged_frame_are_always_analysed(client, rekognition, ivschat):
    rekognition.add_response("detect_moderation_labels", VIOLENCE, detect_params(image=studio(0)))
    rekognition.add_response("detect_moderation_labels", VIOLENCE, detect_params(image=studio(1)))
    ivschat.add_response("send_event", {"id": "AbCdEfGh1234"})  # one incident, one event

    results = [frame(client, n, studio(n), second=n * 5) for n in range(2)]

    assert [r["decision"] for r in results] == ["alert", "alert"]


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
