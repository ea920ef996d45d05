"""The message review handler: ALLOW or DENY from what can be decided at once, never raising.

Through the app's own `review_chat_message` function, on moto's DynamoDB and SQS: bans and
timeouts, blocked terms (room and global, wildcards, expiry, masking), links and image URLs
outside the allowed hosts; what is allowed goes to the deep pass's queue; a request that is
not IVS's, or a DynamoDB that fails, never hands the decision to the room's fallback.
"""

from __future__ import annotations

import subprocess
import sys
from datetime import UTC, datetime, timedelta

import boto3
import pytest
from botocore.exceptions import ClientError
from chat_support import (
    OTHER_ROOM,
    VIEWER_ROOM,
    create_chat_queue,
    lambda_context,
    put_ban,
    queued_bodies,
    review_request,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from support import CHAT_TABLE, ROOT

from chalicelib.chat.store import ChatStore
from chalicelib.core.times import iso_time


@pytest.fixture
def review(app_module, monkeypatch):
    queue_url = create_chat_queue()
    monkeypatch.setenv("CHAT_MESSAGES_QUEUE_URL", queue_url)
    monkeypatch.setenv("CHAT_ALLOWED_HOSTS", "images.example.com, *.cdn.example.net")

    def call(event):
        return app_module.review_chat_message(event, lambda_context("review_chat_message"))

    call.queue_url = queue_url
    return call


def terms() -> ChatStore:
    return ChatStore(boto3.client("dynamodb"), CHAT_TABLE)


def block(room: str, term: str, *, until: str = "", action: str = "deny") -> None:
    terms().put_term(room, term, by="maria", now=datetime.now(UTC), until=until, action=action)


def test_GIVEN_an_ordinary_message_THEN_allowed_as_sent_and_queued_for_the_deep_pass(review):
    answer = review(review_request("good game everyone", attributes={"color": "blue"}))

    assert answer == {
        "ReviewResult": "ALLOW",
        "Content": "good game everyone",
        "Attributes": {"color": "blue"},
    }
    [body] = queued_bodies(review.queue_url)
    assert body["id"] == "AbCdEf123456" and body["roomArn"] == VIEWER_ROOM
    assert (body["userId"], body["content"], body["source"]) == (
        "viewer1",
        "good game everyone",
        "review",
    )


def test_GIVEN_an_allowed_message_THEN_the_deep_pass_gets_it_only_after_IVS_delivered_it(review):
    review(review_request("first!"))

    assert queued_bodies(review.queue_url, wait=0) == []  # not while IVS may still hold it
    assert [b["content"] for b in queued_bodies(review.queue_url, wait=3)] == ["first!"]


def test_GIVEN_a_banned_user_THEN_denied_with_a_reason_they_see_and_nothing_queued(review):
    put_ban("troll")

    answer = review(review_request("hi again", user="troll"))

    assert answer["ReviewResult"] == "DENY"
    assert answer["Attributes"]["Reason"] == "You are banned from this chat."
    assert queued_bodies(review.queue_url) == []


def test_GIVEN_a_ban_WHEN_the_function_starts_afresh_THEN_it_still_holds(review):
    from chalicelib import dependencies

    put_ban("troll")
    assert review(review_request("one", user="troll"))["ReviewResult"] == "DENY"

    dependencies.reset()  # a new container: nothing remembered, the ban read from the table

    assert review(review_request("two", user="troll"))["ReviewResult"] == "DENY"


def test_GIVEN_a_ban_from_every_room_THEN_denied_in_any_room(review):
    put_ban("troll", room="*")

    assert review(review_request("hi", user="troll", room=OTHER_ROOM))["ReviewResult"] == "DENY"


def test_GIVEN_a_timeout_THEN_denied_until_it_ends_and_allowed_after(review):
    later = iso_time(datetime.now(UTC) + timedelta(minutes=10))
    put_ban("hothead", kind="timeout", until=later)
    put_ban("cooled", kind="timeout", until=iso_time(datetime.now(UTC) - timedelta(seconds=1)))

    held = review(review_request("let me talk", user="hothead"))
    free = review(review_request("sorry", user="cooled"))

    assert held["ReviewResult"] == "DENY" and later in held["Attributes"]["Reason"]
    assert free["ReviewResult"] == "ALLOW"


@pytest.mark.parametrize(
    ("room", "term", "text"),
    [
        (VIEWER_ROOM, "spoiler", "SPOILER: the ending"),
        ("*", "scam*", "scammers everywhere"),
        ("*", "idiot", "you \uff49\uff44\uff49\uff4f\uff54"),  # full-width letters
        (VIEWER_ROOM, "badword", "bad\u200bword"),  # a zero-width space inside
    ],
)
def test_GIVEN_a_blocked_term_THEN_denied_however_it_is_written(review, room, term, text):
    block(room, term)

    answer = review(review_request(text))

    assert answer["ReviewResult"] == "DENY"
    assert answer["Attributes"]["Reason"] == "Your message contains a blocked term."


def test_GIVEN_a_term_blocked_elsewhere_expired_or_inside_a_word_THEN_allowed(review):
    block(OTHER_ROOM, "spoiler")
    block(VIEWER_ROOM, "late", until=iso_time(datetime.now(UTC) - timedelta(minutes=1)))
    block(VIEWER_ROOM, "ass")

    for text in ("spoiler alert", "I am late", "a classic pass"):
        assert review(review_request(text))["ReviewResult"] == "ALLOW", text


def test_GIVEN_a_masked_term_THEN_allowed_rewritten_with_stars(review):
    block("*", "darn", action="mask")

    answer = review(review_request("oh Darn it"))

    assert answer["ReviewResult"] == "ALLOW" and answer["Content"] == "oh **** it"
    assert queued_bodies(review.queue_url)[0]["content"] == "oh **** it"


@pytest.mark.parametrize(
    ("text", "attributes"),
    [
        ("free coins at https://evil.example.org/x", {}),
        ("visit www.spam-site.biz now", {}),
        ("cheap.biz", {}),
        ("look", {"message_type": "STICKER", "sticker_src": "https://tracker.invalid/p.png"}),
    ],
)
def test_GIVEN_a_link_outside_the_allowed_hosts_THEN_denied(review, text, attributes):
    answer = review(review_request(text, attributes=attributes))

    assert answer["ReviewResult"] == "DENY"
    assert "not allowed here" in answer["Attributes"]["Reason"]


def test_GIVEN_links_to_allowed_hosts_THEN_allowed(review):
    sticker = {"message_type": "STICKER", "sticker_src": "https://images.example.com/s/1.png"}

    assert review(review_request("nice", attributes=sticker))["ReviewResult"] == "ALLOW"
    assert review(review_request("https://a.cdn.example.net/x.gif"))["ReviewResult"] == "ALLOW"


@settings(
    max_examples=60,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(
    event=st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=40),
        lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner),
        max_leaves=12,
    )
)
def test_GIVEN_anything_that_is_not_a_review_request_THEN_a_valid_DENY_never_an_error(
    app_module, event
):
    answer = app_module.review_chat_message(event, lambda_context("review_chat_message"))

    assert answer["ReviewResult"] == "DENY"
    assert answer["Attributes"]["Reason"] == "This message could not be checked."
    assert isinstance(answer["Content"], str)


def test_GIVEN_DynamoDB_failing_THEN_the_last_known_ban_still_holds_and_others_are_allowed(
    review, app_module
):
    from chalicelib.dependencies import chat as built

    put_ban("troll")
    assert review(review_request("one", user="troll"))["ReviewResult"] == "DENY"
    client = built.chat_store_for_review().table.client

    def fail(**_):
        raise ClientError({"Error": {"Code": "InternalServerError", "Message": "x"}}, "BatchGet")

    client.meta.events.register_first("before-call.dynamodb", fail)
    try:
        troll = review(review_request("two", user="troll"))
        other = review(review_request("hello", user="viewer2"))
    finally:
        client.meta.events.unregister("before-call.dynamodb", fail)

    assert troll["ReviewResult"] == "DENY"
    assert other["ReviewResult"] == "ALLOW"  # the deep pass checks the ban again


def test_the_review_function_loads_nothing_of_the_deep_pass_nor_of_incidents():
    probe = (
        "import sys, app\n"
        "from chalice.local import LambdaContext\n"
        "app.review_chat_message({'not': 'a review'}, LambdaContext('review', 256))\n"
        "loaded = sorted(m for m in sys.modules if m.startswith('chalicelib'))\n"
        "print('\\n'.join(loaded))\n"
    )
    env = {"AWS_LAMBDA_FUNCTION_NAME": "ivs-moderation-prod-review_chat_message"}
    result = subprocess.run(
        [sys.executable, "-c", probe],
        cwd=ROOT,
        env={**_env(), **env},
        capture_output=True,
        text=True,
        check=True,
    )
    loaded = set(result.stdout.split())
    assert "chalicelib.chat.review" in loaded
    assert not {m for m in loaded if m.startswith(("chalicelib.incidents", "chalicelib.api"))}
    assert "chalicelib.chat.analysis" not in loaded


def _env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items()}
