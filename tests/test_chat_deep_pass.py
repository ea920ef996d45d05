"""The deep pass: every queued message checked once; what violates is removed, told to the
room and joins its user's chat incident; strikes escalate by themselves.

Through the app's `moderate_chat_messages` and `chat_log_received` functions on moto's
DynamoDB and SQS, with IVS chat, Comprehend and Rekognition answered after botocore has
validated each request (chat_support.answered).
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest
from chat_support import (
    INSULT,
    VIEWER_ROOM,
    answered,
    chat_items,
    create_chat_queue,
    lambda_context,
    log_record,
    logs_event,
    put_ban,
    queued,
    queued_bodies,
    sqs_event,
)
from support import ACCOUNT, CHANNEL_ARN, REGION, ROOM_ARN, incidents

from chalicelib.chat.store import TIMEOUT


@pytest.fixture
def chat(app_module, monkeypatch):
    monkeypatch.setenv("CHAT_ALLOWED_HOSTS", "images.example.com")
    monkeypatch.setenv("CHAT_STRIKE_TIMEOUT_AT", "3")
    monkeypatch.setenv("CHAT_STRIKE_BAN_AT", "5")
    monkeypatch.setenv("CHAT_MESSAGES_QUEUE_URL", create_chat_queue())
    clients = {s: app_module.aws_client(s) for s in ("ivschat", "comprehend", "rekognition")}
    with answered(clients) as aws:
        aws.toxicity = {"you are an idiot": INSULT, "shut up idiot": INSULT}

        def moderate(*bodies):
            return app_module.moderate_chat_messages(
                sqs_event(bodies), lambda_context("moderate_chat_messages")
            )

        aws.moderate = moderate
        yield aws


def chat_incidents() -> list[dict]:
    return [i for i in incidents() if i.get("kind") == "chat"]


def test_GIVEN_an_insult_THEN_removed_with_a_reason_told_to_the_room_and_an_incident_opens(chat):
    [outcome] = chat.moderate(queued("you are an idiot", user="troll"))

    assert outcome["decision"] == "removed" and outcome["reason"] == "insult"
    [deleted] = chat.of("DeleteMessage")
    assert deleted == {
        "roomIdentifier": VIEWER_ROOM,
        "id": "Msg000000001",
        "reason": "A message was removed: insult.",
    }
    [notice] = [e for e in chat.of("SendEvent") if e["eventName"] == "MODERATION_NOTICE"]
    assert notice["roomIdentifier"] == VIEWER_ROOM
    assert notice["attributes"]["reason"] == "A message was removed: insult."
    [incident] = chat_incidents()
    assert (incident["userId"], incident["roomArn"], incident["channelArn"]) == (
        "troll",
        VIEWER_ROOM,
        CHANNEL_ARN,
    )
    assert incident["messages"][0]["content"] == "you are an idiot"
    assert (incident["channelName"], incident["roomName"]) == ("arena-shooter", "arena-chat")
    assert incident["topLabel"] == "INSULT" and incident["strikes"] == 1
    moderators = [e["attributes"] for e in chat.of("SendEvent") if e["roomIdentifier"] == ROOM_ARN]
    [opened] = [e for e in moderators if e["type"] == "incident-opened"]
    assert opened["incidentId"] == incident["incidentId"] and opened["kind"] == "chat"
    assert opened["userId"] == "troll"


def test_GIVEN_a_clean_message_THEN_kept_only_as_context_for_minutes(chat):
    [outcome] = chat.moderate(queued("good game", user="fan"))

    assert outcome == {"decision": "clean"}
    assert chat.of("DeleteMessage") == [] and chat_incidents() == []
    [recent] = chat_items("recent#")
    assert recent["content"] == "good game"
    assert recent["expiresAt"] <= int((datetime.now(UTC) + timedelta(minutes=11)).timestamp())
    assert chat_items("message#") == []


def test_GIVEN_the_same_message_by_the_review_and_by_chat_logging_THEN_decided_once(chat):
    chat.moderate(queued("you are an idiot", user="troll", source="review"))
    chat.moderate(queued("you are an idiot", user="troll", source="log"))

    assert len(chat.of("DeleteMessage")) == 1
    assert len(chat.of("DetectToxicContent")) == 1
    [incident] = chat_incidents()
    assert incident["messageCount"] == 1


def test_GIVEN_an_incident_with_context_THEN_it_shows_the_chat_before_the_flagged_message(chat):
    chat.moderate(queued("who is winning", user="fan", message_id="Msg000000000"))
    chat.moderate(queued("shut up idiot", user="troll", message_id="Msg000000001"))

    [incident] = chat_incidents()
    assert [m["content"] for m in incident["context"]] == ["who is winning"]


def test_GIVEN_repeat_offences_THEN_a_timeout_at_the_third_strike_and_a_ban_suggested_at_the_fifth(
    chat,
):
    def offend(n):
        chat.moderate(queued("shut up idiot", user="troll", message_id=f"Msg00000000{n}"))

    for n in range(3):
        offend(n)
    [timeout] = chat_items("ban#")
    [incident] = chat_incidents()
    assert timeout["kind"] == TIMEOUT and timeout["by"] == "policy"
    assert timeout["incidentId"] == incident["incidentId"]
    assert incident["timedOutUntil"] == timeout["until"] and "suggestion" not in incident
    [disconnect] = chat.of("DisconnectUser")
    assert disconnect["userId"] == "troll"
    put_ban("troll", kind="timeout", until="2020-01-01T00:00:00.000Z")  # it ran out
    for n in range(3, 5):
        offend(n)

    [incident] = chat_incidents()
    assert incident["messageCount"] == 5 and incident["strikes"] == 5
    assert incident["suggestion"] == "ban" and incident["severity"] == "high"
    assert len(chat.of("DisconnectUser")) == 1  # one timeout: at the third strike only
    assert "timed-out" in [entry["action"] for entry in incident["trail"]]


def test_GIVEN_a_banned_users_message_let_through_by_fallback_THEN_removed_without_a_new_case(
    chat,
):
    put_ban("troll")

    [outcome] = chat.moderate(queued("i am back", user="troll"))

    assert outcome["decision"] == "removed" and outcome["reason"] == "sent while banned"
    assert len(chat.of("DeleteMessage")) == 1 and chat_incidents() == []


def test_GIVEN_a_link_the_review_would_deny_THEN_the_deep_pass_removes_it_too(chat):
    [outcome] = chat.moderate(queued("cheap coins at www.spam-site.biz"))

    assert outcome["reason"] == "a link to www.spam-site.biz"
    assert chat.of("DetectToxicContent") == []  # decided before any paid call


def test_GIVEN_an_image_on_an_allowed_host_showing_violence_THEN_removed(chat, monkeypatch):
    from chalicelib.dependencies import chat as built

    fetched = []
    monkeypatch.setattr(
        built.deep_pass(), "_fetch", lambda url, **limits: fetched.append(url) or b"\xff\xd8jpeg"
    )
    chat.image_labels = [
        {"Name": "Graphic Violence", "ParentName": "", "TaxonomyLevel": 1, "Confidence": 96.0}
    ]
    sticker = {"message_type": "STICKER", "sticker_src": "https://images.example.com/a.jpg"}

    [outcome] = chat.moderate(queued("look", attributes=sticker))

    assert fetched == ["https://images.example.com/a.jpg"]
    assert outcome["reason"] == "an image showing graphic violence"
    [incident] = chat_incidents()
    assert incident["messages"][0]["imageUrl"] == "https://images.example.com/a.jpg"


@pytest.mark.parametrize(
    "url",
    [
        "https://tracker.invalid/a.png",  # not an allowed host
        "http://images.example.com/a.png",  # not https
        "https://169.254.169.254/latest/meta-data/x.png",  # an address
        "https://images.example.com:8443/a.png",  # another port
    ],
)
def test_GIVEN_an_image_that_may_not_be_fetched_THEN_never_fetched_and_removed_as_unverifiable(
    chat, monkeypatch, url
):
    from chalicelib.dependencies import chat as built

    monkeypatch.setattr(built.deep_pass(), "_fetch", lambda *a, **k: pytest.fail("fetched"))

    [outcome] = chat.moderate(queued("hi", attributes={"sticker_src": url}))

    assert outcome["decision"] == "removed"
    assert outcome["reason"].startswith(("an image that could not be checked", "a link to"))


def test_GIVEN_Comprehend_failing_after_retries_THEN_the_batch_fails_and_nothing_is_lost(chat):
    chat.failing["DetectToxicContent"] = "InternalServerException"

    with pytest.raises(Exception, match="InternalServer"):
        chat.moderate(queued("you are an idiot", user="troll"))
    chat.failing.clear()
    [outcome] = chat.moderate(queued("you are an idiot", user="troll"))  # SQS delivers again

    assert outcome["decision"] == "removed" and len(chat_incidents()) == 1


def test_GIVEN_a_body_that_is_not_a_chat_message_THEN_logged_and_dropped_not_retried(chat):
    outcomes = chat.moderate("not json", json.dumps({"id": "x"}))

    assert [o["decision"] for o in outcomes] == ["ignored", "ignored"]


def test_GIVEN_chat_logging_records_THEN_each_message_is_queued_with_its_room(app_module, chat):
    import boto3
    from support import CHAT_MESSAGES_QUEUE

    url = boto3.client("sqs").get_queue_url(QueueName=CHAT_MESSAGES_QUEUE)["QueueUrl"]
    event = logs_event([log_record("LogMsg000001", "hi"), {"type": "EVENT", "payload": {}}])

    answer = app_module.chat_log_received(event, lambda_context("chat_log_received"))

    assert answer == {"queued": 1, "ignored": 1}
    [body] = queued_bodies(url)
    assert body["roomArn"] == f"arn:aws:ivschat:{REGION}:{ACCOUNT}:room/Viewers0001"
    assert (body["id"], body["userId"], body["source"]) == ("LogMsg000001", "viewer9", "log")
    probe = app_module.chat_log_received(
        logs_event([], kind="CONTROL_MESSAGE"), lambda_context("chat_log_received")
    )
    assert probe == {"queued": 0, "ignored": 0}


def test_GIVEN_a_ban_THEN_the_token_issuers_lookup_says_so(app_module):
    context = lambda_context("chat_ban_lookup")
    put_ban("troll", kind="timeout", until="2099-01-01T00:00:00.000Z")

    held = app_module.chat_ban_lookup({"roomArn": VIEWER_ROOM, "userId": "troll"}, context)
    free = app_module.chat_ban_lookup({"roomArn": VIEWER_ROOM, "userId": "fan"}, context)
    bad = app_module.chat_ban_lookup({"roomArn": 7}, context)

    assert held == {
        "banned": True,
        "kind": "timeout",
        "until": "2099-01-01T00:00:00.000Z",
        "reason": "test",
    }
    assert free == {"banned": False, "kind": "", "until": "", "reason": ""}
    assert "error" in bad


def test_GIVEN_the_rooms_channel_has_a_policy_with_chat_toxicity_THEN_its_thresholds_decide(
    chat, monkeypatch
):
    import boto3
    from support import POLICIES_TABLE, seed_channel

    from chalicelib.policies.model import PolicyDocument
    from chalicelib.policies.store import PolicyStore

    store = PolicyStore(boto3.client("dynamodb"), POLICIES_TABLE)
    now = datetime.now(UTC)
    # A stricter policy for the channel's kind (tagged), a lax one by name that loses to it.
    strict = {"alert": {"*": 80}, "chat": {"toxicity": {"PROFANITY": 30}}}
    strict["appliesTo"] = {"tags": {"audience": "kids"}, "priority": 5}
    lax = {
        "alert": {"*": 80},
        "chat": {"toxicity": {"*": 99}},
        "appliesTo": {"namePatterns": ["*"]},
    }
    store.save("kids", PolicyDocument.parse(strict, "kids"), expected_version=0, by="a", at=now)
    store.save("lax", PolicyDocument.parse(lax, "lax"), expected_version=0, by="a", at=now)
    chat.toxicity["darn it"] = {"PROFANITY": 0.4}

    # The stage's CHAT_TOXICITY_THRESHOLDS (*=70) would keep it; the lax policy decides first.
    assert chat.moderate(queued("you are an idiot", message_id="Msg000000001")) == [
        {"decision": "clean"}
    ]
    seed_channel(tags={"audience": "kids"})
    from chalicelib import dependencies

    dependencies.policy_book().invalidate()
    [outcome] = chat.moderate(queued("darn it", message_id="Msg000000002"))

    assert (outcome["decision"], outcome["reason"]) == ("removed", "profanity")
