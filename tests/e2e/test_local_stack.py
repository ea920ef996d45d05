"""End to end through the local stack, as a moderator and as IVS would use it.

Everything here goes over real HTTP and WebSocket connections; nothing is mocked.
"""

from __future__ import annotations

import asyncio
import json
import pathlib
import subprocess
import time

import aiohttp
from stack_helpers import (
    RECONNECT_AFTER,
    ROOT,
    SCENARIO,
    aws,
    channel,
    drain,
    emulator,
    frames_of,
    has_handler,
    is_live,
    listen,
    log_of,
    queue_depth,
    table,
    thumbnail_key,
    wait_for,
    write_frame,
)

from local.headless import command
from local.stack_client import api, sign_in


async def chat_events(
    stack: dict, token: str, action, wait: float, until=None
) -> list[tuple[float, dict]]:
    """Connect to the moderators' room with a token from POST /chat-token, run `action`,
    and collect the frames received for `wait` seconds (with when each arrived), or until
    `until(frames)` is true."""
    chat = api(stack, "POST", "/chat-token", token).json()
    received: list[tuple[float, dict]] = []
    async with (
        aiohttp.ClientSession() as session,
        session.ws_connect(chat["endpoint"], protocols=[chat["token"]]) as ws,
    ):
        await asyncio.to_thread(action)
        deadline = time.monotonic() + wait
        while (left := deadline - time.monotonic()) > 0:
            try:
                message = await ws.receive(timeout=left)
            except TimeoutError:
                break
            if message.type == aiohttp.WSMsgType.TEXT:
                received.append((time.monotonic(), json.loads(message.data)))
                if until is not None and until([frame for _, frame in received]):
                    break
    return received


# --- the tests ------------------------------------------------------------------------------


def moderation_events(frames, channel_id: str) -> list[tuple[float, dict]]:
    """The room's STREAM_MODERATION events about one channel (others come and go too:
    the simulated channels' incidents and live/offline states)."""
    return [
        (at, frame)
        for at, frame in frames
        if frame.get("EventName") == "STREAM_MODERATION"
        and frame["Attributes"]["channelArn"].endswith(f"channel/{channel_id}")
    ]


def test_a_violating_frame_reaches_the_moderators_room_within_two_seconds(stack):
    token = sign_in(stack)
    key = thumbnail_key(stack, "E2eViolent01", 7)
    written = {}

    def write() -> None:
        written["at"] = write_frame(stack, key, [{"Name": "Weapon Violence", "Confidence": 94.0}])

    frames = asyncio.run(chat_events(stack, token, write, wait=5))

    events = moderation_events(frames, "E2eViolent01")
    assert len(events) == 1, frames
    arrived, event = events[0]
    assert event["Type"] == "EVENT"
    attributes = event["Attributes"]
    assert attributes["schemaVersion"] == "2"
    assert attributes["type"] == "incident-opened"
    assert attributes["state"] == "open"
    assert attributes["latestFrameKey"] == key
    assert attributes["topLabel"] == "Weapon Violence"
    assert attributes["topCategory"] == "Violence"
    assert attributes["frameCount"] == "1"
    assert arrived - written["at"] < 2.0


def test_a_clean_frame_is_recorded_and_sends_nothing(stack):
    token = sign_in(stack)
    key = thumbnail_key(stack, "E2eCleanOne1", 3)
    channel_arn = f"arn:aws:ivs:{stack['region']}:{stack['account']}:channel/E2eCleanOne1"

    def write_and_wait_for_the_decision() -> None:
        write_frame(stack, key, [])

        def recorded():
            # clean frames are listed when asked for (GET /decisions leaves them out by default)
            path = f"/decisions?channelArn={channel_arn}&decision=clean"
            return api(stack, "GET", path, token).json()["items"]

        [item] = wait_for(recorded, 10, "the clean frame's decision")
        assert item["decision"] == "clean"
        assert item["thumbnailKey"] == key

    frames = asyncio.run(chat_events(stack, token, write_and_wait_for_the_decision, wait=1))

    assert moderation_events(frames, "E2eCleanOne1") == []


def test_stop_stream_with_key_revocation_takes_the_channel_offline_for_good(stack):
    token = sign_in(stack)
    channel_arn = channel(stack, "e2e-stop-and-revoke")
    wait_for(lambda: is_live(stack, channel_arn) and frames_of(stack, channel_arn), 15, "frames")

    response = api(
        stack,
        "POST",
        "/stop-stream",
        token,
        {"channelArn": channel_arn, "reason": "e2e: weapon on screen", "revokeStreamKey": True},
    )

    assert response.status_code == 200, response.text
    assert response.json()["outcome"] == "stopped"
    assert response.json()["streamKeysRevoked"] == 1
    assert not is_live(stack, channel_arn)
    written = len(frames_of(stack, channel_arn))
    time.sleep(RECONNECT_AFTER + 3)  # the encoder tries to reconnect, and is refused
    assert not is_live(stack, channel_arn)
    assert len(frames_of(stack, channel_arn)) <= written + 1  # one frame may have been in flight

    history = api(stack, "GET", f"/decisions?channelArn={channel_arn}", token).json()["items"]
    [stop] = [item for item in history if item["kind"] == "stop"]
    assert stop["moderatorName"] == "moderator"
    assert stop["outcome"] == "stopped"


def test_stopped_without_revocation_the_encoder_reconnects_as_a_new_recording(stack):
    token = sign_in(stack)
    channel_arn = channel(stack, "e2e-stop-and-reconnect")
    wait_for(lambda: is_live(stack, channel_arn) and frames_of(stack, channel_arn), 15, "frames")

    response = api(
        stack, "POST", "/stop-stream", token, {"channelArn": channel_arn, "reason": "e2e"}
    )

    assert response.status_code == 200, response.text
    assert not is_live(stack, channel_arn)
    again = api(stack, "POST", "/stop-stream", token, {"channelArn": channel_arn, "reason": "e2e"})
    assert again.status_code == 409  # already offline
    wait_for(lambda: is_live(stack, channel_arn), RECONNECT_AFTER + 10, "the encoder to reconnect")

    def recordings() -> set[str]:
        return {key.split("/")[9] for key in frames_of(stack, channel_arn)}

    wait_for(lambda: len(recordings()) == 2, 10, "frames of a second recording")


def test_a_signed_in_viewer_is_not_a_moderator(stack):
    token = sign_in(stack, "viewer")

    response = api(stack, "POST", "/chat-token", token)

    assert response.status_code == 403


def test_a_second_stack_in_the_same_place_says_so(stack):
    state = pathlib.Path(stack["state_dir"])

    result = subprocess.run(
        command(state, SCENARIO),
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=60,
    )

    assert result.returncode == 1
    assert "a local stack is already running" in result.stderr
    assert "Traceback" not in result.stderr


# --- the app's other event handlers: stream state, and frames that failed for good -----------


def test_an_encoder_session_keeps_the_channel_live_then_offline_through_ivs_events(stack):
    # GIVEN a channel of its own, and a rule of the test's own that sees the bus
    assert has_handler(stack, "stream_state_changed")
    token = sign_in(stack)
    ivs = aws(stack, "ivs")
    created = ivs.create_channel(name="e2e-session")
    channel_arn = created["channel"]["arn"]
    channel_id = channel_arn.rsplit("/", 1)[1]
    pattern = {"source": ["aws.ivs"], "resources": [channel_arn]}
    probe = listen(stack, "e2e-stream-state-probe", pattern)
    channels = table(stack, stack["channels_table"])
    rule_queue = stack["queues"]["stream_state_changed"]
    seen: list[dict] = []

    def channel() -> dict:
        return channels.get_item(Key={"channelArn": channel_arn}).get("Item", {})

    def session() -> None:
        # WHEN its encoder connects ...
        stream_key = created["streamKey"]["value"]
        connected = emulator(stack, "POST", "encoder/connect", {"streamKey": stream_key})
        seen.append(connected)
        wait_for(lambda: channel().get("live") is True, 10, "the channel recorded live")
        wait_for(lambda: queue_depth(stack, rule_queue) == 0, 10, "both live events handled")
        # IVS times its events to the second: the end must not share the start's second,
        # or the order the two are handled in (any, as in Lambda) would decide.
        time.sleep(1.1)
        # ... and disconnects
        emulator(stack, "POST", "encoder/disconnect", {"channelArn": channel_arn})
        wait_for(lambda: channel().get("live") is False, 10, "the channel recorded offline")

    def went_offline(frames: list[dict]) -> bool:
        return any(
            frame["Attributes"].get("type") == "channel-state"
            and frame["Attributes"].get("live") == "false"
            for _, frame in moderation_events([(0, f) for f in frames], channel_id)
        )

    frames = asyncio.run(chat_events(stack, token, session, wait=10, until=went_offline))

    # THEN IVS's three events were on the local EventBridge, as EventBridge delivers them
    [connected] = seen
    events = drain(stack, probe)
    assert [event["detail"]["event_name"] for event in events] == [
        "Session Created",
        "Stream Start",
        "Stream End",
    ]
    for event in events:
        assert (event["source"], event["detail-type"]) == ("aws.ivs", "IVS Stream State Change")
        assert event["resources"] == [channel_arn]
        assert event["detail"] == {
            "event_name": event["detail"]["event_name"],
            "channel_name": "e2e-session",
            "stream_id": connected["streamId"],
        }
    # AND the app's handler, reached through the app's own rule, recorded the channel
    item = channel()
    assert (item["live"], item["name"], item["streamId"]) == (
        False,
        "e2e-session",
        connected["streamId"],
    )
    assert item["liveAt"] == events[2]["time"].replace("Z", ".000Z")  # the end's own time
    # AND told the moderators' room: live, then offline
    states = [
        frame["Attributes"]["live"]
        for _, frame in moderation_events(frames, channel_id)
        if frame["Attributes"]["type"] == "channel-state"
    ]
    assert states[-1] == "false" and "true" in states[:-1], states
    assert queue_depth(stack, rule_queue) == 0
    assert queue_depth(stack, stack["dead_letter_queues"]["stream_state_changed"]) == 0
    assert "stream_state_changed failed" not in log_of(stack, "relay")


def test_a_frame_rekognition_never_answers_ends_in_the_failed_frames_handler(quiet_stack):
    """Rekognition fails every call: the thumbnail handler fails 3 times (Lambda's retries),
    Lambda's invocation record goes to the failed-frames queue, and the app's handler of
    that queue records the frame as failed and tells the moderators."""
    stack = quiet_stack
    assert has_handler(stack, "record_failed_frames")
    token = sign_in(stack)
    key = thumbnail_key(stack, "E2eFailing01", 4)
    channel_arn = f"arn:aws:ivs:{stack['region']}:{stack['account']}:channel/E2eFailing01"
    emulator(stack, "PUT", "faults", {"rekognition": {"error_rate": 1.0}})
    try:

        def told(frames: list[dict]) -> bool:
            return any(
                frame["Attributes"]["type"] == "frames-failed"
                for _, frame in moderation_events([(0, f) for f in frames], "E2eFailing01")
            )

        frames = asyncio.run(
            chat_events(
                stack,
                token,
                lambda: write_frame(stack, key, [{"Name": "Weapon Violence", "Confidence": 94.0}]),
                wait=90,
                until=told,
            )
        )
    finally:
        emulator(stack, "DELETE", "faults")

    # Three attempts (two retries), then one record; nothing left behind in any queue.
    relay_log = log_of(stack, "relay")
    assert relay_log.count("moderate_thumbnail failed (attempt") == 2
    assert relay_log.count("moderate_thumbnail failed 3 times") == 1
    assert relay_log.count("invocation record sent") == 1
    wait_for(lambda: queue_depth(stack, stack["queue_url"]) == 0, 10, "the event deleted")
    wait_for(
        lambda: queue_depth(stack, stack["failed_frames_queue_url"]) == 0, 10, "the record read"
    )
    assert (
        stack["dead_letter_queues"]["record_failed_frames"]
        == (stack["failed_frames_dead_letter_url"])
    )
    for dead_letters in stack["dead_letter_queues"].values():
        assert queue_depth(stack, dead_letters) == 0

    # The moderators were told the channel has frames that could not be moderated ...
    [(_, event)] = moderation_events(frames, "E2eFailing01")
    attributes = event["Attributes"]
    assert attributes["type"] == "frames-failed"
    assert attributes["channelArn"] == channel_arn
    assert attributes["latestFrameKey"] == key
    assert attributes["decision"] == "failed"
    assert attributes["attempts"] == "3"
    assert "InternalServerError" in attributes["error"]
    # ... and the decision log has the frame as failed, with Lambda's account of it.
    history = api(stack, "GET", f"/decisions?channelArn={channel_arn}", token).json()["items"]
    [failed] = [item for item in history if item.get("decision") == "failed"]
    assert failed["thumbnailKey"] == key
    assert (failed["attempts"], failed["condition"]) == (3, "RetriesExhausted")
    assert failed["errorType"] == "InternalServerError"


def test_a_stream_that_ends_resolves_its_untouched_incident_and_the_room_hears_it(stack):
    # GIVEN a live channel of its own with an open incident
    token = sign_in(stack)
    ivs = aws(stack, "ivs")
    created = ivs.create_channel(name="e2e-ends-incident")
    channel_arn = created["channel"]["arn"]
    channel_id = channel_arn.rsplit("/", 1)[1]
    emulator(stack, "POST", "encoder/connect", {"streamKey": created["streamKey"]["value"]})
    time.sleep(1.1)  # IVS times events to the second: the end after the start's second

    def incident() -> dict | None:
        items = api(stack, "GET", "/incidents", token).json()["items"]
        return next((i for i in items if i["channelArn"] == channel_arn), None)

    def session() -> None:
        labels = [{"Name": "Middle Finger", "Confidence": 91.0}]
        write_frame(stack, thumbnail_key(stack, channel_id, 1), labels)
        wait_for(incident, 10, "the incident opened")
        # WHEN the encoder leaves (IVS sends Stream End)
        emulator(stack, "POST", "encoder/disconnect", {"channelArn": channel_arn})
        wait_for(lambda: incident()["state"] == "resolved", 15, "the incident resolved")

    def resolved(frames: list[dict]) -> bool:
        return any(
            frame["Attributes"].get("type") == "incident-resolved"
            for _, frame in moderation_events([(0, f) for f in frames], channel_id)
        )

    frames = asyncio.run(chat_events(stack, token, session, wait=20, until=resolved))

    # THEN the untouched incident is resolved as stream-ended, by the service ...
    final = incident()
    assert (final["state"], final["resolution"], final["resolvedBy"]) == (
        "resolved",
        "stream-ended",
        "system",
    )
    # ... and every moderator's room heard it open, the channel go offline, and it end
    kinds = [f["Attributes"]["type"] for _, f in moderation_events(frames, channel_id)]
    assert "incident-opened" in kinds and "channel-state" in kinds, kinds
    assert kinds.index("incident-opened") < kinds.index("incident-resolved"), kinds


def test_a_violation_whose_announcement_fails_past_every_retry_still_reaches_the_room_once(
    quiet_stack,
):
    """The room (ivschat) refuses every call while a violating frame is handled: the
    handler fails 3 times, the failed-frames handler cannot finish it either and fails its
    batch; once the room answers again, SQS's next delivery finishes it: the incident is in
    the queue and the room hears it opened, once."""
    stack = quiet_stack
    token = sign_in(stack)
    channel_id = "E2eUntold001"
    channel_arn = f"arn:aws:ivs:{stack['region']}:{stack['account']}:channel/{channel_id}"
    emulator(stack, "PUT", "faults", {"ivschat": {"error_rate": 1.0}})
    try:
        write_frame(
            stack,
            thumbnail_key(stack, channel_id, 1),
            [{"Name": "Weapon Violence", "Confidence": 94.0}],
        )
        wait_for(
            lambda: "record_failed_frames failed on a batch" in log_of(stack, "relay"),
            60,
            "the failed-frames handler to fail its batch while the room is down",
        )
    finally:
        emulator(stack, "DELETE", "faults")

    def listed():
        items = api(stack, "GET", f"/incidents?channelArn={channel_arn}", token).json()["items"]
        return items or None

    [incident] = wait_for(listed, 30, "the incident in the queue")

    def opened():
        calls = emulator(stack, "GET", "calls?service=ivschat&operation=SendEvent")["calls"]
        told = [
            c
            for c in calls
            if c["outcome"] == "ok"
            and c["params"]["attributes"].get("incidentId") == incident["incidentId"]
            and c["params"]["attributes"].get("type") == "incident-opened"
        ]
        return told or None

    assert len(wait_for(opened, 30, "the room to hear the incident opened")) == 1
    history = api(stack, "GET", f"/decisions?channelArn={channel_arn}", token).json()["items"]
    [decided] = [item for item in history if item.get("decision") == "alert"]
    assert decided["delivery"] == "delivered"
    assert decided["finalFailure"]["condition"] == "RetriesExhausted"
