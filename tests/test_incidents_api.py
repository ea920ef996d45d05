"""The moderators' queue through the API: incidents, their lifecycle, channels, stats.

Two moderators (maria and tom) sign in with real RS256 tokens; incidents come from flagged
frames handled by the real thumbnail handler (moto + Stubbers), as in production.
"""

from __future__ import annotations

import base64
import json
from urllib.parse import urlencode

import pytest
from support import (
    CHANNEL_ARN,
    SEND,
    channel,
    detect_params,
    incident_audits,
    incidents,
    jpeg,
    moderation_labels,
    thumbnail_key,
    written,
)
from tokens import id_token, signed_in

pytestmark = pytest.mark.usefixtures("jwks")

GESTURE = moderation_labels(
    ("Rude Gestures", "", 1, 88.0), ("Middle Finger", "Rude Gestures", 2, 88.0)
)
TOM = id_token(**{"sub": "7c3a4d2f-5e6b-4f8c-9d0e-1a2b3c4d5e6f", "cognito:username": "tom"})


def open_incident(client, rekognition, ivschat, n: int = 0, labels=GESTURE) -> str:
    image = jpeg(lambda d: d.ellipse((n * 9, 20, n * 9 + 50, 70), fill=(200, n * 30 % 255, 40)))
    rekognition.add_response("detect_moderation_labels", labels, detect_params(image=image))
    ivschat.add_response("send_event", {"id": f"AbCdEfGh{n:04d}"}, SEND)
    event = written(
        thumbnail_key(n), image, time=f"2026-11-21T10:00:{n:02d}Z", sequencer=f"{n:06d}"
    )
    return client.lambda_.invoke("moderate_thumbnail", event).payload["incidentId"]


def post(client, path: str, body=None, token: str | None = None):
    headers = {"Content-Type": "application/json", **signed_in(token)}
    return client.http.post(path, headers=headers, body=json.dumps(body or {}))


def get(client, path: str, params: dict | None = None, token: str | None = None):
    query = f"?{urlencode(params)}" if params else ""
    return client.http.get(path + query, headers=signed_in(token))


def test_the_queue_lists_open_incidents_with_their_state(client, rekognition, ivschat):
    incident_id = open_incident(client, rekognition, ivschat)

    response = get(client, "/incidents")

    assert response.status_code == 200
    [item] = response.json_body["items"]
    assert item["incidentId"] == incident_id
    assert item["channelName"] == "arena-shooter"
    assert item["state"] == "open"
    assert item["frameCount"] == 1
    assert item["categories"] == {"Rude Gestures": {"label": "Middle Finger", "confidence": 88}}
    assert "activeQueue" not in item and "lastAnnouncedAt" not in item


def test_one_incident_with_its_frames_links_and_trail(client, rekognition, ivschat):
    incident_id = open_incident(client, rekognition, ivschat)

    body = get(client, f"/incidents/{incident_id}").json_body

    [frame] = body["frames"]
    assert frame["key"] == thumbnail_key(0)
    assert frame["frameUrl"].startswith("https://")
    assert [entry["action"] for entry in body["trail"]] == ["opened"]


@pytest.mark.parametrize("path", ["/incidents/0123456789abcdef01234567", "/incidents/nope"])
def test_an_unknown_incident_is_404(client, path):
    assert get(client, path).status_code == 404
    assert post(client, f"{path}/acknowledge").status_code == 404


def test_a_moderator_acknowledges_and_everyone_hears_it(client, rekognition, ivschat, sent_events):
    incident_id = open_incident(client, rekognition, ivschat)
    ivschat.add_response("send_event", {"id": "AbCdEfGh0100"}, SEND)

    response = post(client, f"/incidents/{incident_id}/acknowledge", {"note": "on it"})

    assert response.status_code == 200
    assert response.json_body["announced"] is True
    incident = response.json_body["incident"]
    assert (incident["state"], incident["acknowledgedBy"]) == ("acknowledged", "maria")
    event = sent_events[-1]
    assert (event["type"], event["actor"], event["acknowledgedBy"]) == (
        "incident-acknowledged",
        "maria",
        "maria",
    )
    assert event["note"] == "on it"
    [_, acknowledged] = incident_audits()
    assert (acknowledged["action"], acknowledged["by"]) == ("acknowledged", "maria")


def test_a_second_moderator_cannot_claim_an_acknowledged_incident(client, rekognition, ivschat):
    incident_id = open_incident(client, rekognition, ivschat)
    ivschat.add_response("send_event", {"id": "AbCdEfGh0100"}, SEND)
    post(client, f"/incidents/{incident_id}/acknowledge")

    response = post(client, f"/incidents/{incident_id}/acknowledge", token=TOM)

    assert response.status_code == 409
    assert response.json_body["Message"].startswith("already acknowledged by maria at ")
    assert response.json_body["incident"]["acknowledgedBy"] == "maria"


def test_the_second_resolution_is_409_naming_who_resolved_it_and_how(client, rekognition, ivschat):
    incident_id = open_incident(client, rekognition, ivschat)
    ivschat.add_response("send_event", {"id": "AbCdEfGh0100"}, SEND)

    first = post(client, f"/incidents/{incident_id}/resolve", {"resolution": "warned", "note": "x"})
    second = post(
        client, f"/incidents/{incident_id}/resolve", {"resolution": "dismissed"}, token=TOM
    )

    assert first.status_code == 200
    assert second.status_code == 409
    assert second.json_body["Message"].startswith("already resolved as warned by maria at ")
    assert second.json_body["incident"]["resolution"] == "warned"
    assert [a["action"] for a in incident_audits()] == ["opened", "resolved:warned"]


def test_dismissal_names_the_labels_judged_wrong_and_quiets_them(client, rekognition, ivschat):
    incident_id = open_incident(client, rekognition, ivschat)
    ivschat.add_response("send_event", {"id": "AbCdEfGh0100"}, SEND)

    response = post(
        client,
        f"/incidents/{incident_id}/resolve",
        {"resolution": "dismissed", "labels": ["Middle Finger"], "note": "a thumbs up"},
    )

    assert response.status_code == 200
    assert response.json_body["incident"]["dismissedLabels"] == ["Middle Finger"]
    quiet = channel()["quiet"]
    assert quiet["incidentId"] == incident_id
    assert set(quiet["categories"]) == {"Rude Gestures"}


def test_escalation_names_a_team_and_stays_in_the_queue(client, rekognition, ivschat):
    incident_id = open_incident(client, rekognition, ivschat)
    ivschat.add_response("send_event", {"id": "AbCdEfGh0100"}, SEND)

    response = post(
        client,
        f"/incidents/{incident_id}/resolve",
        {"resolution": "escalated", "escalateTo": "legal", "note": "minor involved?"},
    )

    assert response.json_body["incident"]["escalatedTo"] == "legal"
    [item] = get(client, "/incidents", {"state": "resolved"}).json_body["items"]
    assert item["resolution"] == "escalated"


def test_reopen_puts_a_resolved_incident_back_in_the_queue(client, rekognition, ivschat):
    incident_id = open_incident(client, rekognition, ivschat)
    for n in range(2):
        ivschat.add_response("send_event", {"id": f"AbCdEfGh010{n}"}, SEND)
    post(client, f"/incidents/{incident_id}/resolve", {"resolution": "warned", "note": "warned"})

    response = post(client, f"/incidents/{incident_id}/reopen", {"note": "it is back"}, token=TOM)

    assert response.status_code == 200
    assert response.json_body["incident"]["state"] == "open"
    for detail in ("resolution", "resolutionNote", "resolvedBy", "dismissedLabels"):
        assert detail not in response.json_body["incident"]
    assert post(client, f"/incidents/{incident_id}/reopen").status_code == 409
    assert [a["action"] for a in incident_audits()] == ["opened", "resolved:warned", "reopened"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"resolution": "stopped"}, "POST /stop-stream"),
        ({"resolution": "stream-ended"}, "resolution must be one of"),
        ({"resolution": "warned"}, "note is required"),
        ({"resolution": "escalated"}, "escalateTo is required"),
        ({"resolution": "dismissed", "labels": "Middle Finger"}, "labels must be a list"),
        ({"resolution": "dismissed", "labels": ["Smoking"]}, "labels not in this incident"),
        ({"resolution": "warned", "note": "x" * 501}, "note is longer than 500"),
        ({"resolution": "warned", "note": "x", "extra": 1}, "unknown field(s): extra"),
    ],
)
def test_a_bad_resolution_is_400_naming_the_field(client, rekognition, ivschat, body, message):
    incident_id = open_incident(client, rekognition, ivschat)

    response = post(client, f"/incidents/{incident_id}/resolve", body)

    assert response.status_code == 400
    assert message in response.json_body["Message"]


def test_the_queue_orders_by_state_severity_and_age_and_filters(client, rekognition, ivschat):
    strong = moderation_labels(("Violence", "", 1, 97.0), ("Weapons", "Violence", 2, 97.0))
    first = open_incident(client, rekognition, ivschat, 0)
    ivschat.add_response("send_event", {"id": "AbCdEfGh0200"}, SEND)
    post(client, f"/incidents/{first}/resolve", {"resolution": "warned", "note": "warned"})
    # a new incident on the same channel (the first is resolved): high severity
    second = open_incident(client, rekognition, ivschat, 1, strong)

    items = get(client, "/incidents").json_body["items"]
    assert [item["incidentId"] for item in items] == [second, first]  # unresolved first
    only_open = get(client, "/incidents", {"state": "open"}).json_body["items"]
    assert [item["incidentId"] for item in only_open] == [second]
    violence = get(client, "/incidents", {"category": "Violence"}).json_body["items"]
    assert [item["incidentId"] for item in violence] == [second]
    assert get(client, "/incidents", {"category": "Nope"}).status_code == 400


def test_a_time_window_pages_with_a_cursor_that_cannot_be_widened(client, rekognition, ivschat):
    import base64

    for n in range(3):
        incident_id = open_incident(client, rekognition, ivschat, n)
        ivschat.add_response("send_event", {"id": f"AbCdEfGh030{n}"}, SEND)
        post(client, f"/incidents/{incident_id}/resolve", {"resolution": "warned", "note": "w"})
    window = {"from": "2026-01-01T00:00:00Z", "to": "2030-01-01T00:00:00Z"}
    assert get(client, "/incidents", window).status_code == 400  # over 31 days

    opened = incidents()[0]["openedAt"]  # the service's clock: now
    params = {"from": opened[:10] + "T00:00:00Z", "limit": 2}
    page = get(client, "/incidents", params).json_body
    assert len(page["items"]) == 2 and page["nextCursor"]
    rest = get(client, "/incidents", {"cursor": page["nextCursor"]}).json_body
    assert len(rest["items"]) + len(page["items"]) == 3

    def forged(**edits) -> str:
        state = json.loads(base64.urlsafe_b64decode(page["nextCursor"] + "=="))
        for name, value in edits.items():
            target = state["q"] if name in state["q"] or name in ("from", "state") else state
            target[name] = value
        return base64.urlsafe_b64encode(json.dumps(state).encode()).decode().rstrip("=")

    assert get(client, "/incidents", {"cursor": forged()}).status_code == 200  # as returned
    for edits in (
        {"from": "2020-01-01T00:00:00Z"},  # widened to years
        {"state": ["open", "resolved"]},  # not text
        {"d": "2026-11-21x"},  # a day that is no day
        {"d": "2020-01-01"},  # a day outside the window
        {"k": {"incidentId": "x", "openedDay": "2020-01-01", "openedAt": "2020"}},
    ):
        response = get(client, "/incidents", {"cursor": forged(**edits)})
        assert response.status_code == 400, (edits, response.body)
        assert response.json_body["Message"].startswith("cursor is not one this API returned")
    assert get(client, "/incidents", {"cursor": "garbage"}).status_code == 400


def cursor_state(cursor: str) -> dict:
    return json.loads(base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)))


def encoded(state) -> str:
    return base64.urlsafe_b64encode(json.dumps(state).encode()).decode().rstrip("=")


def test_an_incident_cursor_holds_exactly_what_this_api_put_in_it(client, rekognition, ivschat):
    """Issue item 6: keys a fresh query refuses are refused inside a cursor too."""
    for n in range(3):  # one incident a channel at a time: each is resolved
        incident_id = open_incident(client, rekognition, ivschat, n)
        ivschat.add_response("send_event", {"id": f"AbCdEfGh030{n}"}, SEND)
        post(client, f"/incidents/{incident_id}/resolve", {"resolution": "warned", "note": "w"})
    opened = incidents()[0]["openedAt"]
    window = {"from": opened[:10] + "T00:00:00Z", "limit": 2}
    for params in (window, {**window, "channelArn": CHANNEL_ARN}):
        page = get(client, "/incidents", params).json_body
        cursor = page["nextCursor"]
        state = cursor_state(cursor)
        # a cursor as returned still pages: the rest of the window, and no further cursor
        rest = get(client, "/incidents", {"cursor": cursor, "limit": "2"})
        assert rest.status_code == 200, params
        seen = [item["incidentId"] for item in page["items"] + rest.json_body["items"]]
        assert len(seen) == len(set(seen)) == 3, params
        query = state["q"]
        for change, words in [
            ({"admin": True}, "it holds admin"),
            ({"cursor": cursor}, "it holds cursor"),
            ({"q": {**query, "admin": "true"}}, "its query is not one a cursor carries"),
            ({"q": {**query, "limit": str(10**9)}}, "its query holds limit"),
            ({"q": {**query, "limit": 10**9}}, "its query holds limit"),
            ({"q": {"cursor": cursor}}, "its query holds cursor"),  # read as a cursor before
            ({"q": {**query, "cursor": cursor}}, "its query holds cursor"),
            ({"q": {name: v for name, v in query.items() if name != "to"}}, "it lacks to"),
            ({"q": {**query, "from": 0}}, "its query's from must be a string"),
            ({"q": "state=open"}, "its query must be an object"),
            ({"k": None}, "its key must be an object"),  # was read from the start
            ({"k": ["x"]}, "its key must be an object"),
            ({"d": 20261121}, "its day must be text or null"),
        ]:
            response = get(client, "/incidents", {"cursor": encoded({**state, **change})})
            assert response.status_code == 400, (params, change, response.body)
            message = response.json_body["Message"]
            assert message.startswith("cursor is not one this API returned ("), (change, message)
            assert words in message, (params, change, message)
        for missing in ("q", "d", "k"):
            without = {name: value for name, value in state.items() if name != missing}
            response = get(client, "/incidents", {"cursor": encoded(without)})
            assert response.status_code == 400, (params, missing, response.body)
            assert (
                f"not one this API returned (not this version's cursor: it lacks {missing}"
                in (response.json_body["Message"])
            )
    # a channel's window is not read by day: its cursors hold no day
    assert state["d"] is None
    response = get(client, "/incidents", {"cursor": encoded({**state, "d": opened[:10]})})
    assert response.status_code == 400
    assert "not read by day" in response.json_body["Message"]


def test_channels_list_names_live_state_and_open_incidents(client, rekognition, ivschat):
    open_incident(client, rekognition, ivschat)

    [item] = get(client, "/channels").json_body["items"]

    assert item["channelArn"] == CHANNEL_ARN
    assert item["name"] == "arena-shooter"
    assert item["activeIncidents"] == 1


def test_stats_count_false_positives_and_times_per_category(client, rekognition, ivschat):
    first = open_incident(client, rekognition, ivschat, 0)
    for n in range(3):
        ivschat.add_response("send_event", {"id": f"AbCdEfGh040{n}"}, SEND)
    post(client, f"/incidents/{first}/acknowledge")
    post(client, f"/incidents/{first}/resolve", {"resolution": "dismissed"})
    surer = moderation_labels(("Rude Gestures", "", 1, 99.0))  # not quiet: far surer
    second = open_incident(client, rekognition, ivschat, 1, surer)
    post(client, f"/incidents/{second}/resolve", {"resolution": "warned", "note": "warned"})

    body = get(client, "/stats").json_body

    [gestures] = body["categories"]
    assert gestures["category"] == "Rude Gestures"
    assert (gestures["incidents"], gestures["resolved"], gestures["dismissed"]) == (2, 2, 1)
    assert gestures["falsePositiveShare"] == 0.5
    assert gestures["secondsToAcknowledge"]["count"] == 1
    assert gestures["secondsToResolve"]["count"] == 2
    assert gestures["secondsToResolve"]["p95"] >= gestures["secondsToResolve"]["p50"] >= 0
    assert body["totals"]["incidents"] == 2
    assert get(client, "/stats", {"from": "2020-01-01T00:00:00Z"}).status_code == 400


def test_stats_count_escalations_apart_and_per_moderator_and_channel(client, rekognition, ivschat):
    first = open_incident(client, rekognition, ivschat, 0)
    for n in range(3):
        ivschat.add_response("send_event", {"id": f"AbCdEfGh050{n}"}, SEND)
    post(client, f"/incidents/{first}/acknowledge")
    post(client, f"/incidents/{first}/resolve", {"resolution": "escalated", "escalateTo": "legal"})
    surer = moderation_labels(("Rude Gestures", "", 1, 99.0))
    second = open_incident(client, rekognition, ivschat, 1, surer)
    post(client, f"/incidents/{second}/resolve", {"resolution": "dismissed"}, token=TOM)

    body = get(client, "/stats").json_body

    totals = body["totals"]
    assert (totals["incidents"], totals["resolved"], totals["escalated"]) == (2, 1, 1)
    assert totals["falsePositiveShare"] == 1.0  # of the settled one; the escalated waits
    people = {p["moderator"]: p for p in body["moderators"]}
    assert (people["maria"]["settled"], people["maria"]["escalated"]) == (0, 1)
    assert (people["tom"]["settled"], people["tom"]["dismissed"]) == (1, 1)
    assert people["maria"]["secondsToFirstAction"]["count"] == 1
    [channel] = body["channels"]
    assert (channel["channelArn"], channel["incidents"]) == (CHANNEL_ARN, 2)
    assert channel["channelName"] == "arena-shooter"


def test_the_backlog_counts_what_waits_who_holds_it_and_what_is_past_its_target(
    client, rekognition, ivschat, monkeypatch
):
    from datetime import UTC, datetime, timedelta

    from chalicelib import dependencies

    monkeypatch.setenv("SLA_MINUTES", "critical=2; high=5; medium=15")
    incident_id = open_incident(client, rekognition, ivschat, 0)
    now = get(client, "/stats/backlog").json_body
    later = datetime.now(UTC) + timedelta(minutes=16)
    monkeypatch.setattr(dependencies, "now", lambda: later)
    past = get(client, "/stats/backlog").json_body
    ivschat.add_response("send_event", {"id": "AbCdEfGh0600"}, SEND)
    post(client, f"/incidents/{incident_id}/acknowledge")
    held = get(client, "/stats/backlog").json_body

    assert (now["waiting"], now["unassigned"], now["pastTarget"]) == (1, 1, 0)
    assert now["targetsMinutes"] == {"critical": 2, "high": 5, "medium": 15}
    assert (past["waiting"], past["unassigned"], past["pastTarget"]) == (1, 1, 1)
    assert (held["waiting"], held["unassigned"], held["pastTarget"]) == (1, 0, 0)
    assert client.http.get("/config").json_body["slaMinutes"]["medium"] == 15


def test_incidents_need_a_moderator(client):
    response = client.http.get("/incidents")
    assert response.status_code == 401
    viewer = id_token(**{"cognito:groups": ["viewers"]})
    assert get(client, "/incidents", token=viewer).status_code == 403


def stop(client, incident_id: str | None = None, token: str | None = None, **extra):
    body = {"channelArn": CHANNEL_ARN, "reason": "weapon on screen", **extra}
    if incident_id is not None:
        body["incidentId"] = incident_id
    return post(client, "/stop-stream", body, token=token)


def test_a_stop_with_its_incident_resolves_it_as_stopped_linked_to_the_audit(
    client, rekognition, ivschat, ivs, sent_events
):
    incident_id = open_incident(client, rekognition, ivschat)
    ivs.add_response("stop_stream", {}, {"channelArn": CHANNEL_ARN})
    ivschat.add_response("send_event", {"id": "AbCdEfGh0100"}, SEND)

    response = stop(client, incident_id)

    assert response.status_code == 200
    incident = response.json_body["incident"]
    assert (incident["state"], incident["resolution"], incident["resolvedBy"]) == (
        "resolved",
        "stopped",
        "maria",
    )
    assert incident["stopAuditId"] == response.json_body["auditId"]
    assert (sent_events[-1]["type"], sent_events[-1]["resolution"]) == (
        "incident-resolved",
        "stopped",
    )


def test_a_second_stop_after_the_first_names_who_stopped_and_leaves_ivs_alone(
    client, rekognition, ivschat, ivs
):
    incident_id = open_incident(client, rekognition, ivschat)
    ivs.add_response("stop_stream", {}, {"channelArn": CHANNEL_ARN})  # one StopStream only
    ivschat.add_response("send_event", {"id": "AbCdEfGh0100"}, SEND)
    assert stop(client, incident_id).status_code == 200

    response = stop(client, incident_id, token=TOM)

    assert response.status_code == 409
    assert response.json_body["Message"].startswith("already resolved as stopped by maria at ")
    assert response.json_body["incident"]["resolvedBy"] == "maria"


def test_a_stop_without_an_incident_settles_the_channels_current_one(
    client, rekognition, ivschat, ivs
):
    incident_id = open_incident(client, rekognition, ivschat)
    ivs.add_response("stop_stream", {}, {"channelArn": CHANNEL_ARN})
    ivschat.add_response("send_event", {"id": "AbCdEfGh0100"}, SEND)

    response = stop(client)

    assert response.json_body["incident"]["incidentId"] == incident_id
    assert response.json_body["incident"]["resolution"] == "stopped"


def test_stopping_an_offline_channel_says_who_stopped_it(client, rekognition, ivschat, ivs):
    open_incident(client, rekognition, ivschat)
    ivs.add_response("stop_stream", {}, {"channelArn": CHANNEL_ARN})
    ivschat.add_response("send_event", {"id": "AbCdEfGh0100"}, SEND)
    stop(client)
    # No second StopStream: the first stop's claim holds the channel until it is live again

    response = stop(client, token=TOM)

    assert response.status_code == 409
    assert "not live" in response.json_body["Message"]
    assert "already resolved as stopped by maria at " in response.json_body["Message"]


@pytest.mark.parametrize(
    ("incident_id", "status"), [("0123456789abcdef01234567", 404), ("x" * 65, 400)]
)
def test_a_stop_naming_an_unknown_incident_is_refused_before_ivs(client, incident_id, status):
    assert stop(client, incident_id).status_code == status


def test_a_stop_naming_another_channels_incident_is_400(client, rekognition, ivschat):
    incident_id = open_incident(client, rekognition, ivschat)
    other = CHANNEL_ARN.replace("AbCdEfGh1234", "ZyXwVuTs9876")

    response = post(
        client, "/stop-stream", {"channelArn": other, "reason": "x", "incidentId": incident_id}
    )

    assert response.status_code == 400
    assert "another channel" in response.json_body["Message"]


def test_the_team_an_incident_went_to_settles_it_without_reopening(
    client, rekognition, ivschat, ivs
):
    incident_id = open_incident(client, rekognition, ivschat)
    ivschat.add_response("send_event", {"id": "AbCdEfGh0100"}, SEND)
    ivschat.add_response("send_event", {"id": "AbCdEfGh0101"}, SEND)
    ivs.add_response("stop_stream", {}, {"channelArn": CHANNEL_ARN})
    escalated = {"resolution": "escalated", "escalateTo": "legal", "note": "minor?"}
    post(client, f"/incidents/{incident_id}/resolve", escalated)

    response = stop(client, incident_id, token=TOM)

    assert response.status_code == 200
    assert response.json_body["incident"]["resolution"] == "stopped"
    assert response.json_body["incident"]["resolutionNote"] == "weapon on screen"


def test_every_transition_is_audited_with_its_reason(client, rekognition, ivschat, sent_events):
    incident_id = open_incident(client, rekognition, ivschat)
    ivschat.add_response("send_event", {"id": "AbCdEfGh0100"}, SEND)
    body = {"resolution": "dismissed", "labels": ["Middle Finger"], "note": "a thumbs up"}

    post(client, f"/incidents/{incident_id}/resolve", body)

    audit = incident_audits()[-1]
    assert (audit["action"], audit["by"], audit["note"]) == (
        "resolved:dismissed",
        "maria",
        "a thumbs up",
    )
    assert audit["dismissedLabels"] == ["Middle Finger"]
    assert sent_events[-1]["resolvedAt"][:16] == audit["at"][:16]  # the event says when, too


# --- exactly once: versions, escalation teams, stop claims ---------------------------------


def test_an_action_on_a_version_the_moderator_no_longer_sees_is_409_naming_the_change(
    client, rekognition, ivschat
):
    incident_id = open_incident(client, rekognition, ivschat)
    ivschat.add_response("send_event", {"id": "AbCdEfGh0100"}, SEND)
    assert post(client, f"/incidents/{incident_id}/acknowledge", {"version": 0}).status_code == 200

    response = post(
        client, f"/incidents/{incident_id}/resolve", {"resolution": "dismissed", "version": 0}, TOM
    )

    assert response.status_code == 409
    message = response.json_body["Message"]
    assert message.startswith(
        "it changed since you saw it (version 0, now 1): acknowledged by maria"
    )
    assert response.json_body["incident"]["state"] == "acknowledged"


def test_an_escalation_names_one_of_the_configured_teams(client, rekognition, ivschat):
    incident_id = open_incident(client, rekognition, ivschat)
    body = {"resolution": "escalated", "escalateTo": "Nobody"}

    response = post(client, f"/incidents/{incident_id}/resolve", body)

    assert response.status_code == 400
    assert response.json_body["Message"] == (
        "escalateTo must be one of the teams: legal, Trust & Safety leads"
    )


def test_an_escalated_incident_is_not_escalated_again(client, rekognition, ivschat):
    incident_id = open_incident(client, rekognition, ivschat)
    ivschat.add_response("send_event", {"id": "AbCdEfGh0100"}, SEND)
    legal = {"resolution": "escalated", "escalateTo": "LEGAL"}
    assert (
        post(client, f"/incidents/{incident_id}/resolve", legal).json_body["incident"][
            "escalatedTo"
        ]
        == "legal"
    )  # the team as it is configured

    again = {"resolution": "escalated", "escalateTo": "Trust & Safety leads"}
    response = post(client, f"/incidents/{incident_id}/resolve", again, TOM)

    assert response.status_code == 409
    assert response.json_body["Message"].startswith("already escalated to legal by maria at ")


def test_the_teams_are_listed_for_the_dashboard(client):
    response = get(client, "/teams")

    assert response.status_code == 200
    assert response.json_body == {"escalationTeams": ["legal", "Trust & Safety leads"]}


def test_a_stop_ivs_refused_releases_its_claim_so_the_moderator_can_try_again(
    client, rekognition, ivschat, ivs
):
    incident_id = open_incident(client, rekognition, ivschat)
    ivs.add_client_error("stop_stream", "ThrottlingException", "slow down", 429)
    assert stop(client, incident_id).status_code == 503
    assert "stopClaim" not in channel()  # released
    assert "stopping" not in incidents()[0]
    ivs.add_response("stop_stream", {}, {"channelArn": CHANNEL_ARN})
    ivschat.add_response("send_event", {"id": "AbCdEfGh0100"}, SEND)

    response = stop(client, incident_id)

    assert response.status_code == 200
    assert response.json_body["incident"]["resolution"] == "stopped"
    assert "stopping" not in response.json_body["incident"]
    assert channel()["stopClaim"]["outcome"] == "stopped"


def test_a_stop_under_way_holds_the_incident_against_every_other_action(
    client, app_module, rekognition, ivschat, ivs
):
    incident_id = open_incident(client, rekognition, ivschat)
    answers = []

    def while_ivs_stops(**_):  # another moderator acts while IVS is being asked to stop
        answers.append(post(client, f"/incidents/{incident_id}/resolve", WARN, TOM))
        answers.append(stop(client, incident_id, token=TOM))

    ivs_client = app_module.aws_client("ivs")
    ivs_client.meta.events.register_first("before-parameter-build.ivs.StopStream", while_ivs_stops)
    ivs.add_response("stop_stream", {}, {"channelArn": CHANNEL_ARN})
    ivschat.add_response("send_event", {"id": "AbCdEfGh0100"}, SEND)
    try:
        response = stop(client, incident_id)
    finally:
        ivs_client.meta.events.unregister("before-parameter-build.ivs.StopStream", while_ivs_stops)

    assert response.status_code == 200
    assert [a.status_code for a in answers] == [409, 409]
    assert answers[0].json_body["Message"].startswith("being stopped by maria since ")
    assert answers[1].json_body["Message"].startswith("already being stopped by maria since ")
    assert response.json_body["incident"]["resolution"] == "stopped"


WARN = {"resolution": "warned", "note": "told to stop"}


def test_frames_joining_since_the_moderator_looked_do_not_make_their_view_stale(
    client, rekognition, ivschat
):
    incident_id = open_incident(client, rekognition, ivschat)
    rekognition.add_response("detect_moderation_labels", GESTURE)  # (no event: coalesced)
    event = written(thumbnail_key(1), jpeg(lambda d: d.rectangle((5, 5, 60, 60), fill=(9, 9, 9))))
    assert client.lambda_.invoke("moderate_thumbnail", event).payload["incidentId"] == incident_id
    assert incidents()[0]["version"] == 1  # a frame joined: the version moved on
    ivschat.add_response("send_event", {"id": "AbCdEfGh0100"}, SEND)

    response = post(client, f"/incidents/{incident_id}/acknowledge", {"version": 0})

    assert response.status_code == 200
    assert response.json_body["incident"]["frameCount"] == 2
