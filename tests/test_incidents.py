"""Incidents from flagged frames, end to end through the thumbnail handler.

S3 and DynamoDB are moto; Rekognition and IVS chat are Stubbers. Frame times are S3's
(the event's `time`); the service's clock for announcements is the wall clock, so tests
that need time to pass move the incident's `lastAnnouncedAt` back instead of sleeping.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from support import (
    CHANNEL_ARN,
    INCIDENTS_TABLE,
    SEND,
    channel,
    decisions,
    detect_params,
    incident_audits,
    incidents,
    jpeg,
    moderation_labels,
    thumbnail_key,
    written,
)

from chalicelib import dependencies
from chalicelib.channels.store import ChannelStore
from chalicelib.incidents.actions import resolve
from chalicelib.incidents.model import FlaggedFrame

HANDLER = "moderate_thumbnail"


def gesture(confidence: float) -> dict:
    return moderation_labels(
        ("Rude Gestures", "", 1, confidence), ("Middle Finger", "Rude Gestures", 2, confidence)
    )


GESTURE = gesture(88.0)
SMOKING = moderation_labels(
    ("Drugs & Tobacco", "", 1, 90.0), ("Smoking", "Drugs & Tobacco Paraphernalia & Use", 2, 90.0)
)
STRONG_GESTURE = gesture(97.0)


def frame_image(n: int) -> bytes:
    return jpeg(
        lambda d: d.rectangle((n * 7 % 200, 10, n * 7 % 200 + 60, 90), fill=(n * 40 % 255, 90, 30))
    )


def flag(client, rekognition, n: int, labels: dict, *, recording: str = "Rec0AbCdEfGh") -> dict:
    """Thumbnail `n` of a recording, `n` * 5 s after 10:00, found to have `labels`."""
    image = frame_image(n)
    rekognition.add_response("detect_moderation_labels", labels, detect_params(image=image))
    event = written(
        thumbnail_key(n, recording=recording),
        image,
        time=f"2026-11-21T10:{n * 5 // 60:02d}:{n * 5 % 60:02d}Z",
        sequencer=f"{n:08d}",
    )
    return client.lambda_.invoke(HANDLER, event).payload


def announced_long_ago(incident_id: str, seconds: int = 31) -> None:
    """Time passes for the incident's announcements (the service's clock is the wall clock)."""
    before = datetime.now(UTC) - timedelta(seconds=seconds)
    boto3.resource("dynamodb").Table(INCIDENTS_TABLE).update_item(
        Key={"incidentId": incident_id},
        UpdateExpression="SET lastAnnouncedAt = :t",
        ExpressionAttributeValues={":t": before.strftime("%Y-%m-%dT%H:%M:%S.000Z")},
    )


def test_a_violation_that_lasts_is_one_incident_announced_once(
    client, rekognition, ivschat, sent_events
):
    ivschat.add_response("send_event", {"id": "AbCdEfGh0001"}, SEND)

    results = [flag(client, rekognition, n, GESTURE) for n in range(4)]  # 20 s of one gesture

    [incident] = incidents()
    assert {r["incidentId"] for r in results} == {incident["incidentId"]}
    assert incident["frameCount"] == 4
    assert incident["state"] == "open"
    assert [f["decisionId"] for f in incident["frames"]] == [r["decisionId"] for r in results]
    assert incident["latestFrameKey"] == thumbnail_key(3)
    assert [e["type"] for e in sent_events] == ["incident-opened"]
    assert [a["action"] for a in incident_audits()] == ["opened"]


def test_a_new_category_or_a_higher_severity_is_announced(
    client, rekognition, ivschat, sent_events
):
    for n in range(3):
        ivschat.add_response("send_event", {"id": f"AbCdEfGh000{n}"}, SEND)

    flag(client, rekognition, 0, GESTURE)  # medium
    flag(client, rekognition, 1, SMOKING)  # a new category
    flag(client, rekognition, 2, STRONG_GESTURE)  # 97%: high severity

    [incident] = incidents()
    assert [e["type"] for e in sent_events] == [
        "incident-opened",
        "incident-updated",
        "incident-updated",
    ]
    assert set(incident["categories"]) == {"Rude Gestures", "Drugs & Tobacco"}
    assert incident["severity"] == "high"
    assert sent_events[-1]["severity"] == "high"
    assert sent_events[-1]["incidentVersion"] > sent_events[0]["incidentVersion"]


def test_still_flagging_is_announced_at_most_once_per_interval(
    client, rekognition, ivschat, sent_events
):
    ivschat.add_response("send_event", {"id": "AbCdEfGh0001"}, SEND)
    ivschat.add_response("send_event", {"id": "AbCdEfGh0002"}, SEND)
    flag(client, rekognition, 0, GESTURE)
    flag(client, rekognition, 1, GESTURE)  # within 30 s of the announcement: quiet
    [incident] = incidents()

    announced_long_ago(incident["incidentId"])
    flag(client, rekognition, 2, GESTURE)  # 31 s on: one "still flagging"
    flag(client, rekognition, 3, GESTURE)  # and not again

    assert [e["type"] for e in sent_events] == ["incident-opened", "incident-flagging"]
    assert sent_events[-1]["frameCount"] == "3"


def test_a_new_stream_session_opens_a_new_incident_and_ends_the_untouched_old_one(
    client, rekognition, ivschat, sent_events
):
    for n in range(3):
        ivschat.add_response("send_event", {"id": f"AbCdEfGh000{n}"}, SEND)
    flag(client, rekognition, 0, GESTURE, recording="Rec0AbCdEfGh")

    flag(client, rekognition, 1, GESTURE, recording="Rec1NewSessn")  # Stream End was lost

    old, new = incidents()
    assert (old["state"], old["resolution"]) == ("resolved", "stream-ended")
    assert (new["state"], new["sessionId"]) == ("open", "Rec1NewSessn")
    assert channel()["openIncidentId"] == new["incidentId"]
    assert sorted(e["type"] for e in sent_events) == [
        "incident-opened",
        "incident-opened",
        "incident-resolved",
    ]


def dismiss(incident_id: str, labels=(), minutes: int = 10) -> None:
    """A moderator dismisses the incident as a false positive (as the API does)."""
    from chalicelib.incidents.model import quiet_after_dismissal

    service = dependencies.incidents()
    changed, _ = service.transition(
        incident_id,
        lambda incident, now: resolve(incident, "maria", now, "dismissed", dismissedLabels=[]),
        event_type="incident-resolved",
        actor="maria",
    )
    quiet = quiet_after_dismissal(changed, labels, datetime.now(UTC), timedelta(minutes=minutes))
    dependencies.channel_store().set_quiet(changed["channelArn"], quiet)


def test_after_a_dismissal_the_same_labels_stay_quiet_but_another_category_opens_an_incident(
    client, rekognition, ivschat, sent_events
):
    for n in range(3):
        ivschat.add_response("send_event", {"id": f"AbCdEfGh000{n}"}, SEND)
    flag(client, rekognition, 0, GESTURE)
    [first] = incidents()
    dismiss(first["incidentId"])

    quiet = flag(client, rekognition, 1, GESTURE)  # the same gesture at the same confidence
    assert quiet["incidentId"] == ""
    assert decisions()[0]["incident"] == "suppressed"
    assert decisions()[0]["suppressedBy"] == first["incidentId"]
    assert len(incidents()) == 1

    flag(client, rekognition, 2, SMOKING)  # another category always opens one
    assert len(incidents()) == 2
    assert [e["type"] for e in sent_events] == [
        "incident-opened",
        "incident-resolved",
        "incident-opened",
    ]


def test_a_dismissed_label_much_surer_than_before_is_not_quiet(client, rekognition, ivschat):
    ivschat.add_response("send_event", {"id": "AbCdEfGh0001"}, SEND)
    ivschat.add_response("send_event", {"id": "AbCdEfGh0002"}, SEND)
    ivschat.add_response("send_event", {"id": "AbCdEfGh0003"}, SEND)
    flag(client, rekognition, 0, GESTURE)  # 88%
    [first] = incidents()
    dismiss(first["incidentId"])

    flag(client, rekognition, 1, STRONG_GESTURE)  # 97%: more than similar

    assert len(incidents()) == 2


def test_an_auto_stop_frame_always_opens_an_incident_even_in_quiet_time(
    client, rekognition, ivschat, ivs, monkeypatch
):
    monkeypatch.setenv("AUTO_STOP_THRESHOLDS", "Rude Gestures=85")
    monkeypatch.setenv("ALERT_THRESHOLDS", "*=80")
    for n in range(3):  # opened, dismissed, the auto-stop's incident opened (and resolved)
        ivschat.add_response("send_event", {"id": f"AbCdEfGh000{n}"}, SEND)
    ivs.add_response("stop_stream", {}, {"channelArn": CHANNEL_ARN})
    flag(client, rekognition, 0, gesture(82.0))
    [first] = incidents()
    dismiss(first["incidentId"])  # quiet for the gesture up to 87% ...

    result = flag(client, rekognition, 1, gesture(86.0))  # ... but 86% reaches auto-stop

    assert result["action"] == "stopped"
    assert len(incidents()) == 2


def test_quiet_time_ends(client, rekognition, ivschat):
    for n in range(3):
        ivschat.add_response("send_event", {"id": f"AbCdEfGh000{n}"}, SEND)
    flag(client, rekognition, 0, GESTURE)
    [first] = incidents()
    dismiss(first["incidentId"], minutes=0)

    flag(client, rekognition, 1, GESTURE)

    assert len(incidents()) == 2


class SerialDynamoDB:
    """DynamoDB applies each request atomically (a transaction's conditions and writes
    included); moto in-process does not when threads race (measured: 1 run in 20 let two
    conflicting transactions both succeed). The racing tests' client therefore sends one
    request at a time, as DynamoDB would apply them."""

    _lock = threading.Lock()

    def __init__(self, client) -> None:
        self._client = client

    def __getattr__(self, name: str):
        attribute = getattr(self._client, name)
        if not callable(attribute):
            return attribute

        def call(*args, **kwargs):
            with self._lock:
                return attribute(*args, **kwargs)

        return call


def racing_service(parties: int):
    """The app's incident service on a serialised DynamoDB client, its channel reads racing."""
    service = dependencies.incidents()
    dynamodb = SerialDynamoDB(boto3.client("dynamodb"))
    service.store.table._dynamodb = dynamodb
    service._channels = RacingChannels(dynamodb, service._channels.table.name, parties)
    return service


class RacingChannels(ChannelStore):
    """Lets `parties` callers read the channel before any of them writes: a real race."""

    def __init__(self, dynamodb, table: str, parties: int) -> None:
        super().__init__(dynamodb, table)
        self.barrier = threading.Barrier(parties, timeout=10)
        self.waited = threading.local()

    def get(self, channel_arn):
        item = super().get(channel_arn)
        if not getattr(self.waited, "once", False):  # each caller's first read only
            self.waited.once = True
            self.barrier.wait()
        return item


def flagged(n: int) -> FlaggedFrame:
    return FlaggedFrame(
        decision_id=f"{n:024d}",
        channel_arn=CHANNEL_ARN,
        channel_name="arena-shooter",
        session_id="Rec0AbCdEfGh",
        key=thumbnail_key(n),
        frame_time=f"2026-11-21T10:00:{n:02d}.000Z",
        decision="alert",
        action="none",
        top_label="Middle Finger",
        top_category="Rude Gestures",
        top_confidence=88.0,
        categories={"Rude Gestures": ("Middle Finger", 88.0)},
    )


def test_concurrent_frames_of_one_channel_never_open_two_incidents(app_module):
    service = racing_service(parties=4)
    outcomes = [None] * 4

    def record(n: int) -> None:
        outcomes[n] = service.record_frame(flagged(n))

    threads = [threading.Thread(target=record, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(15)

    [incident] = incidents()
    assert {outcome.incident_id for outcome in outcomes} == {incident["incidentId"]}
    assert incident["frameCount"] == 4
    assert sum(outcome.announce == "incident-opened" for outcome in outcomes) == 1


def test_two_moderators_resolving_at_once_one_wins_the_other_hears_who(app_module):
    service = racing_service(parties=1)
    service._send = lambda attributes: "AbCdEfGh0001"
    opened = service.record_frame(flagged(0))
    barrier = threading.Barrier(2, timeout=10)
    results: dict[str, object] = {}

    def act(name: str, resolution: str) -> None:
        def apply(incident, now):
            if incident["state"] == "open":
                barrier.wait()  # both saw it open
            return resolve(incident, name, now, resolution)

        try:
            results[name] = service.transition(
                opened.incident_id, apply, event_type="incident-resolved", actor=name
            )
        except Exception as error:  # the Conflict under test
            results[name] = error

    threads = [
        threading.Thread(target=act, args=("maria", "dismissed")),
        threading.Thread(target=act, args=("tom", "warned")),
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(15)

    errors = {n: r for n, r in results.items() if isinstance(r, Exception)}
    [(loser, error)] = errors.items()
    [winner] = set(results) - {loser}
    assert type(error).__name__ == "Conflict"
    assert f"by {winner} at" in str(error)
    [incident] = incidents()
    assert incident["resolvedBy"] == winner
    assert [a["action"] for a in incident_audits()].count("resolved:dismissed") + [
        a["action"] for a in incident_audits()
    ].count("resolved:warned") == 1


@pytest.mark.parametrize("event_name", ["Stream End", "Stream Failure"])
def test_a_stream_end_resolves_an_untouched_incident_and_says_the_channel_is_offline(
    client, rekognition, ivschat, ivs, sent_events, event_name
):
    from support import stream_state

    ivschat.add_response("send_event", {"id": "AbCdEfGh0001"}, SEND)
    flag(client, rekognition, 0, GESTURE)
    ivs.add_client_error(
        "get_stream", "ChannelNotBroadcasting", http_status_code=404,
        expected_params={"channelArn": CHANNEL_ARN},
    )  # fmt: skip
    ivschat.add_response("send_event", {"id": "AbCdEfGh0002"}, SEND)
    ivschat.add_response("send_event", {"id": "AbCdEfGh0003"}, SEND)

    client.lambda_.invoke("stream_state_changed", stream_state(CHANNEL_ARN, event_name))

    [incident] = incidents()
    assert (incident["state"], incident["resolution"], incident["resolvedBy"]) == (
        "resolved",
        "stream-ended",
        "system",
    )
    assert channel()["live"] is False
    assert [(e["type"], e.get("live")) for e in sent_events[1:]] == [
        ("channel-state", "false"),
        ("incident-resolved", None),
    ]


def test_a_late_stream_end_is_ignored_when_ivs_says_the_channel_is_live(
    client, ivs, ivschat, sent_events
):
    from support import stream_state

    ivs.add_response("get_stream", LIVE, {"channelArn": CHANNEL_ARN})

    result = client.lambda_.invoke("stream_state_changed", stream_state(CHANNEL_ARN, "Stream End"))

    assert result.payload["applied"] is False
    assert sent_events == []


LIVE = {"stream": {"channelArn": CHANNEL_ARN, "state": "LIVE", "health": "HEALTHY"}}


def test_a_late_stream_start_after_the_stream_ended_is_ignored(client, ivs, sent_events):
    from support import stream_state

    ivs.add_client_error("get_stream", "ChannelNotBroadcasting", http_status_code=404)

    result = client.lambda_.invoke(
        "stream_state_changed", stream_state(CHANNEL_ARN, "Stream Start")
    )

    assert result.payload == {"applied": False, "reason": "IVS (GetStream) says otherwise"}
    assert "live" not in channel()
    assert sent_events == []


def test_an_older_stream_state_never_overrides_a_newer_one(client, ivs, ivschat, sent_events):
    from support import stream_state

    ivs.add_response("get_stream", LIVE, {"channelArn": CHANNEL_ARN})
    ivs.add_response("get_stream", LIVE, {"channelArn": CHANNEL_ARN})
    ivschat.add_response("send_event", {"id": "AbCdEfGh0001"}, SEND)
    start = stream_state(CHANNEL_ARN, "Stream Start", time="2026-11-21T10:10:00Z")
    older = stream_state(CHANNEL_ARN, "Session Created", time="2026-11-21T10:09:00Z")

    client.lambda_.invoke("stream_state_changed", start)
    result = client.lambda_.invoke("stream_state_changed", older)

    assert result.payload == {"applied": False, "reason": "a newer state is recorded"}
    assert channel()["live"] is True
    assert channel()["liveAt"] == "2026-11-21T10:10:00.000Z"
    assert [e["type"] for e in sent_events] == ["channel-state"]


def test_a_frame_whose_decision_never_recorded_its_incident_announces_it_again(app_module):
    # GIVEN a frame opened an incident, and the write that records this on its decision
    # failed (the invoke fails; Lambda retries the frame)
    service = dependencies.incidents()
    first = service.record_frame(flagged(0))
    assert first.announce == "incident-opened"

    # WHEN the retry records the frame again, not knowing it joined
    again = service.record_frame(flagged(0))

    # THEN the frame is not counted twice, and the opening is announced (again): the first
    # announcement may never have gone out
    assert (again.incident_id, again.announce) == (first.incident_id, "incident-opened")
    [incident] = incidents()
    assert incident["frameCount"] == 1


def test_a_retried_frame_that_joined_long_ago_is_not_counted_twice(app_module):
    service = dependencies.incidents()
    opened = service.record_frame(flagged(0))
    for n in range(1, 35):  # more frames than the incident keeps
        service.record_frame(flagged(n))

    service.record_frame(flagged(1), known_incident=opened.incident_id)  # a late retry

    [incident] = incidents()
    assert incident["frameCount"] == 35


def test_a_transaction_lost_to_a_concurrent_one_is_a_lost_race_not_an_error():
    from botocore.stub import Stubber

    from chalicelib.core.dynamo import Put, Table, transact

    dynamodb = boto3.client("dynamodb", region_name="us-west-2")
    table = Table(dynamodb, "any", ("id",))
    with Stubber(dynamodb) as stub:
        stub.add_client_error(
            "transact_write_items",
            "TransactionCanceledException",
            "Transaction cancelled",
            400,
            modeled_fields={"CancellationReasons": [{"Code": "TransactionConflict"}]},
        )
        assert transact(dynamodb, [Put(table, {"id": "a"}, "attribute_not_exists(id)")]) is False
