"""Chat incidents in the dashboard, in a real browser on the local stack.

A viewers' room of a channel (tagged as `make chat-rooms` tags it), a blocked term, and a
message with it queued for the deep pass as the review handler queues it: the relay runs
moderate_chat_messages, which deletes it in the room and opens the chat incident (no
Comprehend: the term decides). Moderators see it in the same queue as frames' incidents,
and each other's actions on it through the moderators' room. What chat users write is
hostile: it stays text, and an image it names is never loaded.
"""

# ruff: noqa: F811 (the browser tests' fixtures are imported, and named as the tests' arguments)
from __future__ import annotations

import re
import secrets

import pytest
from dashboard_helpers import (
    Channel,
    ViewerRoom,
    block_term,
    chat_card,
    create_moderator,
    horizontal_overflow,
    sign_in_as,
)
from playwright.sync_api import expect
from test_dashboard import (  # noqa: F401 (the browser tests' fixtures)
    SEEN_WITHIN_MS,
    browser,
    console,
    open_page,
    page,
    token,
)

from local.stack_client import api

HOSTILE = '<img src=x onerror="window.__pwned=1">'
IMAGE = "https://images.example.com/sticker.png"


@pytest.fixture(scope="module")
def moderator(stack) -> dict:
    return stack["moderator"]


@pytest.fixture(scope="module")
def second_moderator(stack) -> dict:
    return create_moderator(stack, f"moderator-chat-{secrets.token_hex(2)}")


def a_user(purpose: str) -> str:
    return f"viewer-{purpose}-{secrets.token_hex(3)}"


def test_a_chat_incident_shows_its_user_room_messages_and_chat_around_as_text(
    page, stack, moderator, token
):
    images = []
    page.on("request", lambda r: images.append(r.url) if "example.com" in r.url else None)
    channel = Channel(stack, "chat-show", live=True)
    room = ViewerRoom(stack, channel.arn, "show")
    word = block_term(stack)
    user, other = f"{HOSTILE}-{secrets.token_hex(2)}", a_user("other")
    room.said(other, "hello everyone")
    mine = room.said(user, f"an earlier line of mine {HOSTILE}")
    room.send(user, f"you are a {word} {HOSTILE}", attributes={"sticker_src": IMAGE})
    room.incident(token, user)

    sign_in_as(page, stack, moderator)
    item = chat_card(page, user)

    # THEN the card says who, where, what and why, in the queue with the frames' incidents
    expect(item).to_have_count(1)
    expect(item.locator(".chat-user")).to_have_text(user)  # the markup is text, not an image
    expect(item.locator(".room-name")).to_have_text(room.name)
    expect(item.locator(".chat-channel")).to_have_text(channel.name)
    expect(item.locator(".badge.live")).to_have_text("Live")
    expect(item.locator(".label-name")).to_have_text([word])
    expect(item.locator(".facts")).to_contain_text("1 flagged message")
    expect(item.locator(".strikes")).to_have_text("1 strike")
    flagged = item.locator(".chat-message")
    expect(flagged).to_have_count(1)
    expect(flagged.locator(".chat-text")).to_have_text(f"you are a {word} {HOSTILE}")
    expect(flagged.locator(".why")).to_contain_text("Why: a blocked term")
    expect(flagged.locator(".why")).to_contain_text(f"Blocked term: {word} 100.0%")
    expect(flagged.locator(".mark")).to_have_text("Deleted")
    expect(flagged.locator(".image-url")).to_have_text(f"Image, not loaded: {IMAGE}")

    # AND the chat around it, the user's own line marked
    lines = item.locator(".chat-context .chat-line")
    expect(lines).to_have_count(2)
    expect(lines.nth(0)).to_contain_text(f"{other}: hello everyone")
    expect(lines.nth(1)).to_have_class(re.compile(r"\bown\b"))
    expect(item.locator(".chat-line.own .chat-text")).to_have_text(mine["content"])

    # AND only chat actions: no stop, warn, escalation, nor frames
    expect(item.locator(".actions button")).to_have_text(
        ["Acknowledge", "Delete messages", "Time out", "Ban", "Dismiss"]
    )
    expect(item.locator("button.thumb")).to_have_count(0)
    assert item.locator("img").count() == 0
    assert page.evaluate("window.__pwned") is None
    assert images == []

    # WHEN the moderator deletes the user's line still in the room
    item.get_by_role("button", name="Delete messages").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("checkbox")).to_have_count(1)
    expect(dialog.get_by_role("checkbox")).to_be_checked()
    dialog.get_by_role("button", name="Delete messages").click()

    # THEN it is marked deleted, and nothing is left to delete
    expect(item.locator(".chat-line.own .mark")).to_have_text("Deleted")
    expect(item.get_by_role("button", name="Delete messages")).to_have_count(0)
    detail = api(stack, "GET", f"/incidents/{room.incident(token, user)['incidentId']}", token)
    assert [m["deleted"] for m in detail.json()["context"] if m["id"] == mine["id"]] == [True]


def test_a_ban_by_one_moderator_shows_on_the_others_card_and_refuses_their_ban(
    open_page, stack, moderator, second_moderator, console, token
):
    console.expect(409, "/ban")
    channel = Channel(stack, "chat-ban")
    room = ViewerRoom(stack, channel.arn, "ban")
    word = block_term(stack)
    user = a_user("ban")
    a, b = open_page("a"), open_page("b")
    sign_in_as(a, stack, moderator)
    sign_in_as(b, stack, second_moderator)

    room.send(user, f"a {word} here")

    # THEN both see the chat card: the user, why, the strikes
    for each in (a, b):
        expect(chat_card(each, user)).to_have_count(1)
        expect(chat_card(each, user).locator(".why")).to_contain_text("a blocked term")
        expect(chat_card(each, user).locator(".strikes")).to_have_text("1 strike")

    # GIVEN B is about to ban the user
    chat_card(b, user).get_by_role("button", name="Ban").click()
    expect(b.get_by_role("dialog").get_by_role("radio", name="This room")).to_be_checked()

    # WHEN A bans the user from this room first
    chat_card(a, user).get_by_role("button", name="Ban").click()
    a.get_by_role("dialog").get_by_label("Note (optional)").fill("Slurs")
    a.get_by_role("dialog").get_by_role("button", name="Ban").click()
    expect(chat_card(a, user).locator(".standing")).to_contain_text(
        "Resolved: user banned by moderator (you)"
    )

    # THEN B's card says so at once, without a reload, and offers no ban nor timeout
    b_card = chat_card(b, user)
    expect(b_card.locator(".standing")).to_contain_text(
        "Resolved: user banned by moderator", timeout=SEEN_WITHIN_MS
    )
    expect(b_card.locator(".hold")).to_contain_text("Banned from this room by moderator")
    expect(b_card.locator(".actions button")).to_have_text(["Unban", "Reopen"])

    # AND B's ban, confirmed after, is refused, saying who did what
    b.get_by_role("dialog").get_by_role("button", name="Ban").click()
    expect(b_card.locator(".notice")).to_contain_text(
        "Not done: moderator already resolved it (user banned) at"
    )
    bans = api(stack, "GET", f"/chat/bans?roomArn={room.arn}", token).json()["items"]
    assert [(ban["userId"], ban["kind"], ban["by"]) for ban in bans] == [(user, "ban", "moderator")]


def test_a_timeout_is_lifted_by_an_unban_and_a_reopened_incident_dismissed(
    page, stack, moderator, token
):
    channel = Channel(stack, "chat-timeout")
    room = ViewerRoom(stack, channel.arn, "timeout")
    word = block_term(stack)
    user = a_user("timeout")
    room.send(user, f"{word}!")
    room.incident(token, user)
    sign_in_as(page, stack, moderator)
    item = chat_card(page, user)

    # WHEN the moderator times the user out for an hour
    item.get_by_role("button", name="Time out").click()
    dialog = page.get_by_role("dialog")
    expect(dialog.get_by_role("radio")).to_have_count(4)
    dialog.get_by_role("radio", name="1 hour").check()
    dialog.get_by_role("button", name="Time out").click()

    # THEN the timeout shows, and it can be lifted
    expect(item.locator(".standing")).to_contain_text("Resolved: user timed out by moderator")
    expect(item.locator(".hold")).to_contain_text("Timed out until")
    item.get_by_role("button", name="Unban").click()
    expect(item.locator(".hold")).to_have_count(0)
    expect(item.locator(".actions button")).to_have_text(["Reopen"])
    assert api(stack, "GET", f"/chat/bans?roomArn={room.arn}", token).json()["items"] == []

    # WHEN it is reopened and dismissed as a false positive, naming the term
    item.get_by_role("button", name="Reopen").click()
    item.get_by_role("button", name="Dismiss").click()
    dialog = page.get_by_role("dialog")
    expect(dialog).to_contain_text("The strikes of these messages are taken back")
    expect(dialog.get_by_role("checkbox", name=re.compile(word))).to_be_checked()
    dialog.get_by_role("button", name="Dismiss").click()

    expect(item.locator(".standing")).to_contain_text(
        f"Resolved: dismissed as a false positive (judged wrong: {word}) by moderator"
    )
    expect(item.locator(".label.dismissed")).to_have_count(1)


def test_blocked_terms_are_listed_added_for_a_while_starred_out_and_removed(
    page, stack, moderator, token
):
    existing = block_term(stack)
    sign_in_as(page, stack, stack["admin"])  # blocked terms are a policy: an admin's

    page.get_by_role("tab", name="Blocked terms").click()
    panel = page.get_by_role("tabpanel", name="Blocked terms")
    expect(panel.locator(".term", has_text=existing)).to_contain_text(
        "refused, until removed, by admin"
    )

    # WHEN an admin blocks a term for a day, starred out rather than refused
    word = f"zq{secrets.token_hex(4)}"
    panel.get_by_role("textbox", name="Term").fill(word)
    panel.get_by_label("For").select_option(label="1 day")
    panel.get_by_label("Star it out instead of refusing the message").check()
    panel.get_by_role("button", name="Block").click()

    # THEN it is listed so, and the API has it
    row = panel.locator(".term", has_text=word)
    expect(row).to_contain_text("starred out, until ")
    terms = api(stack, "GET", "/chat/terms?roomArn=*", token).json()["items"]
    [added] = [t for t in terms if t["term"] == word]
    assert (added["action"], added["by"], bool(added["until"])) == ("mask", "admin", True)

    # WHEN it is removed, THEN it is gone
    row.get_by_role("button", name=f"Remove {word}").click()
    expect(row).to_have_count(0)
    expect(panel.locator("#terms-status")).to_have_text(f"No longer blocked: {word}.")
    terms = api(stack, "GET", "/chat/terms?roomArn=*", token).json()["items"]
    assert word not in [t["term"] for t in terms]


def test_on_a_390px_phone_a_chat_card_with_a_long_unbroken_message_fits(
    open_page, stack, moderator, token
):
    channel = Channel(stack, "chat-phone")
    room = ViewerRoom(stack, channel.arn, "phone-with-a-long-room-name")
    word = block_term(stack)
    user = a_user("phone") + "x" * 60
    room.said(user, "y" * 300)
    room.send(user, f"{word} {'z' * 400}", attributes={"sticker_src": IMAGE + "?" + "q" * 200})
    room.incident(token, user)
    page = open_page(width=390, height=844)
    sign_in_as(page, stack, moderator)

    item = chat_card(page, user)
    expect(item.locator(".chat-message")).to_have_count(1)
    expect(item.locator(".chat-line.own")).to_have_count(1)
    assert horizontal_overflow(page) <= 0
    assert item.locator(".standing").evaluate("e => getComputedStyle(e).wordBreak") == "normal"
