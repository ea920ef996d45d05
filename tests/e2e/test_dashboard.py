"""The dashboard in a real browser: Debian's Chromium driven by Playwright, on the local stack.

Each test signs in as a person would (the user pool is moto's Cognito), saves a screenshot
of each of its pages to build/screenshots/, and fails on any console error or uncaught
exception in them. Incidents come from violating frames written to the bucket, as IVS
writes them; moderators see each other's actions through the moderators' room.
"""

from __future__ import annotations

import base64
import json
import os
import re
import shutil
from collections.abc import Callable, Iterator

import pytest
from dashboard_helpers import (
    CHROMIUM_ARGS,
    GESTURE,
    VIOLENCE,
    Channel,
    card,
    create_moderator,
    event_time_now,
    horizontal_overflow,
    sign_in_as,
    standing,
)
from playwright.sync_api import Browser, Page, expect, sync_playwright
from stack_helpers import ROOT, aws, is_live

from local.stack_client import api, sign_in

SCREENSHOTS = ROOT / "build" / "screenshots"
SEEN_WITHIN_MS = 2_000  # another moderator's action shows on every dashboard within 2 s
# What a frame sets off (S3, EventBridge, the relay, the handler, the room) on 2 busy cores
expect.set_options(timeout=10_000)


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
    """Console errors and uncaught exceptions of a test's pages.

    Chromium reports every HTTP error response as a console error; a test that provokes
    one on purpose (a wrong password is a 400 from Cognito) says which with `expect`.
    """

    def __init__(self) -> None:
        self.errors: list[str] = []
        self.expected: list[tuple[int, str]] = []

    def expect(self, status: int, url_part: str) -> None:
        self.expected.append((status, url_part))

    def watch(self, page: Page, who: str) -> None:
        page.on("console", lambda message: self._on_console(message, who))
        page.on("pageerror", lambda error: self.errors.append(f"{who}: uncaught: {error}"))

    def _on_console(self, message, who: str) -> None:
        if message.type != "error":
            return
        url = message.location.get("url", "")
        for status, url_part in self.expected:
            if f"status of {status}" in message.text and url_part in url:
                return
        self.errors.append(f"{who}: {message.text} ({url})")


@pytest.fixture
def console() -> Console:
    return Console()


@pytest.fixture
def open_page(browser: Browser, console: Console, request) -> Iterator[Callable[..., Page]]:
    """Pages in browser contexts of their own (two moderators: two contexts)."""
    opened: list[tuple[str, Page]] = []

    def open_page(who: str = "a", width: int = 1280, height: int = 860) -> Page:
        context = browser.new_context(viewport={"width": width, "height": height})
        page = context.new_page()
        page.set_default_timeout(10_000)
        console.watch(page, who)
        opened.append((who, page))
        return page

    yield open_page
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for who, page in opened:
        suffix = "" if len(opened) == 1 else f"-{who}"
        page.screenshot(path=SCREENSHOTS / f"{request.node.name}{suffix}.png", full_page=True)
        page.context.close()
    assert console.errors == [], "console errors in the page"


@pytest.fixture
def page(open_page) -> Page:
    return open_page()


@pytest.fixture(scope="module")
def moderator(stack) -> dict:
    return stack["moderator"]


@pytest.fixture(scope="module")
def second_moderator(stack) -> dict:
    return create_moderator(stack, "moderator-b")


@pytest.fixture(scope="module")
def token(stack) -> str:
    return sign_in(stack)


# --- signing in -------------------------------------------------------------------------------


def test_a_wrong_password_is_refused_in_words(page, stack, console):
    console.expect(400, stack["aws_endpoint_url"])  # Cognito's answer to a wrong password
    page.goto(stack["dashboard_url"])

    page.get_by_label("Username").fill("moderator")
    page.get_by_label("Password", exact=True).fill("not-the-password")
    page.get_by_role("button", name="Sign in").click()

    expect(page.get_by_role("alert")).to_have_text("Wrong username or password.")
    expect(page.locator("#connection")).not_to_have_text("Live")


def test_a_signed_in_non_moderator_is_told_how_to_get_access(page, stack, console):
    console.expect(403, "/incidents")
    console.expect(403, "/channels")
    chat_tokens = []
    page.on("request", lambda r: chat_tokens.append(r.url) if "chat-token" in r.url else None)

    sign_in_as(page, stack, stack["viewer"], live=False)

    expect(page.get_by_role("heading", name="You are not a moderator")).to_be_visible()
    denied = page.locator("#denied")
    expect(denied).to_contain_text("signed in as viewer")
    expect(denied).to_contain_text(
        "ask an administrator of the user pool to add you to the group of your role"
    )
    expect(denied.get_by_role("button", name="Sign out")).to_be_visible()
    expect(page.get_by_role("tab", name="Queue")).to_be_hidden()
    page.wait_for_timeout(2_500)  # no reconnection loop: nothing more is asked
    expect(page.locator("#connection")).to_have_text("No access")
    assert chat_tokens == []


def test_an_expired_session_asks_to_sign_in_again_without_losing_the_screen(
    page, stack, moderator, console
):
    console.expect(400, stack["aws_endpoint_url"])  # the refresh token is refused
    channel = Channel(stack, "expiry")
    channel.flag()
    sign_in_as(page, stack, moderator)
    expect(card(page, channel.name)).to_have_count(1)

    # WHEN the session has expired and cannot be refreshed
    page.evaluate(
        """() => {
          const key = 'ivs-moderation-session';
          const s = JSON.parse(sessionStorage.getItem(key));
          const expired = {...s, expiresAt: 0, refreshToken: 'revoked'};
          sessionStorage.setItem(key, JSON.stringify(expired));
        }"""
    )
    page.get_by_role("tab", name="Stats").click()

    # THEN sign-in is asked for over the screen, which is still there behind it
    dialog = page.get_by_role("dialog", name="Sign in")
    expect(dialog).to_be_visible()
    expect(dialog).to_contain_text("Your session has expired")
    assert card(page, channel.name).count() == 1
    dialog.get_by_label("Password", exact=True).fill(moderator["password"])
    dialog.get_by_role("button", name="Sign in").click()
    expect(dialog).to_be_hidden()
    expect(page.locator("#stats-rows tr").first).to_be_visible()
    page.get_by_role("tab", name="Queue").click()
    expect(card(page, channel.name)).to_have_count(1)


# --- the queue ----------------------------------------------------------------------------------


def test_the_queue_loads_on_sign_in_keeps_current_and_survives_a_reload(
    page, stack, moderator, token
):
    # GIVEN incidents that opened before anyone signed in
    violence, gesture = Channel(stack, "reload-a"), Channel(stack, "reload-b")
    violence.flag(VIOLENCE, count=2)
    gesture.flag(GESTURE)
    violence.incident(token, frameCount=2)
    gesture.incident(token)

    # WHEN a moderator signs in, THEN they are in the queue, by channel name
    sign_in_as(page, stack, moderator)
    expect(card(page, violence.name)).to_have_count(1)
    expect(card(page, violence.name).locator(".label-name")).to_have_text(["Weapon Violence"])
    expect(card(page, violence.name).locator(".facts")).to_contain_text("2 frames")
    expect(card(page, gesture.name).locator(".label-name")).to_have_text(["Middle Finger"])
    expect(standing(page, gesture.name)).to_have_text("Nobody has it yet")

    # AND a new frame of the same episode updates its card, not a second one
    violence.flag(VIOLENCE)  # the third frame of the incident: counted, not announced
    violence.flag([{"Name": "Middle Finger", "Confidence": 90.0}])  # a category is added
    expect(card(page, violence.name).locator(".label-name")).to_have_text(
        ["Weapon Violence", "Middle Finger"]
    )
    expect(card(page, violence.name)).to_have_count(1)

    # WHEN the page is reloaded, THEN the queue is all there again, each incident once
    page.reload()
    expect(page.locator("#connection")).to_have_text("Live")
    expect(card(page, violence.name)).to_have_count(1)
    expect(card(page, violence.name).locator(".facts")).to_contain_text("4 frames")
    expect(card(page, gesture.name)).to_have_count(1)
    ids = page.locator("#incidents > li").evaluate_all("li => li.map(i => i.dataset.incident)")
    assert len(ids) == len(set(ids))


def test_late_and_repeated_events_never_undo_a_newer_state(page, stack, moderator, token):
    channel = Channel(stack, "order")
    channel.flag()
    incident = channel.incident(token)
    sign_in_as(page, stack, moderator)
    expect(card(page, channel.name)).to_have_count(1)

    # WHEN the room delivers a newer version, then an older one, then the newer one again
    def send(version: int, **attributes: str) -> None:
        event = {
            "schemaVersion": "2",
            "eventTime": event_time_now(),
            "incidentId": incident["incidentId"],
            "incidentVersion": str(version),
            "channelArn": channel.arn,
            "channelName": channel.name,
            "severity": "medium",
            "topLabel": "Weapon Violence",
            "topConfidence": "94.0",
            "frameCount": "1",
            **attributes,
        }
        aws(stack, "ivschat").send_event(
            roomIdentifier=stack["moderation_room_arn"],
            eventName="STREAM_MODERATION",
            attributes=event,
        )

    send(50, type="incident-acknowledged", state="acknowledged", acknowledgedBy="maria")
    send(49, type="incident-reopened", state="open")
    send(50, type="incident-acknowledged", state="acknowledged", acknowledgedBy="maria")

    # THEN the card shows version 50, once
    expect(standing(page, channel.name)).to_contain_text("Acknowledged by maria")
    page.wait_for_timeout(500)
    expect(standing(page, channel.name)).to_contain_text("Acknowledged by maria")
    expect(card(page, channel.name)).to_have_count(1)


def test_a_channel_whose_frames_fail_shows_that_the_team_is_blind_there(page, stack, moderator):
    channel = Channel(stack, "blind")
    sign_in_as(page, stack, moderator)

    aws(stack, "ivschat").send_event(
        roomIdentifier=stack["moderation_room_arn"],
        eventName="STREAM_MODERATION",
        attributes={
            "schemaVersion": "2",
            "type": "frames-failed",
            "eventTime": event_time_now(),
            "channelArn": channel.arn,
            "channelName": channel.name,
            "decision": "failed",
            "attempts": "3",
            "error": "RetriesExhausted",
        },
    )

    banner = page.locator("#blind .blind")
    expect(banner).to_contain_text(f"Blind on {channel.name}")
    expect(banner).to_contain_text("3 attempts: RetriesExhausted")


def test_no_stop_on_an_offline_channel_and_live_again_when_it_returns(
    page, stack, moderator, token
):
    channel = Channel(stack, "offline", live=True)
    channel.flag()
    channel.incident(token)
    sign_in_as(page, stack, moderator)
    item = card(page, channel.name)
    expect(item.locator(".badge")).to_have_text("Live")
    expect(item.get_by_role("button", name="Stop stream")).to_be_visible()

    channel.disconnect()  # IVS: Stream End, the room hears the channel is offline

    expect(item.locator(".badge")).to_have_text("Offline")
    expect(item.get_by_role("button", name="Stop stream")).to_have_count(0)

    channel.connect()  # back live (a new session); the incident of the old one stays listed

    expect(item.locator(".badge")).to_have_text("Live")


# --- two moderators -------------------------------------------------------------------------


def test_a_second_moderator_sees_an_acknowledgement_and_a_dismissal_within_2_s(
    open_page, stack, moderator, second_moderator
):
    channel = Channel(stack, "two")
    a, b = open_page("a"), open_page("b")
    sign_in_as(a, stack, moderator)
    sign_in_as(b, stack, second_moderator)
    channel.flag()
    expect(card(a, channel.name)).to_have_count(1)
    expect(card(b, channel.name)).to_have_count(1)

    # WHEN A acknowledges it, THEN B sees who did, within 2 s
    card(a, channel.name).get_by_role("button", name="Acknowledge").click()
    expect(standing(a, channel.name)).to_contain_text("Acknowledged by moderator")
    expect(standing(b, channel.name)).to_contain_text(
        "Acknowledged by moderator", timeout=SEEN_WITHIN_MS
    )
    expect(card(b, channel.name).get_by_role("button", name="Acknowledge")).to_have_count(0)

    # WHEN A dismisses it as a false positive, naming the label judged wrong
    card(a, channel.name).get_by_role("button", name="Dismiss").click()
    dialog = a.get_by_role("dialog")
    expect(dialog.get_by_role("checkbox", name=re.compile("Weapon Violence"))).to_be_checked()
    dialog.get_by_label("Note (optional)").fill("A toy in a game")
    dialog.get_by_role("button", name="Dismiss").click()

    # THEN B's card resolves: what, by whom, and only Reopen is left
    expected = (
        "Resolved: dismissed as a false positive (judged wrong: Weapon Violence) by moderator"
    )
    expect(standing(a, channel.name)).to_contain_text(expected)
    expect(standing(b, channel.name)).to_contain_text(expected, timeout=SEEN_WITHIN_MS)
    expect(card(b, channel.name).locator(".actions button")).to_have_text(["Reopen"])
    expect(card(b, channel.name).locator(".label.dismissed")).to_have_count(1)

    # AND the statistics count the false positive
    b.get_by_role("tab", name="Stats").click()
    violence = b.locator("#stats-rows tr", has=b.get_by_role("rowheader", name="Violence"))
    expect(violence.locator('td[data-label="Dismissed as false positive"]')).not_to_have_text("0")

    # WHEN B reopens it, THEN A sees who did, and can act on it again
    b.get_by_role("tab", name="Queue").click()
    card(b, channel.name).get_by_role("button", name="Reopen").click()
    expect(standing(a, channel.name)).to_contain_text(
        "Reopened by moderator-b", timeout=SEEN_WITHIN_MS
    )
    expect(card(a, channel.name).get_by_role("button", name="Acknowledge")).to_be_visible()


def test_an_escalation_goes_to_one_of_the_configured_teams(page, stack, moderator, token):
    channel = Channel(stack, "escalate")
    channel.flag()
    sign_in_as(page, stack, moderator)

    # WHEN the moderator escalates, THEN the teams offered are the stage's, and one is chosen
    card(page, channel.name).get_by_role("button", name="Escalate", exact=True).click()
    dialog = page.get_by_role("dialog")
    teams = api(stack, "GET", "/teams", token).json()["escalationTeams"]
    expect(dialog.get_by_label("Team (required)").locator("option")).to_have_text(
        ["Choose the team…", *teams]
    )
    team = teams[-1]
    dialog.get_by_label("Team (required)").select_option(team)
    dialog.get_by_role("button", name="Escalate", exact=True).click()

    expect(standing(page, channel.name)).to_contain_text(f"Escalated to {team} by moderator")
    assert channel.incident(token)["escalatedTo"] == team


def test_a_stop_after_another_moderators_stop_shows_who_stopped_it(
    open_page, stack, moderator, second_moderator, console, token
):
    console.expect(409, "/stop-stream")
    channel = Channel(stack, "stop", live=True)
    channel.flag()
    a, b = open_page("a"), open_page("b")
    sign_in_as(a, stack, moderator)
    sign_in_as(b, stack, second_moderator)

    # GIVEN B is about to stop the stream
    card(b, channel.name).get_by_role("button", name="Stop stream").click()
    b.get_by_label("Reason (required)").fill("Weapon on stream")

    # WHEN A stops it first (double-clicking the confirmation: one request)
    card(a, channel.name).get_by_role("button", name="Stop stream").click()
    a.get_by_label("Reason (required)").fill("Weapon shown on stream")
    a.get_by_label("Also revoke the stream key").check()  # off unless asked
    a.get_by_role("dialog").get_by_role("button", name="Stop stream").dblclick()
    expect(card(a, channel.name).locator(".notice")).to_have_text(
        "Stream stopped by moderator; stream key revoked."
    )
    expect(standing(a, channel.name)).to_contain_text("Resolved: stream stopped by moderator")

    # AND B confirms after
    b.get_by_role("dialog").get_by_role("button", name="Stop stream").click()

    # THEN B is told, in words, who stopped it, and sees the incident as it now is
    notice = card(b, channel.name).locator(".notice")
    expect(notice).to_contain_text("Not done: moderator already resolved it (stream stopped) at")
    expect(card(b, channel.name).locator(".actions button")).to_have_text(["Reopen"])
    assert not is_live(stack, channel.arn)
    history = api(stack, "GET", f"/decisions?channelArn={channel.arn}&kind=stop", token).json()
    stopped = [s["reason"] for s in history["items"] if s.get("outcome") == "stopped"]
    assert stopped == ["Weapon shown on stream"]


def test_a_stream_that_ended_while_the_stop_was_being_written_is_said_so(
    page, stack, moderator, console, token
):
    console.expect(409, "/stop-stream")
    channel = Channel(stack, "ended", live=True)
    channel.flag()
    incident = channel.incident(token)
    ack = f"/incidents/{incident['incidentId']}/acknowledge"
    assert api(stack, "POST", ack, token, {}).status_code == 200  # stays open when it ends
    sign_in_as(page, stack, moderator)
    card(page, channel.name).get_by_role("button", name="Stop stream").click()
    page.get_by_label("Reason (required)").fill("Weapon on stream")

    channel.disconnect()  # the broadcaster leaves meanwhile
    expect(card(page, channel.name).locator(".badge")).to_have_text("Offline")
    page.get_by_role("dialog").get_by_role("button", name="Stop stream").click()

    notice = card(page, channel.name).locator(".notice")
    expect(notice).to_contain_text("Not stopped: the channel is not live")
    expect(card(page, channel.name).get_by_role("button", name="Stop stream")).to_have_count(0)


def test_a_stop_needs_a_reason(page, stack, moderator):
    channel = Channel(stack, "reason", live=True)
    channel.flag()
    sign_in_as(page, stack, moderator)
    card(page, channel.name).get_by_role("button", name="Stop stream").click()

    page.get_by_role("dialog").get_by_role("button", name="Stop stream").click()

    expect(page.get_by_role("dialog")).to_be_visible()  # not sent
    expect(card(page, channel.name).locator(".notice")).to_have_count(0)
    assert is_live(stack, channel.arn)


# --- keyboard and the incident opened large ----------------------------------------------------


def test_keyboard_only_triage_of_three_incidents(page, stack, moderator, token):
    channels = [Channel(stack, f"keys{n}") for n in range(3)]
    for channel in channels:
        channel.flag()
        channel.incident(token)
    sign_in_as(page, stack, moderator)
    for channel in channels:
        expect(card(page, channel.name)).to_have_count(1)

    def select(name: str) -> None:
        """Press j until the focused incident is `name`'s (the queue is shared with others)."""
        for _ in range(60):
            focused = page.evaluate(
                "document.activeElement.closest('li.incident')?.querySelector('h2').textContent"
            )
            if focused == name:
                return
            page.keyboard.press("j")
        pytest.fail(f"j never reached {name}")

    page.keyboard.press("?")
    expect(page.get_by_role("dialog", name="Keys")).to_contain_text("Acknowledge")
    page.keyboard.press("Escape")

    select(channels[0].name)
    page.keyboard.press("a")
    expect(standing(page, channels[0].name)).to_contain_text("Acknowledged by moderator")

    select(channels[1].name)
    page.keyboard.press("d")
    expect(page.get_by_role("dialog")).to_contain_text("Labels judged wrong")
    page.keyboard.press("Enter")
    expect(standing(page, channels[1].name)).to_contain_text("dismissed as a false positive")

    # the dismissed incident moves down to the resolved ones: the next one is selected
    select(channels[2].name)
    page.keyboard.press("o")
    expect(page.locator("#lightbox")).to_be_visible()
    page.keyboard.press("w")
    page.keyboard.type("Keep weapons off camera")
    page.keyboard.press("Enter")
    expect(page.locator("#lightbox .standing")).to_contain_text("Resolved: warned by moderator")
    page.keyboard.press("Escape")
    expect(page.locator("#lightbox")).to_be_hidden()
    expect(standing(page, channels[2].name)).to_contain_text("Resolved: warned by moderator")
    expect(page.locator("#incidents .card:focus")).to_have_count(1)  # back in the queue

    states = [channel.incident(token) for channel in channels]
    assert [(i["state"], i.get("resolution")) for i in states] == [
        ("acknowledged", None),
        ("resolved", "dismissed"),
        ("resolved", "warned"),
    ]
    assert states[2]["resolutionNote"] == "Keep weapons off camera"


def test_frames_open_large_blurred_until_revealed(page, stack, moderator, token):
    channel = Channel(stack, "frames")
    channel.flag(count=3)
    channel.incident(token, frameCount=3)
    sign_in_as(page, stack, moderator)

    # WHEN the incident's frame is opened
    card(page, channel.name).locator("button.thumb").click()

    # THEN it is large and blurred, with its frames as a strip, the latest chosen
    lightbox = page.locator("#lightbox")
    expect(lightbox.locator(".strip-frame")).to_have_count(3)
    expect(lightbox.locator('.strip-frame[aria-current="true"]')).to_have_count(1)
    expect(lightbox.locator("figcaption")).to_contain_text("Frame 3 of 3")
    stage = lightbox.locator(".stage .frame")
    expect(stage).to_have_class(re.compile(r"\bblurred\b"))
    image = stage.locator("img")
    expect(image).to_have_css("filter", re.compile(r"blur"))
    expect(image).not_to_have_js_property("naturalWidth", 0)  # loaded
    assert image.evaluate("img => img.getBoundingClientRect().width") >= 640

    # WHEN revealed, THEN not blurred; the frame before is a key press away
    lightbox.get_by_role("button", name="Reveal frames (v)").click()
    expect(stage).not_to_have_class(re.compile(r"\bblurred\b"))
    expect(image).to_have_css("filter", "none")
    page.keyboard.press("ArrowLeft")
    expect(lightbox.locator("figcaption")).to_contain_text("Frame 2 of 3")
    page.keyboard.press("v")
    expect(lightbox.locator(".stage .frame")).to_have_class(re.compile(r"\bblurred\b"))
    page.keyboard.press("Escape")

    # AND a moderator who does not want blurring says so once: it is remembered
    page.get_by_role("button", name="Settings").click()
    page.get_by_label("Blur frames until I reveal them").uncheck()
    page.get_by_role("button", name="Save").click()
    page.reload()
    expect(page.locator("#connection")).to_have_text("Live")
    expect(card(page, channel.name).locator(".frame")).not_to_have_class(re.compile(r"\bblurred\b"))


# --- history and small screens ------------------------------------------------------------


def test_history_shows_flagged_frames_incident_actions_and_stops_by_channel_name(
    page, stack, moderator, token
):
    channel = Channel(stack, "history", live=True)
    channel.flag()
    incident = channel.incident(token)
    stop = {
        "channelArn": channel.arn,
        "reason": "History check",
        "revokeStreamKey": True,
        "incidentId": incident["incidentId"],
    }
    assert api(stack, "POST", "/stop-stream", token, stop).status_code == 200
    sign_in_as(page, stack, moderator)

    page.get_by_role("tab", name="History").click()
    history = page.get_by_role("tabpanel", name="History")
    expect(
        history.get_by_role("checkbox", name="Clean")
    ).to_be_disabled()  # clean frames: only for one channel
    history.get_by_label("Channel").select_option(label=channel.name)
    expect(history.get_by_role("checkbox", name="Clean")).to_be_enabled()
    history.get_by_role("button", name="Show").click()

    stops = page.locator('#history-rows li[data-kind="stop"]', has_text="History check")
    expect(stops).to_have_count(1)
    expect(stops).to_contain_text("Stop: stopped by moderator, stream key revoked")
    expect(stops.locator(".entry-channel")).to_have_text(channel.name)
    expect(page.locator('#history-rows li[data-kind="incident"]').first).to_contain_text(
        "Incident resolved as stopped by moderator"
    )
    flagged = page.locator('#history-rows li[data-kind="frame"]').first
    expect(flagged).to_contain_text("Flagged: Weapon Violence 94.0%")
    expect(flagged.locator("time")).to_have_text(re.compile(r"\b(UTC|GMT)"))  # with its zone
    expect(page.locator("#history-zone")).to_contain_text("Times in")


def test_on_a_390px_phone_queue_and_history_fit_and_no_word_is_broken(
    open_page, stack, moderator, token
):
    channel = Channel(stack, "phone-with-a-rather-long-channel-name")
    channel.flag()
    channel.incident(token)
    page = open_page(width=390, height=844)
    sign_in_as(page, stack, moderator)
    item = card(page, channel.name)
    expect(item).to_have_count(1)
    assert horizontal_overflow(page) <= 0

    page.get_by_role("tab", name="History").click()
    expect(page.locator("#history-rows li").first).to_be_visible()
    assert horizontal_overflow(page) <= 0

    # Prose wraps between words; only ids and keys may break anywhere.
    prose = page.locator("#history-rows .what").first
    assert prose.evaluate("e => getComputedStyle(e).wordBreak") == "normal"
    assert prose.evaluate("e => getComputedStyle(e).overflowWrap") != "anywhere"
    key = page.locator("#history-rows .id").first
    assert key.evaluate("e => getComputedStyle(e).overflowWrap") == "anywhere"
    page.get_by_role("tab", name="Queue").click()
    assert item.locator(".standing").evaluate("e => getComputedStyle(e).wordBreak") == "normal"


def test_a_dropped_connection_reconnects_with_a_fresh_token_and_catches_up(page, stack, moderator):
    sign_in_as(page, stack, moderator)
    claims = token_claims(sign_in(stack))
    chat_tokens = []
    page.on("request", lambda r: chat_tokens.append(r) if "chat-token" in r.url else None)
    channel = Channel(stack, "reconnect")

    # WHEN the moderator's chat connection is dropped, and an incident opens meanwhile
    aws(stack, "ivschat").disconnect_user(
        roomIdentifier=stack["moderation_room_arn"], userId=claims["sub"], reason="e2e drop"
    )
    expect(page.locator("#connection")).not_to_have_text("Live", timeout=5_000)
    channel.flag()

    # THEN it comes back, with a new token, and the queue has what it missed
    expect(page.locator("#connection")).to_have_text("Live", timeout=10_000)
    assert len(chat_tokens) == 1
    expect(card(page, channel.name)).to_have_count(1)


def token_claims(token: str) -> dict:
    payload = token.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
