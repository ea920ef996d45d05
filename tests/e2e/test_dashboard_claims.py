# ruff: noqa: F811  (the fixtures of test_dashboard.py are imported, then asked for by name)
"""Claims that hold, in Chromium on the local stack: two moderators (two browser contexts).

An incident acknowledged by one is held by them: the other sees who holds it and is offered
only a take-over; taking it over (confirmed, with a note) tells the first at once, whose
actions go. A holder assigns it to a colleague (a name typed, the queue's names suggested)
and the colleague releases it; the API says the same. A chat incident's card holds the same
way, and is taken over with its key.
"""

from __future__ import annotations

import secrets

import pytest
from dashboard_helpers import (
    Channel,
    ViewerRoom,
    block_term,
    card,
    chat_card,
    create_moderator,
    sign_in_as,
    standing,
    token_of,
)
from playwright.sync_api import expect
from test_dashboard import (  # noqa: F401 (the browser tests' fixtures)
    SEEN_WITHIN_MS,
    browser,
    console,
    moderator,
    open_page,
    page,
    token,
)

from local.stack_client import api

expect.set_options(timeout=10_000)


@pytest.fixture(scope="module")
def colleague(stack) -> dict:
    return create_moderator(stack, f"moderator-claims-{secrets.token_hex(2)}")


def trail_actions(stack: dict, token: str, incident_id: str) -> list[tuple[str, str]]:
    detail = api(stack, "GET", f"/incidents/{incident_id}", token).json()
    return [(entry["by"], entry["action"]) for entry in detail["trail"]]


def test_a_take_over_is_seen_at_once_by_the_moderator_who_held_it(
    open_page, stack, moderator, colleague, token
):
    channel = Channel(stack, "claim-take", live=True)
    a, b = open_page("a"), open_page("b")
    sign_in_as(a, stack, moderator)
    sign_in_as(b, stack, colleague)
    channel.flag()
    expect(card(a, channel.name)).to_have_count(1)
    expect(card(b, channel.name)).to_have_count(1)

    # WHEN A acknowledges it, THEN it is A's: B sees who holds it, and only a take-over
    card(a, channel.name).get_by_role("button", name="Acknowledge").click()
    b_card = card(b, channel.name)
    expect(b_card.locator(".claim")).to_contain_text(
        "Held by moderator since", timeout=SEEN_WITHIN_MS
    )
    expect(b_card.locator(".actions button")).to_have_text(["Take over"])
    expect(b_card.locator(".pick")).to_have_count(0)  # nor in a bulk action
    a_card = card(a, channel.name)
    expect(a_card.locator(".actions button")).to_have_text(
        ["Dismiss", "Warn", "Escalate", "Stop stream", "Assign to…", "Release"]
    )

    # WHEN B takes it over, confirming, with a note
    b_card.get_by_role("button", name="Take over").click()
    dialog = b.get_by_role("dialog")
    expect(dialog).to_contain_text("moderator holds it since")
    dialog.get_by_label("Note (optional)").fill("Shift change")
    dialog.get_by_role("button", name="Take over").click()

    # THEN A's card says so within 2 s, without a reload, and A's actions are gone
    expect(a_card.locator(".notice")).to_contain_text(
        f"{colleague['username']} took it over from you at", timeout=SEEN_WITHIN_MS
    )
    expect(a_card.locator(".notice")).to_contain_text("“Shift change”")
    expect(a_card.locator(".claim")).to_contain_text(f"Held by {colleague['username']} since")
    expect(a_card.locator(".actions button")).to_have_text(["Take over"])

    # AND B may act on it now: B dismisses it
    b_name = colleague["username"]
    expect(b_card.locator(".actions button")).to_contain_text(["Dismiss", "Stop stream"])
    b_card.get_by_role("button", name="Dismiss").click()
    b.get_by_role("dialog").get_by_role("button", name="Dismiss").click()
    expect(standing(a, channel.name)).to_contain_text(
        f"Resolved: dismissed as a false positive (judged wrong: Weapon Violence) by {b_name}",
        timeout=SEEN_WITHIN_MS,
    )
    incident = channel.incident(token)
    assert trail_actions(stack, token, incident["incidentId"])[-3:] == [
        ("moderator", "acknowledged"),
        (colleague["username"], "taken-over-from:moderator"),
        (colleague["username"], "resolved:dismissed"),
    ]


def test_a_holder_assigns_it_to_a_colleague_who_releases_it(
    open_page, stack, moderator, colleague, token
):
    channel, seen = Channel(stack, "claim-assign"), Channel(stack, "claim-seen")
    channel.flag()
    seen.flag()
    # The colleague's name is in the queue: they hold another incident
    other = seen.incident(token)
    theirs = token_of(stack, colleague)
    answer = api(stack, "POST", f"/incidents/{other['incidentId']}/acknowledge", theirs, {})
    assert answer.status_code == 200, answer.text
    a, b = open_page("a"), open_page("b")
    sign_in_as(a, stack, moderator)
    sign_in_as(b, stack, colleague)
    a_card, b_card = card(a, channel.name), card(b, channel.name)
    a_card.get_by_role("button", name="Acknowledge").click()
    expect(b_card.locator(".claim")).to_contain_text("Held by moderator", timeout=SEEN_WITHIN_MS)

    # WHEN A assigns it to the colleague, whose name is suggested
    a_card.get_by_role("button", name="Assign to…").click()
    dialog = a.get_by_role("dialog")
    suggested = dialog.locator(f'datalist option[value="{colleague["username"]}"]')
    expect(suggested).to_have_count(1)
    expect(dialog.locator('datalist option[value="moderator"]')).to_have_count(0)  # not oneself
    dialog.get_by_label("Colleague’s user name (required)").fill(colleague["username"])
    dialog.get_by_role("button", name="Assign", exact=True).click()

    # THEN it is theirs: A is offered only a take-over, B is told, and may act
    expect(a_card.locator(".claim")).to_contain_text(f"Held by {colleague['username']} since")
    expect(a_card.locator(".actions button")).to_have_text(["Take over"])
    expect(b_card.locator(".notice")).to_contain_text(
        "moderator assigned it to you at", timeout=SEEN_WITHIN_MS
    )
    expect(b_card.locator(".claim")).to_contain_text("Held by you since")
    incident = channel.incident(token)
    assert incident["assignedTo"] == colleague["username"]
    assert incident["acknowledgedBy"] == "moderator"

    # WHEN B releases it, THEN nobody holds it and anyone may acknowledge it again
    b_card.get_by_role("button", name="Release").click()
    b.get_by_role("dialog").get_by_role("button", name="Release").click()
    for each in (a, b):
        expect(standing(each, channel.name)).to_contain_text(
            f"Released by {colleague['username']}", timeout=SEEN_WITHIN_MS
        )
        expect(card(each, channel.name).get_by_role("button", name="Acknowledge")).to_be_visible()
    expect(a_card.locator(".claim")).to_have_count(0)
    incident = channel.incident(token, state="open")
    assert "assignedTo" not in incident or not incident["assignedTo"]
    assert trail_actions(stack, token, incident["incidentId"])[-3:] == [
        ("moderator", "acknowledged"),
        ("moderator", f"assigned-to:{colleague['username']}"),
        (colleague["username"], "released"),
    ]


def test_a_chat_incident_held_by_another_is_taken_over_with_its_key(
    open_page, stack, moderator, colleague, token
):
    channel = Channel(stack, "claim-chat")
    room = ViewerRoom(stack, channel.arn, "claim")
    word = block_term(stack)
    user = f"viewer-claim-{secrets.token_hex(3)}"
    room.send(user, f"a {word} here")
    incident = room.incident(token, user)
    a, b = open_page("a"), open_page("b")
    sign_in_as(a, stack, moderator)
    sign_in_as(b, stack, colleague)
    expect(chat_card(b, user)).to_have_count(1)

    # GIVEN A holds it (acknowledged through the API)
    answer = api(stack, "POST", f"/incidents/{incident['incidentId']}/acknowledge", token, {})
    assert answer.status_code == 200, answer.text
    b_card = chat_card(b, user)
    expect(b_card.locator(".claim")).to_contain_text("Held by moderator since")
    expect(b_card.locator(".actions button")).to_have_text(["Take over"])

    # WHEN B selects the card and presses h, then confirms with Enter
    b_card.locator(".card").focus()
    b.keyboard.press("h")
    dialog = b.get_by_role("dialog")
    expect(dialog.get_by_label("Note (optional)")).to_be_focused()
    b.keyboard.press("Enter")

    # THEN A's chat card says it was taken over, and offers A only a take-over; B may ban
    a_card = chat_card(a, user)
    expect(a_card.locator(".notice")).to_contain_text(
        f"{colleague['username']} took it over from you at", timeout=SEEN_WITHIN_MS
    )
    expect(a_card.locator(".actions button")).to_have_text(["Take over"])
    expect(b_card.get_by_role("button", name="Ban")).to_be_visible()
    expect(b_card.get_by_role("button", name="Release")).to_be_visible()
