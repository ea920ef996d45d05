"""Moderators acting on chat incidents through the API: ban, timeout, unban, delete messages,
dismissal; blocked terms and the bans list. Each once, audited, told to the moderators'
room, conflicts as 409s; a ban holds in the review handler from the next message on.

Incidents come from the real deep pass (moderate_chat_messages) on moto, with IVS chat and
Comprehend answered after validation (chat_support.answered); moderators sign in with
real RS256 tokens.
"""

from __future__ import annotations

import json
from hashlib import md5
from urllib.parse import urlencode

import pytest
from chat_support import (
    INSULT,
    VIEWER_ROOM,
    answered,
    chat_items,
    create_chat_queue,
    lambda_context,
    queued,
    review_request,
)
from support import ACCOUNT, REGION, ROOM_ARN, incident_audits, incidents
from tokens import id_token, role_token, signed_in

from local.lambda_payloads import sqs_record

pytestmark = pytest.mark.usefixtures("jwks")

TOM = id_token(**{"sub": "7c3a4d2f-5e6b-4f8c-9d0e-1a2b3c4d5e6f", "cognito:username": "tom"})


@pytest.fixture
def chat(client, app_module, monkeypatch):
    monkeypatch.setenv("CHAT_MESSAGES_QUEUE_URL", create_chat_queue())
    clients = {s: app_module.aws_client(s) for s in ("ivschat", "comprehend")}
    with answered(clients) as aws:
        aws.toxicity = {"you are an idiot": INSULT}

        def flag(user="troll", message_id="Msg000000001"):
            body = queued("you are an idiot", user=user, message_id=message_id)
            record = {"MessageId": "m", "ReceiptHandle": "r", "Body": body}
            record["MD5OfBody"] = md5(body.encode()).hexdigest()
            event = {"Records": [sqs_record(record, f"arn:aws:sqs:{REGION}:{ACCOUNT}:q", REGION)]}
            context = lambda_context("moderate_chat_messages")
            [outcome] = app_module.moderate_chat_messages(event, context)
            return outcome["incidentId"]

        def review(content, user="troll"):
            context = lambda_context("review_chat_message")
            return app_module.review_chat_message(review_request(content, user=user), context)

        aws.flag, aws.review = flag, review
        yield aws


def post(client, path: str, body=None, token: str | None = None):
    headers = {"Content-Type": "application/json", **signed_in(token)}
    return client.http.post(path, headers=headers, body=json.dumps(body or {}))


def call(client, method: str, path: str, params=None, body=None, token: str | None = None):
    query = f"?{urlencode(params)}" if params else ""
    headers = {"Content-Type": "application/json", **signed_in(token)}
    send = getattr(client.http, method.lower())
    if body is None:
        return send(path + query, headers=headers)
    return send(path + query, headers=headers, body=json.dumps(body))


def room_events(chat, kind: str) -> list[dict]:
    return [
        e["attributes"]
        for e in chat.of("SendEvent")
        if e["roomIdentifier"] == ROOM_ARN and e["attributes"]["type"] == kind
    ]


def test_GIVEN_a_chat_incident_WHEN_banned_THEN_resolved_audited_told_and_the_user_refused(
    client, chat
):
    incident_id = chat.flag()

    response = post(client, f"/incidents/{incident_id}/ban", {"note": "slurs", "version": 0})

    assert response.status_code == 200, response.body
    incident = response.json_body["incident"]
    assert (incident["state"], incident["resolution"], incident["resolvedBy"]) == (
        "resolved",
        "banned",
        "maria",
    )
    [ban] = chat_items("ban#")
    assert (ban["userId"], ban["kind"], ban["by"], ban["incidentId"]) == (
        "troll",
        "ban",
        "maria",
        incident_id,
    )
    [disconnect] = chat.of("DisconnectUser")
    assert disconnect["userId"] == "troll" and disconnect["roomIdentifier"] == VIEWER_ROOM
    [told] = room_events(chat, "incident-resolved")
    assert told["resolution"] == "banned" and told["actor"] == "maria"
    audits = [a for a in incident_audits() if a["incidentId"] == incident_id]
    assert audits[-1]["action"] == "resolved:banned" and audits[-1]["by"] == "maria"
    assert chat.review("sorry")["ReviewResult"] == "DENY"
    assert chat.review("hello", user="fan")["ReviewResult"] == "ALLOW"


def test_GIVEN_a_ban_WHEN_a_second_moderator_bans_or_times_out_THEN_409_naming_the_first(
    client, chat
):
    incident_id = chat.flag()
    assert post(client, f"/incidents/{incident_id}/ban", {"version": 0}).status_code == 200

    again = post(client, f"/incidents/{incident_id}/ban", {"version": 0}, token=TOM)
    timeout = post(client, f"/incidents/{incident_id}/timeout", {"minutes": 5}, token=TOM)

    for response in (again, timeout):
        assert response.status_code == 409
        assert "maria" in response.json_body["Message"]
        assert response.json_body["incident"]["resolution"] == "banned"
    assert len(chat_items("ban#")) == 1 and len(chat.of("DisconnectUser")) == 1


def test_GIVEN_a_timeout_THEN_it_holds_until_its_end_and_bad_lengths_are_refused(client, chat):
    incident_id = chat.flag()

    for minutes in (0, 30 * 24 * 60 + 1, "10", None):
        response = post(client, f"/incidents/{incident_id}/timeout", {"minutes": minutes})
        assert response.status_code == 400, minutes
    response = post(client, f"/incidents/{incident_id}/timeout", {"minutes": 90})

    assert response.status_code == 200
    incident = response.json_body["incident"]
    assert incident["resolution"] == "timed-out" and incident["timedOutUntil"]
    assert "until" in chat.review("let me talk")["Attributes"]["Reason"]


def test_GIVEN_a_banned_user_WHEN_unbanned_THEN_they_may_chat_and_a_second_unban_is_409(
    client, chat
):
    incident_id = chat.flag()
    post(client, f"/incidents/{incident_id}/ban", {})

    lifted = post(client, f"/incidents/{incident_id}/unban", {"note": "appeal"}, token=TOM)
    again = post(client, f"/incidents/{incident_id}/unban", {})

    assert lifted.status_code == 200
    assert lifted.json_body["incident"]["trail"][-1]["action"] == "unbanned"
    assert again.status_code == 409 and "not banned" in again.json_body["Message"]
    assert chat.review("thanks")["ReviewResult"] == "ALLOW"
    listed = call(client, "GET", "/chat/bans", {"roomArn": VIEWER_ROOM}).json_body
    assert listed["items"] == []


def test_GIVEN_messages_of_the_user_WHEN_deleted_THEN_IVS_removes_them_and_others_are_refused(
    client, chat
):
    incident_id = chat.flag()

    unknown = post(client, f"/incidents/{incident_id}/delete-messages", {"messageIds": ["Nope"]})
    response = post(
        client, f"/incidents/{incident_id}/delete-messages", {"messageIds": ["Msg000000001"]}
    )

    assert unknown.status_code == 400
    assert response.status_code == 200
    assert [c["id"] for c in chat.of("DeleteMessage")][-1] == "Msg000000001"


def test_GIVEN_a_frame_incident_WHEN_a_chat_action_is_asked_THEN_400(client, chat):
    from history_items import INCIDENT_TO_ACKNOWLEDGE, seed_incidents

    seed_incidents()

    response = post(client, f"/incidents/{INCIDENT_TO_ACKNOWLEDGE}/ban", {})

    assert response.status_code == 400 and "not a chat incident" in response.json_body["Message"]


def test_GIVEN_a_chat_incident_dismissed_as_false_positive_THEN_its_strikes_are_taken_back(
    client, chat
):
    incident_id = chat.flag()
    assert chat_items("user#")[0]["strikes"]

    response = post(
        client,
        f"/incidents/{incident_id}/resolve",
        {"resolution": "dismissed", "labels": ["INSULT"], "note": "a quote"},
    )

    assert response.status_code == 200, response.body
    assert chat_items("user#")[0]["strikes"] == []


def test_GIVEN_a_chat_incident_WHEN_read_THEN_it_shows_the_users_standing_and_the_channel(
    client, chat
):
    first = chat.flag()
    post(client, f"/incidents/{first}/ban", {})
    post(client, f"/incidents/{first}/unban", {})
    second = chat.flag(message_id="Msg000000002")
    post(client, f"/incidents/{second}/timeout", {"minutes": 5})

    response = call(client, "GET", f"/incidents/{second}")
    assert response.status_code == 200, response.body
    detail = response.json_body

    assert detail["kind"] == "chat" and detail["frames"] == []
    assert detail["chat"]["ban"]["kind"] == "timeout"
    assert [e["incidentId"] for e in detail["chat"]["earlier"]] == [first]
    assert detail["chat"]["live"] is False
    assert detail["chat"]["strikesNow"] == 2


def test_blocked_terms_are_kept_listed_removed_and_refused_when_malformed(client, chat):
    admin = role_token("admin")  # blocked terms are a policy: an admin's

    def terms(method: str, params=None, body=None):
        return call(client, method, "/chat/terms", params, body, token=admin)

    put = terms("PUT", body={"roomArn": "*", "term": "sc*m", "minutes": 60})
    bad = [
        terms("PUT", body={"roomArn": "*", "term": "***"}),
        terms("PUT", body={"roomArn": "room", "term": "x"}),
        terms("PUT", body={"roomArn": "*", "term": "x", "action": "shout"}),
    ]
    listed = call(client, "GET", "/chat/terms", {"roomArn": "*"}).json_body

    assert put.status_code == 200 and put.json_body["until"]
    assert [r.status_code for r in bad] == [400, 400, 400]
    assert [t["term"] for t in listed["items"]] == ["sc*m"]
    assert chat.review("what a scaam", user="fan")["ReviewResult"] == "DENY"
    gone = terms("DELETE", {"roomArn": "*", "term": "sc*m"})
    missing = terms("DELETE", {"roomArn": "*", "term": "sc*m"})
    assert (gone.status_code, missing.status_code) == (200, 404)


def test_GIVEN_an_incident_opened_by_chat_THEN_it_is_in_the_queue_with_frames(client, chat):
    incident_id = chat.flag()

    listed = call(client, "GET", "/incidents").json_body["items"]

    assert [i["incidentId"] for i in listed] == [incident_id]
    assert listed[0]["kind"] == "chat" and listed[0]["userId"] == "troll"
    assert [i["incidentId"] for i in incidents()] == [incident_id]
