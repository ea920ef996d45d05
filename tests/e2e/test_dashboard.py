"""The dashboard in a real browser: Debian's Chromium driven by Playwright, on the local stack.

Each test signs in as a person would (the user pool is moto's Cognito), saves a screenshot
to build/screenshots/, and fails on any console error or uncaught exception in the page.
"""

from __future__ import annotations

import base64
import json
import os
import shutil
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright
from stack_helpers import (
    ROOT,
    api,
    aws,
    channel,
    is_live,
    sign_in,
    thumbnail_key,
    wait_for,
    write_frame,
)

SCREENSHOTS = ROOT / "build" / "screenshots"
# Chromium as root, with no network but this machine (see the README).
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
VIOLENCE = [{"Name": "Weapon Violence", "Confidence": 94.0}]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    # Module scope: Playwright's sync API runs an event loop in this thread until it stops,
    # and the tests after this module run asyncio loops of their own.
    executable = os.environ.get("CHROMIUM") or shutil.which("chromium")
    assert executable, "Chromium is required: `make test` installs Debian's chromium package"
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


class Console:
    """Console errors and uncaught exceptions of a page.

    Chromium reports every HTTP error response as a console error; a test that provokes
    one on purpose (a wrong password is a 400 from Cognito) says which with `expect`.
    """

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.expected: list[str] = []

    def expect(self, status: int, url_part: str) -> None:
        self.expected.append(f"{status}|{url_part}")

    def on_console(self, message) -> None:
        if message.type != "error":
            return
        url = message.location.get("url", "")
        for expected in self.expected:
            status, url_part = expected.split("|", 1)
            if f"status of {status}" in message.text and url_part in url:
                return
        self.errors.append(f"{message.text} ({url})")


@pytest.fixture
def console() -> Console:
    return Console()


@pytest.fixture
def page(browser: Browser, console: Console, request) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 860})
    page = context.new_page()
    page.on("console", console.on_console)
    page.on("pageerror", lambda error: console.errors.append(f"uncaught: {error}"))
    page.set_default_timeout(10_000)
    yield page
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=SCREENSHOTS / f"{request.node.name}.png", full_page=True)
    context.close()
    assert console.errors == [], "console errors in the page"


def open_signed_in(page: Page, stack: dict, user: str = "moderator") -> None:
    page.goto(stack["dashboard_url"])
    page.get_by_label("Username").fill(stack[user]["username"])
    page.get_by_label("Password", exact=True).fill(stack[user]["password"])
    page.get_by_role("button", name="Sign in").click()
    expect(page.locator("#connection")).to_have_text("Live")


def alert_card(page: Page, channel_id: str):
    return page.locator(f'article.channel[data-channel$="/{channel_id}"]')


def test_a_wrong_password_is_refused_in_words(page, stack, console):
    console.expect(400, stack["aws_endpoint_url"])  # Cognito's answer to a wrong password
    page.goto(stack["dashboard_url"])

    page.get_by_label("Username").fill("moderator")
    page.get_by_label("Password", exact=True).fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("alert")).to_have_text("Wrong username or password.")
    expect(page.locator("#connection")).not_to_have_text("Live")


def test_a_violating_frame_appears_as_an_alert_with_its_frame_and_labels(page, stack):
    open_signed_in(page, stack)

    write_frame(stack, thumbnail_key(stack, "DashAlert001", 4), VIOLENCE)

    card = alert_card(page, "DashAlert001")
    expect(card).to_be_visible()
    alert = card.locator("li.alert").first
    expect(alert.locator(".top-label")).to_have_text("Weapon Violence")
    expect(alert.locator(".top-confidence")).to_have_text("94.0%")
    expect(alert.locator(".category")).to_have_text("Violence")
    expect(alert.locator(".labels .name")).to_have_text(
        ["Weapon Violence", "Graphic Violence", "Violence"]
    )
    frame = alert.locator("img.frame")
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=frame.element_handle()
    )
    assert "sev-medium" in (alert.get_attribute("class") or "")


def test_on_a_narrow_screen_nothing_spills_sideways(page, stack):
    page.set_viewport_size({"width": 390, "height": 844})
    open_signed_in(page, stack)
    write_frame(stack, thumbnail_key(stack, "DashNarrow01", 1), VIOLENCE)

    frame = alert_card(page, "DashNarrow01").locator("img.frame")
    page.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=frame.element_handle()
    )

    overflow = page.evaluate("document.scrollingElement.scrollWidth - window.innerWidth")
    assert overflow <= 0


def test_stop_stream_by_keyboard_stops_the_stream_once(page, stack):
    channel_arn = channel(stack, "e2e-dashboard-stop")
    channel_id = channel_arn.rsplit("/", 1)[1]
    wait_for(lambda: is_live(stack, channel_arn), 15, "the channel to go live")
    open_signed_in(page, stack)
    write_frame(stack, thumbnail_key(stack, channel_id, 90), VIOLENCE)
    card = alert_card(page, channel_id)
    expect(card).to_be_visible()

    # WHEN a moderator stops it with the keyboard, and double-clicks the confirmation
    card.get_by_role("button", name="Stop stream").focus()
    page.keyboard.press("Enter")
    dialog = page.get_by_role("dialog", name="Stop stream")
    expect(dialog).to_be_visible()
    page.keyboard.type("Weapon shown on stream")
    dialog.get_by_label("Revoke the stream key").check()
    dialog.get_by_role("button", name="Stop stream").dblclick()

    # THEN the card says so, the stream is offline, and one stop was made
    expect(card.locator(".stop-outcome")).to_have_text("Stopped by moderator, stream key revoked.")
    expect(card.locator(".channel-state")).to_have_text("Stopped by a moderator")
    assert not is_live(stack, channel_arn)
    token = sign_in(stack)
    history = api(stack, "GET", f"/decisions?channelArn={channel_arn}", token).json()["items"]
    assert [item["reason"] for item in history if item["kind"] == "stop"] == [
        "Weapon shown on stream"
    ]


def test_the_history_shows_a_stop_and_who_made_it(page, stack):
    channel_arn = channel(stack, "e2e-dashboard-history")
    token = sign_in(stack)
    wait_for(lambda: is_live(stack, channel_arn), 15, "the channel to go live")
    stop = {"channelArn": channel_arn, "reason": "History check", "revokeStreamKey": True}
    assert api(stack, "POST", "/stop-stream", token, stop).status_code == 200
    open_signed_in(page, stack)

    page.get_by_role("tab", name="History").click()

    rows = page.locator('#history-rows tr[data-kind="stop"]', has_text="History check")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text("Stop: stopped")
    expect(rows.first).to_contain_text("by moderator")


def test_stopping_a_channel_that_is_offline_says_already_offline(page, stack, console):
    console.expect(409, "/stop-stream")
    offline = aws(stack, "ivs").create_channel(name="never-live")["channel"]["arn"]
    channel_id = offline.rsplit("/", 1)[1]
    open_signed_in(page, stack)
    write_frame(stack, thumbnail_key(stack, channel_id, 1), VIOLENCE)
    card = alert_card(page, channel_id)
    expect(card).to_be_visible()

    card.get_by_role("button", name="Stop stream").click()
    page.get_by_label("Reason (required)").fill("Checking an old alert")
    page.get_by_role("dialog").get_by_role("button", name="Stop stream").click()

    expect(card.locator(".stop-outcome")).to_have_text(
        "Already offline: there was no stream to stop."
    )


def test_a_stop_needs_a_reason(page, stack):
    open_signed_in(page, stack)
    write_frame(stack, thumbnail_key(stack, "DashReason01", 1), VIOLENCE)
    card = alert_card(page, "DashReason01")
    card.get_by_role("button", name="Stop stream").click()

    page.get_by_role("dialog").get_by_role("button", name="Stop stream").click()

    expect(page.get_by_role("dialog", name="Stop stream")).to_be_visible()  # not sent
    expect(card.locator(".stop-outcome")).to_have_text("")


def test_a_dropped_connection_reconnects_with_a_fresh_token(page, stack):
    open_signed_in(page, stack)
    claims = stack_token_claims(sign_in(stack))

    # WHEN the moderator's chat connection is dropped by the room
    aws(stack, "ivschat").disconnect_user(
        roomIdentifier=stack["moderation_room_arn"], userId=claims["sub"], reason="e2e drop"
    )

    # THEN the status says so, comes back, and alerts arrive on the new connection
    expect(page.locator("#connection")).not_to_have_text("Live", timeout=5_000)
    expect(page.locator("#connection")).to_have_text("Live", timeout=10_000)
    write_frame(stack, thumbnail_key(stack, "DashReconn01", 1), VIOLENCE)
    expect(alert_card(page, "DashReconn01")).to_be_visible()


def test_an_expired_session_asks_to_sign_in_again_without_losing_the_screen(page, stack, console):
    console.expect(400, stack["aws_endpoint_url"])  # the refresh token is refused
    open_signed_in(page, stack)
    write_frame(stack, thumbnail_key(stack, "DashExpiry01", 1), VIOLENCE)
    expect(alert_card(page, "DashExpiry01")).to_be_visible()

    # WHEN the session has expired and cannot be refreshed
    page.evaluate(
        """() => {
          const key = 'ivs-moderation-session';
          const s = JSON.parse(sessionStorage.getItem(key));
          const expired = {...s, expiresAt: 0, refreshToken: 'revoked'};
          sessionStorage.setItem(key, JSON.stringify(expired));
        }"""
    )
    page.get_by_role("tab", name="History").click()

    # THEN sign-in is asked for over the screen, which is still there behind it
    dialog = page.get_by_role("dialog", name="Sign in")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Your session has expired")
    assert alert_card(page, "DashExpiry01").count() == 1
    dialog.get_by_label("Password", exact=True).fill(stack["moderator"]["password"])
    dialog.get_by_role("button", name="Sign in").click()
    expect(dialog).to_be_hidden()
    expect(page.locator("#history-rows tr").first).to_be_visible()
    expect(alert_card(page, "DashExpiry01")).to_have_count(1)


def stack_token_claims(token: str) -> dict:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
