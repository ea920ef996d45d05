# ruff: noqa: F811  (the fixtures of test_dashboard.py are imported, then asked for by name)
"""The dashboard as a team works a busy queue, in Chromium on the local stack.

A new incident counts in the tab's title and raises the desktop notification the moderator
opted into (asked once, remembered); the queue's order (urgency by default), filters and
search; a bulk acknowledgement where another moderator got to one incident first; the Stop
dialog keeping the stream key unless asked; "1 frame" and frame counts as frames join;
a 390 px phone. The order and filters use incidents added to the API's answer by the test
(opened minutes ago, which no frame can do now); the rest are real.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Iterator

import pytest
from dashboard_helpers import (
    Channel,
    card,
    create_moderator,
    fake_incident,
    horizontal_overflow,
    sign_in_as,
    standing,
    token_of,
)
from playwright.sync_api import Page, Route, expect
from test_dashboard import SCREENSHOTS, browser, console, moderator, token  # noqa: F401

from local.stack_client import api

expect.set_options(timeout=10_000)

# Records every Notification made, and plays the browser's permission: "default" until asked.
NOTIFICATIONS = """
(() => {
  window.__notifications = [];
  window.__asked = 0;
  let permission = 'default';
  function Recorded(title, options) {
    window.__notifications.push({ title, body: (options || {}).body || '' });
    this.close = () => {};
  }
  Object.defineProperty(Recorded, 'permission', { get: () => permission });
  Recorded.requestPermission = async () => {
    window.__asked += 1;
    permission = 'granted';
    return permission;
  };
  window.Notification = Recorded;
  document.hasFocus = () => false; // the moderator is in another window
})();
"""


@pytest.fixture
def open_page(browser, console, request) -> Iterator[Callable[..., Page]]:
    """Pages in browser contexts of their own; `script` runs before the page's own."""
    opened: list[tuple[str, Page]] = []

    def open_page(who: str = "a", width: int = 1280, height: int = 860, script: str = "") -> Page:
        context = browser.new_context(
            viewport={"width": width, "height": height}, permissions=["notifications"]
        )
        if script:
            context.add_init_script(script)
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
        page.unroute_all(behavior="ignoreErrors")  # a re-sync's GET /incidents may be in flight
        page.context.close()
    assert console.errors == [], "console errors in the page"


@pytest.fixture(scope="module")
def other_moderator(stack) -> dict:
    return create_moderator(stack, "moderator-q")


def add_to_the_queue(page: Page, items: list[dict]) -> None:
    """GET /incidents answers with `items` too (the page alone knows them)."""

    def handle(route: Route) -> None:
        response = route.fetch()
        body = response.json()
        body["items"] = [*body["items"], *items]
        route.fulfill(response=response, json=body)

    page.route(re.compile(r"/incidents$"), handle)


def shown_names(page: Page) -> list[str]:
    return page.locator("#incidents > li h2").all_text_contents()


# --- alerts ------------------------------------------------------------------------------


def test_a_new_incident_counts_in_the_title_and_raises_the_notification_opted_into(
    open_page,
    stack,
    moderator,
):
    page = open_page(script=NOTIFICATIONS)
    sign_in_as(page, stack, moderator)
    counted = """() => {
      const m = document.title.match(/^(?:\\(([^)]*)\\) )?Stream moderation$/);
      if (!m) return false;
      const parts = (m[1] || '').split(' · ');
      const waiting = Number(parts.find((p) => /^\\d+$/.test(p)) || 0);
      const fresh = Number((parts.find((p) => / new$/.test(p)) || '0').split(' ')[0]);
      const open = document.querySelectorAll('#incidents > li[data-state="open"]').length;
      return waiting === open && (FRESH) && { open, fresh };
    }"""
    page.wait_for_function(counted.replace("FRESH", "true"))

    # WHEN the moderator opts into notifications and a sound: the browser is asked, once
    page.get_by_role("button", name="Settings").click()
    page.get_by_label("Play a sound").check()
    page.get_by_label("Show a desktop notification").check()
    page.get_by_role("button", name="Save").click()
    page.get_by_role("button", name="Settings").click()
    expect(page.get_by_label("Show a desktop notification")).to_be_checked()
    page.get_by_role("button", name="Save").click()
    assert page.evaluate("window.__asked") == 1

    # AND a new incident opens while the dashboard is not in front of them
    channel = Channel(stack, "alert")
    channel.flag()
    expect(card(page, channel.name)).to_have_count(1)

    # THEN the title counts it (as new too), and a notification names its channel
    page.wait_for_function(counted.replace("FRESH", "fresh > 0"))
    notes = page.evaluate("window.__notifications")
    assert [n for n in notes if channel.name in n["body"]], notes
    assert any(n["title"].startswith("New ") and "incident" in n["title"] for n in notes)

    # WHEN they come back to the tab, THEN nothing is "new"; the choice is remembered
    page.evaluate("document.hasFocus = () => true; window.dispatchEvent(new Event('focus'))")
    expect(page).not_to_have_title(re.compile("new"))
    page.reload()
    expect(page.locator("#connection")).to_have_text("Live")
    page.get_by_role("button", name="Settings").click()
    expect(page.get_by_label("Show a desktop notification")).to_be_checked()
    expect(page.get_by_label("Play a sound")).to_be_checked()


# --- order, filters, search --------------------------------------------------------------


def test_the_queue_orders_by_urgency_filters_and_searches(page_and_fakes):
    page, fakes = page_and_fakes
    tag = fakes["tag"]
    search = page.get_by_label("Search")
    search.fill(tag)

    # By urgency (the default): the share of its severity's target each has used
    expect(page.get_by_label("Order")).to_have_value("urgency")
    expect(page.locator("#incidents > li h2")).to_have_text(
        [f"{tag}-mine", f"{tag}-medium", f"{tag}-critical", f"{tag}-high", f"{tag}-escalated"]
    )
    medium = card(page, f"{tag}-medium")
    expect(medium.locator(".age")).to_have_text(re.compile(r"^Open for 9 min, target 15 min$"))
    expect(card(page, f"{tag}-mine").locator(".age")).to_have_text(
        re.compile(r"^Urgent: Open for 2\d min, past the 15 min target$")
    )

    page.get_by_label("Order").select_option("newest")
    assert shown_names(page)[:4] == [
        f"{tag}-high",
        f"{tag}-critical",
        f"{tag}-medium",
        f"{tag}-mine",
    ]
    page.get_by_label("Order").select_option("oldest")
    assert shown_names(page)[:4] == [
        f"{tag}-mine",
        f"{tag}-medium",
        f"{tag}-critical",
        f"{tag}-high",
    ]

    # Filters: whose, state, category, kind, channel
    page.get_by_label("Whose").select_option("mine")
    expect(page.locator("#incidents > li h2")).to_have_text([f"{tag}-mine"])
    page.get_by_label("Whose").select_option("unassigned")
    expect(page.locator("#incidents > li h2")).to_have_text(
        [f"{tag}-medium", f"{tag}-critical", f"{tag}-high"]
    )
    page.get_by_label("Whose").select_option("")
    page.get_by_label("State").select_option("escalated")
    expect(page.locator("#incidents > li h2")).to_have_text([f"{tag}-escalated"])
    page.get_by_label("State").select_option("all")
    page.get_by_label("Category").select_option("Rude Gestures")
    expect(page.locator("#incidents > li h2")).to_have_text([f"{tag}-high"])
    page.get_by_label("Category").select_option("")
    page.get_by_label("Kind").select_option("chat")
    expect(page.locator("#incidents > li")).to_have_count(0)
    expect(page.locator("#queue-status")).to_contain_text("No incident matches these filters")
    page.get_by_label("Kind").select_option("frame")
    page.locator("#queue-filters").get_by_label("Channel").select_option(label=f"{tag}-critical")
    expect(page.locator("#incidents > li h2")).to_have_text([f"{tag}-critical"])
    page.locator("#queue-filters").get_by_label("Channel").select_option("")

    # Search: an incident id, a channel id
    search.fill(fakes["high"]["incidentId"][:12])
    expect(page.locator("#incidents > li h2")).to_have_text([f"{tag}-high"])
    search.fill(fakes["medium"]["channelArn"].rsplit("/", 1)[1].upper())
    expect(page.locator("#incidents > li h2")).to_have_text([f"{tag}-medium"])

    # A compact queue: smaller cards, remembered
    search.fill(tag)
    height = card(page, f"{tag}-medium").evaluate("e => e.getBoundingClientRect().height")
    page.get_by_role("button", name="Compact").click()
    expect(page.get_by_role("button", name="Compact")).to_have_attribute("aria-pressed", "true")
    compact = card(page, f"{tag}-medium").evaluate("e => e.getBoundingClientRect().height")
    assert compact < height * 0.85, (compact, height)


@pytest.fixture
def page_and_fakes(open_page, stack, moderator, console):
    console.expect(404, "/incidents/")  # live counts read the page-only incidents
    tag = f"zq{secrets.token_hex(3)}"
    fakes = {
        "medium": fake_incident(f"{tag}-medium", "medium", 9.2),
        "high": fake_incident(f"{tag}-high", "high", 26 / 60, category="Rude Gestures"),
        "critical": fake_incident(f"{tag}-critical", "critical", 0.5),
        "mine": fake_incident(
            f"{tag}-mine", "medium", 21, state="acknowledged", acknowledgedBy="moderator"
        ),
        "escalated": fake_incident(
            f"{tag}-escalated",
            "high",
            30,
            state="resolved",
            resolution="escalated",
            escalatedTo="Legal",
            resolvedBy="moderator",
        ),
    }
    page = open_page()
    add_to_the_queue(page, list(fakes.values()))
    sign_in_as(page, stack, moderator)
    return page, {**fakes, "tag": tag}


# --- bulk ------------------------------------------------------------------------------


def test_a_bulk_acknowledgement_tells_each_outcome_and_one_conflict_fails_nothing_else(
    open_page,
    stack,
    moderator,
    other_moderator,
    token,
    console,
):
    console.expect(409, "/acknowledge")
    tag = f"bulk{secrets.token_hex(2)}"
    channels = [Channel(stack, f"{tag}-{n}") for n in range(3)]
    incidents = []
    for channel in channels:
        channel.flag()
        incidents.append(channel.incident(token))
    page = open_page()
    sign_in_as(page, stack, moderator)
    page.get_by_label("Search").fill(tag)
    expect(page.locator("#incidents > li")).to_have_count(3)

    # GIVEN the second is acknowledged by another moderator just before this one's request
    taken = incidents[1]["incidentId"]
    other = token_of(stack, other_moderator)

    def first(route: Route) -> None:
        answer = api(stack, "POST", f"/incidents/{taken}/acknowledge", other, {})
        assert answer.status_code == 200, answer.text
        route.continue_()

    page.route(f"**/incidents/{taken}/acknowledge", first)

    # WHEN all three are acknowledged at once
    page.get_by_label("Select all shown").check()
    expect(page.locator("#picked-count")).to_have_text("3 selected")
    page.get_by_role("button", name="Acknowledge selected").click()

    # THEN each has its own result: two acknowledged, the taken one said to be another's
    rows = page.locator("#bulk-results .bulk-row")
    expect(rows).to_have_count(3)
    expect(page.locator(".bulk-summary")).to_contain_text("Acknowledged 2 of 3; 1 not done.")
    row = page.locator(f'#bulk-results [data-result="{taken}"]')
    expect(row).to_contain_text(f"{channels[1].name}: Not done: moderator-q acknowledged it first")
    for channel in (channels[0], channels[2]):
        expect(rows.filter(has_text=channel.name)).to_contain_text("Acknowledged")
        expect(standing(page, channel.name)).to_contain_text("Acknowledged by moderator (you)")
    expect(standing(page, channels[1].name)).to_contain_text("Acknowledged by moderator-q")
    assert api(stack, "GET", f"/incidents/{taken}", token).json()["acknowledgedBy"] == "moderator-q"

    # AND the two acknowledged are dismissed together, all labels judged wrong
    page.get_by_label("Whose").select_option("mine")
    expect(page.locator("#incidents > li")).to_have_count(2)
    page.get_by_label("Select all shown").check()
    page.get_by_role("button", name="Dismiss selected…").click()
    page.get_by_role("dialog").get_by_role("button", name="Dismiss 2").click()
    expect(page.locator(".bulk-summary")).to_contain_text("Dismissed 2 of 2.")
    page.get_by_label("Whose").select_option("")  # resolved: nobody's any more
    for channel in (channels[0], channels[2]):
        expect(standing(page, channel.name)).to_contain_text(
            "Resolved: dismissed as a false positive (judged wrong: Weapon Violence) by moderator"
        )


# --- the Stop dialog, frame counts, a phone, a non-moderator -----------------------------


def test_stop_keeps_the_stream_key_unless_revoking_is_ticked(page, stack, moderator, token):
    channel = Channel(stack, "keep-key", live=True)
    channel.flag()
    channel.incident(token)
    sign_in_as(page, stack, moderator)

    card(page, channel.name).get_by_role("button", name="Stop stream").click()
    dialog = page.get_by_role("dialog")
    revoke = dialog.get_by_label("Also revoke the stream key")
    expect(revoke).not_to_be_checked()
    expect(dialog).to_contain_text("cannot reconnect")
    expect(dialog).to_contain_text("until its owner creates a new key")
    dialog.get_by_label("Reason (required)").fill("Weapon on stream")
    with page.expect_request("**/stop-stream") as sent:
        dialog.get_by_role("button", name="Stop stream").click()
    assert sent.value.post_data_json["revokeStreamKey"] is False

    expect(card(page, channel.name).locator(".notice")).to_have_text("Stream stopped by moderator.")
    channel.connect()  # the same key still works
    expect(card(page, channel.name).locator(".badge")).to_have_text("Live")


@pytest.fixture
def page(open_page) -> Page:
    return open_page()


def test_one_frame_is_said_so_and_the_count_follows_frames_as_they_join(
    page,
    stack,
    moderator,
    token,
):
    channel = Channel(stack, "count")
    channel.flag()
    channel.incident(token)
    sign_in_as(page, stack, moderator)
    facts = card(page, channel.name).locator(".facts")
    expect(facts.locator("span").nth(1)).to_have_text("1 frame")
    card(page, channel.name).get_by_role("button", name="Dismiss").click()
    expect(page.get_by_role("dialog").locator(".hint").first).to_contain_text("1 frame")
    expect(page.get_by_role("dialog").locator(".hint").first).not_to_contain_text("1 frames")
    page.get_by_role("dialog").get_by_role("button", name="Cancel").click()

    # WHEN two more frames join (the room is told of them only after 30 s)
    channel.flag(count=2)
    channel.incident(token, frameCount=3)

    # THEN the card counts them within seconds
    expect(facts).to_contain_text("3 frames", timeout=7_000)


def test_on_a_390px_phone_the_queue_tools_fit(open_page, stack, moderator, token):
    channel = Channel(stack, "phone-tools-with-a-rather-long-channel-name")
    channel.flag()
    channel.incident(token)
    page = open_page(width=390, height=844)
    sign_in_as(page, stack, moderator)
    expect(card(page, channel.name)).to_have_count(1)
    expect(page.get_by_role("button", name="Acknowledge selected")).to_be_visible()
    assert horizontal_overflow(page) <= 0
    page.get_by_role("button", name="Compact").click()
    card(page, channel.name).get_by_role("checkbox").check()
    expect(page.locator("#picked-count")).to_have_text("1 selected")
    assert horizontal_overflow(page) <= 0


def test_a_non_moderator_sees_no_keys_nor_settings(page, stack, console):
    console.expect(403, "/incidents")
    console.expect(403, "/channels")
    sign_in_as(page, stack, stack["viewer"], live=False)
    expect(page.get_by_role("heading", name="You are not a moderator")).to_be_visible()
    expect(page.get_by_role("button", name="Keys")).to_be_hidden()
    expect(page.get_by_role("button", name="Settings")).to_be_hidden()
    expect(page).to_have_title("Stream moderation")


def test_a_history_row_names_its_channel_and_opens_its_incident(page, stack, moderator, token):
    channel = Channel(stack, "linked")
    channel.flag()
    incident = channel.incident(token)
    ack = f"/incidents/{incident['incidentId']}/acknowledge"
    assert api(stack, "POST", ack, token, {}).status_code == 200
    sign_in_as(page, stack, moderator)

    page.get_by_role("tab", name="History").click()
    history = page.get_by_role("tabpanel", name="History")
    history.get_by_label("Channel").select_option(label=channel.name)
    history.get_by_role("button", name="Show").click()
    row = page.locator('#history-rows li[data-kind="incident"]').first
    expect(row.locator(".entry-channel")).to_have_text(channel.name)
    expect(row).not_to_contain_text(incident["incidentId"])  # no raw id in the prose

    row.get_by_role("link", name=re.compile("^Open the incident")).click()
    lightbox = page.locator("#lightbox")
    expect(lightbox).to_be_visible()
    expect(lightbox.locator("h2")).to_contain_text(channel.name)
    expect(lightbox.locator(".standing")).to_contain_text("Acknowledged by moderator (you)")
