"""Frames decided by the channel's policy (docs/policies.md): every decision records the
policy and version that made it; a saved change reaches a warm container within
POLICY_REFRESH_SECONDS and not before; content-type rules; sampling (never on a watchlisted
channel, never after a flagged frame, never a recording's first frame); an auto-stop
watchlists the channel."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import boto3
import pytest
from support import (
    CHANNEL_ARN,
    CLEAN,
    POLICIES_TABLE,
    VIOLENCE,
    decisions,
    detect_params,
    moderation_labels,
    thumbnail_key,
    written,
)

from chalicelib.core.config import Settings
from chalicelib.core.times import parse_time
from chalicelib.policies.book import PolicyBook
from chalicelib.policies.model import PolicyDocument
from chalicelib.policies.store import PolicyStore

HANDLER = "moderate_thumbnail"
T0 = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)

ALCOHOL = moderation_labels(("Alcohol", "", 1, 70.0), ("Drinking", "Alcohol Use", 3, 70.0))


class Clock:
    def __init__(self) -> None:
        self.at = T0

    def __call__(self) -> datetime:
        return self.at


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def store(aws) -> PolicyStore:
    return PolicyStore(boto3.client("dynamodb"), POLICIES_TABLE)


@pytest.fixture
def book(app_module, store, clock, monkeypatch) -> PolicyBook:
    """The warm container's book, on a clock the test moves."""
    import os

    from chalicelib import dependencies

    built = PolicyBook.of_stage(store, Settings.from_env(os.environ), clock=clock)
    monkeypatch.setattr(dependencies, "policy_book", lambda: built)
    return built


def save(store, name: str, raw: dict, version: int = 0, channel: str | None = CHANNEL_ARN):
    head = store.save(
        name, PolicyDocument.parse(raw, name), expected_version=version, by="ana", at=T0
    )
    if channel and version == 0:
        store.assign(channel, name, by="ana", at=T0)
    return head


def frame(client, n: int, second: int, recording: str = "Rec0AbCdEfGh") -> dict:
    at = T0 + timedelta(seconds=second)
    event = written(
        thumbnail_key(n, recording=recording),
        sequencer=f"00{n:04d}",
        time=at.strftime("%Y-%m-%dT%H:%M:%SZ"),
    )
    return client.lambda_.invoke(HANDLER, event).payload


def oldest_first() -> list[dict]:
    return sorted(decisions(), key=lambda item: item["sortKey"])


def test_a_decision_records_the_policy_and_version_that_made_it(client, book, rekognition):
    rekognition.add_response("detect_moderation_labels", CLEAN, detect_params())

    frame(client, 1, 0)

    [item] = decisions()
    assert (item["policy"], item["policyVersion"], item["policyWhy"]) == (
        "default",
        0,
        "the stage default",
    )
    assert "watchlisted" not in item


def test_a_saved_change_decides_the_next_frame_within_the_refresh_time_and_not_before(
    client, book, store, clock, rekognition, ivschat
):
    lax = {"alert": {"*": 99}, "frameSkipping": False}
    save(store, "lax", lax)
    for _ in range(3):
        rekognition.add_response("detect_moderation_labels", VIOLENCE, detect_params())
    ivschat.add_response("send_event", {"id": "AbCdEfGh1234"})

    first = frame(client, 1, 0)  # the container reads the book now
    save(store, "lax", {**lax, "alert": {"*": 90}}, version=1)
    clock.at = T0 + timedelta(seconds=book.refresh.total_seconds() - 0.1)
    cached = frame(client, 2, 5)
    clock.at = T0 + book.refresh
    fresh = frame(client, 3, 10)

    assert [first["decision"], cached["decision"], fresh["decision"]] == ["clean", "clean", "alert"]
    assert [(d["policy"], d["policyVersion"]) for d in oldest_first()] == [
        ("lax", 1),
        ("lax", 1),
        ("lax", 2),
    ]


def test_a_content_types_rules_decide_frames_of_that_kind(client, book, store, rekognition):
    save(
        store,
        "games",
        {"alert": {"*": 80}, "contentTypes": {"Animated": {"alert": {"Violence": 99}}}},
    )
    cartoon = {**VIOLENCE, "ContentTypes": [{"Name": "Animated", "Confidence": 91.5}]}
    rekognition.add_response("detect_moderation_labels", cartoon, detect_params())

    assert frame(client, 1, 0)["decision"] == "clean"


def test_a_frame_within_the_interval_after_a_clean_analysed_frame_is_sampled(
    client, book, store, rekognition
):
    save(store, "calm", {"alert": {"*": 80}, "frameSkipping": False, "minFrameIntervalSeconds": 60})
    rekognition.add_response("detect_moderation_labels", CLEAN, detect_params())
    rekognition.add_response("detect_moderation_labels", CLEAN, detect_params())

    results = [
        frame(client, 1, 0),
        frame(client, 2, 30),
        frame(client, 3, 59),
        frame(client, 4, 60),
    ]

    assert [r["decision"] for r in results] == ["clean", "sampled", "sampled", "clean"]
    first, second, third, _ = oldest_first()
    assert second["coveredBy"] == third["coveredBy"] == first["decisionId"]
    assert (second["policy"], second["labels"]) == ("calm", [])


def test_sampling_never_follows_a_flagged_frame(client, book, store, rekognition, ivschat):
    save(store, "calm", {"alert": {"*": 80}, "frameSkipping": False, "minFrameIntervalSeconds": 60})
    rekognition.add_response("detect_moderation_labels", VIOLENCE, detect_params())
    rekognition.add_response("detect_moderation_labels", CLEAN, detect_params())
    ivschat.add_response("send_event", {"id": "AbCdEfGh1234"})

    results = [frame(client, 1, 0), frame(client, 2, 10)]

    assert [r["decision"] for r in results] == ["alert", "clean"]


def test_sampling_never_applies_to_a_watchlisted_channel(client, book, store, rekognition):
    save(store, "calm", {"alert": {"*": 95}, "frameSkipping": False, "minFrameIntervalSeconds": 60})
    store.put_watch(CHANNEL_ARN, hours=24, reason="stopped", by="ben", at=datetime.now(UTC))
    rekognition.add_response("detect_moderation_labels", CLEAN, detect_params())
    rekognition.add_response("detect_moderation_labels", CLEAN, detect_params())

    results = [frame(client, 1, 0), frame(client, 2, 10)]

    assert [r["decision"] for r in results] == ["clean", "clean"]
    assert all(d["watchlisted"] is True and d["policy"] == "calm" for d in oldest_first())


def test_the_first_frame_of_a_recording_is_never_sampled(client, book, store, rekognition):
    save(store, "calm", {"alert": {"*": 80}, "frameSkipping": False, "minFrameIntervalSeconds": 60})
    rekognition.add_response("detect_moderation_labels", CLEAN, detect_params())
    rekognition.add_response("detect_moderation_labels", CLEAN, detect_params())

    first = frame(client, 1, 0)
    next_recording = frame(client, 0, 10, recording="Rec1ZyXwVuTs")

    assert [first["decision"], next_recording["decision"]] == ["clean", "clean"]


def test_the_watchlist_policy_decides_a_watchlisted_channel_more_strictly(
    client, book, store, rekognition, ivschat
):
    store.put_watch(CHANNEL_ARN, hours=24, reason="warned", by="ben", at=datetime.now(UTC))
    rekognition.add_response("detect_moderation_labels", ALCOHOL, detect_params())
    ivschat.add_response("send_event", {"id": "AbCdEfGh1234"})

    # The stage's default alerts at 80; its watchlist policy, 20 points lower.
    assert frame(client, 1, 0)["decision"] == "alert"
    [item] = decisions()
    assert (item["policy"], item["watchlisted"]) == ("default", True)


def test_an_auto_stop_by_policy_puts_the_channel_on_the_watchlist(
    client, book, store, clock, rekognition, ivschat, ivs
):
    save(store, "strict", {"alert": {"*": 50}, "autoStop": {"Violence": 90}})
    save(store, "watchlist", {"alert": {"*": 40}, "watchHours": 6}, channel=None)
    rekognition.add_response("detect_moderation_labels", VIOLENCE, detect_params())
    ivs.add_response("stop_stream", {}, {"channelArn": CHANNEL_ARN})
    ivschat.add_response("send_event", {"id": "AbCdEfGh1234"})

    assert frame(client, 1, 0)["decision"] == "auto-stop"

    entry = store.watch(CHANNEL_ARN, datetime.now(UTC))
    assert entry["addedBy"] == "policy"
    added, until = parse_time(entry["addedAt"]), parse_time(entry["until"])
    assert until - added == timedelta(hours=6)  # the watchlist policy's watchHours
    assert "strict" in entry["reason"]
