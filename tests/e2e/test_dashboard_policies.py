"""The Policies tab in a real browser, on the local stack (docs/policies.md): an admin edits a
policy and sees the refusal beside the field it names, backtests the draft over the decision
log, saves it, reads the diff in its versions, restores one and deletes it; a save over
another admin's is refused naming them; a backtest asks again with its cursor and can be
cancelled; a moderator and triage read a policy and are offered no save; the cards and
channels say which policy applied and whether the channel is watchlisted; and the issue's
"Done when": one channel made stricter, another laxer, and the next frames decided by the
new policies."""

# ruff: noqa: F811 (the browser tests' fixtures are imported, and named as the tests' arguments)
from __future__ import annotations

import json
import re
import secrets
import time
from urllib.parse import quote

import pytest
from dashboard_helpers import VIOLENCE, Channel, card, horizontal_overflow, sign_in_as
from playwright.sync_api import Locator, Page, expect
from stack_helpers import wait_for
from test_dashboard import (  # noqa: F401 (the browser tests' fixtures)
    browser,
    console,
    open_page,
    page,
)

from local.stack_client import api, sign_in

BORDERLINE = [{"Name": "Weapon Violence", "Confidence": 65.0}]  # clean under the stage's *=80
# How long a saved change may take to decide frames (POLICY_REFRESH_SECONDS, at most 30 s),
# plus a frame's way through S3, EventBridge and the relay on 2 busy cores.
APPLIED_WITHIN_S = 60


@pytest.fixture(scope="module")
def admin_token(stack) -> str:
    return sign_in(stack, "admin")


def policy_name(purpose: str) -> str:
    return f"e2e-{purpose}-{secrets.token_hex(3)}"


def save_policy(stack: dict, token: str, name: str, document: dict, version: int = 0) -> dict:
    body = {"document": document, "expectedVersion": version, "comment": "made by the test"}
    answer = api(stack, "PUT", f"/policies/{name}", token, body)
    assert answer.status_code == 200, answer.text
    return answer.json()


def set_on_channel(stack: dict, token: str, channel: Channel, name: str | None) -> None:
    path = f"/channels/{quote(channel.arn, safe='')}/policy"
    answer = api(stack, "PUT", path, token, {"policy": name})
    assert answer.status_code == 200, answer.text


def policies_tab(page: Page) -> Locator:
    page.get_by_role("tab", name="Policies").click()
    return page.get_by_role("tabpanel", name="Policies")


def open_policy(page: Page, name: str) -> Locator:
    tab = policies_tab(page)
    tab.locator(f'#policy-rows tr[data-policy="{name}"]').get_by_role("button", name=name).click()
    editor = page.locator("#policy-editor")
    expect(editor).to_have_attribute("data-policy", name)
    return editor


def add_threshold(editor: Locator, category: str) -> Locator:
    main = editor.locator('.thresholds[data-prefix=""]')
    main.get_by_role("button", name="Add a category", exact=True).click()
    main.locator("tr.threshold-row").last.locator("select.category").select_option(category)
    return main.locator(f'tr.threshold-row[data-category="{category}"]')


def frames_until(write, found, what: str):
    """Write a frame, give it a few seconds to be decided, again until `found()` answers."""
    deadline = time.monotonic() + APPLIED_WITHIN_S
    while time.monotonic() < deadline:
        write()
        if result := wait_for_quietly(found, 6):
            return result
    pytest.fail(f"no frame within {APPLIED_WITHIN_S} s: {what}")


def wait_for_quietly(condition, seconds: float):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if result := condition():
            return result
        time.sleep(0.3)
    return None


def decided_by(item: dict) -> tuple[str, object]:
    """The policy (name, version) an answer says decided: the decision log's `policy` and
    `policyVersion`, or the incidents' `policy: {name, version, why}` (api/policy_notes.py)."""
    policy = item.get("policy")
    if isinstance(policy, dict):
        return policy.get("name", ""), policy.get("version")
    return policy or "", item.get("policyVersion")


def decisions(stack: dict, token: str, channel: Channel, kinds: str = "clean,alert") -> list:
    params = f"channelArn={quote(channel.arn, safe='')}&decision={kinds}"
    return api(stack, "GET", f"/decisions?{params}", token).json()["items"]


def versions(editor: Locator) -> Locator:
    return editor.locator("#policy-versions > li")


# --- an admin ---------------------------------------------------------------------------


def test_an_admin_is_told_which_field_is_wrong_backtests_saves_and_restores(
    page, stack, admin_token, console
):
    console.expect(400, "/policies/")  # the refused save
    # GIVEN a policy for channels named like this one, whose two flagged frames it decided
    prefix = f"pol{secrets.token_hex(3)}"
    channel = Channel(stack, prefix)
    name = policy_name("edit")
    pattern = f"dash-{prefix}-*"
    document = {"alert": {"*": 80}, "appliesTo": {"namePatterns": [pattern], "priority": 900}}
    save_policy(stack, admin_token, name, document)
    channel.flag(VIOLENCE, count=2)
    channel.incident(admin_token, frameCount=2)
    sign_in_as(page, stack, stack["admin"])
    editor = open_policy(page, name)
    expect(editor.locator("#policy-editor-title")).to_have_text(f"{name}, version 1")

    # WHEN the admin saves a confidence out of range, THEN the refusal is beside that field
    row = add_threshold(editor, "Weapon Violence")
    alert = row.get_by_label("Alert at, Weapon Violence")
    alert.fill("120")
    editor.get_by_role("button", name="Save", exact=True).click()
    expect(row.locator(".field-error")).to_contain_text(re.compile(r"^alert\.Weapon Violence"))
    expect(alert).to_have_attribute("aria-invalid", "true")
    expect(editor.locator("#policy-editor-title")).to_have_text(f"{name}, version 1")

    # WHEN they make it laxer and backtest the draft over the last hour
    alert.fill("99")
    editor.locator('.thresholds[data-prefix=""] tr[data-category="*"]').get_by_label(
        "Alert at, *"
    ).fill("99")
    asked = []
    page.on("request", lambda r: asked.append(r) if r.url.endswith("/policies/backtest") else None)
    editor.get_by_label("Over").select_option("1")
    editor.get_by_role("button", name="Backtest", exact=True).click()

    # THEN the frames read are counted, and the channel's two alerts would have been clean
    expect(editor.locator("#backtest-progress")).to_have_text(re.compile(r"^Done: \d+ frames read"))
    assert asked and all(r.method == "POST" for r in asked)
    expect(editor.locator(".backtest-summary")).to_contain_text("frames read")
    mine = editor.locator(f'.backtest-channels tr[data-channel="{channel.arn}"]')
    expect(mine.locator('td[data-label="Flips"]')).to_contain_text("alert → clean 2")
    expect(mine.locator(".incidents-pair")).to_have_text("1 → 0")
    expect(editor.locator('.backtest-flips [data-flip="alert->clean"]')).to_be_visible()

    # AND an example opens on its frame, what was decided beside what the draft decides
    editor.locator(".backtest-examples button.example").first.click()
    example = page.get_by_role("dialog")
    flip = example.locator(".example-flip")
    expect(flip).to_contain_text("Decided: alert; with the draft: clean")
    expect(example.locator("img[data-key]")).to_have_count(1)
    example.get_by_role("button", name="Close").click()

    # WHEN they save it with a comment, THEN it is version 2, its diff listed
    editor.get_by_label("Comment (why)").fill("Weapons in games are fine here")
    editor.get_by_role("button", name="Save", exact=True).click()
    expect(editor.locator("#policy-save-status")).to_have_text(f"Saved: {name}, version 2.")
    expect(editor.locator("#policy-editor-title")).to_have_text(f"{name}, version 2")
    latest = versions(editor).first
    expect(latest).to_contain_text("Version 2 (current) by admin")
    expect(latest.locator("q")).to_have_text("Weapons in games are fine here")
    expect(latest.locator('tr[data-path="alert.*"] .after')).to_have_text("99")
    expect(latest.locator('tr[data-path="alert.*"] .before')).to_have_text("80")
    expect(latest.locator('tr[data-path="alert.Weapon Violence"] .after')).to_have_text("99")

    # WHEN they restore version 1 (confirming it), THEN it is saved again as version 3
    first = editor.locator('#policy-versions > li[data-version="1"]')
    first.get_by_role("button", name="Restore version 1…").click()
    first.get_by_role("button", name="Restore version 1", exact=True).click()
    expect(editor.locator("#policy-editor-title")).to_have_text(f"{name}, version 3")
    expect(versions(editor).first).to_contain_text("restored from version 1")
    restored = editor.locator('.thresholds[data-prefix=""] tr[data-category="*"]')
    expect(restored.get_by_label("Alert at, *")).to_have_value("80")
    expect(editor.locator('tr[data-category="Weapon Violence"]')).to_have_count(0)

    # WHEN they delete it (confirming it), THEN it is no longer listed
    editor.get_by_role("button", name="Delete…").click()
    editor.get_by_role("button", name="Delete it").click()
    expect(editor).to_be_hidden()
    expect(page.locator(f'#policy-rows tr[data-policy="{name}"]')).to_have_count(0)


def test_a_save_over_another_admins_is_refused_naming_them_and_offers_to_reload(
    page, stack, admin_token, console
):
    console.expect(409, "/policies/")
    name = policy_name("conflict")
    save_policy(stack, admin_token, name, {"alert": {"*": 80}})
    sign_in_as(page, stack, stack["admin"])
    editor = open_policy(page, name)

    # WHEN someone else saves a version meanwhile, and this admin saves theirs
    save_policy(stack, admin_token, name, {"alert": {"*": 65}}, version=1)
    editor.locator('tr[data-category="*"]').get_by_label("Alert at, *").fill("70")
    editor.get_by_role("button", name="Save", exact=True).click()

    # THEN they are told who saved since, and reloading shows that version
    status = editor.locator("#policy-save-status")
    expect(status).to_contain_text("Not saved:")
    expect(status).to_contain_text("by admin")
    status.get_by_role("button", name=re.compile("^Reload the saved version")).click()
    expect(editor.locator("#policy-editor-title")).to_have_text(f"{name}, version 2")
    expect(editor.locator('tr[data-category="*"]').get_by_label("Alert at, *")).to_have_value("65")


def test_a_backtest_asks_again_with_the_cursor_shows_progress_and_can_be_cancelled(
    page, stack, admin_token
):
    """The local log is read in one request: the first answer is given a cursor here, to
    see the dashboard ask again with it and show the frames read so far."""
    name = policy_name("progress")
    save_policy(stack, admin_token, name, {"alert": {"*": 80}})
    sign_in_as(page, stack, stack["admin"])
    editor = open_policy(page, name)
    held: list = []

    def answer(route):
        body = route.request.post_data_json
        if "cursor" not in body:  # the first page: the real answer, as if more were to read
            real = route.fetch()
            route.fulfill(response=real, json={**real.json(), "frames": 7, "cursor": "page-2"})
        else:
            held.append(route)  # answered below, once the progress was seen

    page.route("**/policies/backtest", answer)
    editor.get_by_role("button", name="Backtest", exact=True).click()

    progress = editor.locator("#backtest-progress")
    expect(progress).to_contain_text("Read 7 frames so far")
    expect(editor.get_by_role("button", name="Cancel")).to_be_visible()
    wait_for(lambda: held, 10, "the second request")
    assert held[0].request.post_data_json["cursor"] == "page-2"
    assert held[0].request.post_data_json["name"] == name
    editor.get_by_role("button", name="Cancel").click()
    expect(progress).to_have_text("Cancelled after 7 frames read.")
    # its answer, arriving after the cancel, is not shown
    body = {k: v for k, v in held[0].request.post_data_json.items() if k != "cursor"}
    held[0].fulfill(response=held[0].fetch(post_data=json.dumps(body)))
    page.wait_for_timeout(500)
    expect(progress).to_have_text("Cancelled after 7 frames read.")
    expect(editor.get_by_role("button", name="Cancel")).to_be_hidden()

    # WHEN it is run again to the end, THEN it says so
    page.unroute("**/policies/backtest")
    editor.get_by_role("button", name="Backtest", exact=True).click()
    expect(progress).to_have_text(re.compile(r"^Done: \d+ frames read"))


# --- everyone else reads ------------------------------------------------------------------


@pytest.mark.parametrize("role", ["moderator", "triage"])
def test_a_moderator_and_triage_read_a_policy_and_are_offered_no_save(
    page, stack, admin_token, role
):
    name = policy_name(f"read-{role}")
    save_policy(stack, admin_token, name, {"description": "Read me", "alert": {"Weapons": 55}})
    sign_in_as(page, stack, stack[role])

    editor = open_policy(page, name)

    weapons = editor.locator('tr[data-category="Weapons"]').get_by_label("Alert at, Weapons")
    expect(weapons).to_have_value("55")
    expect(weapons).to_be_disabled()
    expect(editor.get_by_label("Description")).to_be_disabled()
    expect(editor.get_by_role("button", name="Save", exact=True)).to_be_hidden()
    expect(editor.get_by_role("button", name="Add a category")).to_have_count(0)
    expect(editor.locator("#backtest")).to_be_hidden()
    expect(page.get_by_role("button", name="New policy")).to_be_hidden()
    expect(editor.locator("#policy-editor-meta")).to_contain_text("only an admin edits policies")
    # and the API, whose table the dashboard follows, refuses them a save as it says
    token = sign_in(stack, role)
    body = {"document": {"alert": {"Weapons": 10}}, "expectedVersion": 1}
    assert api(stack, "PUT", f"/policies/{name}", token, body).status_code == 403


# --- cards and channels ------------------------------------------------------------------


def test_a_card_shows_the_policy_that_applied_and_a_moderator_watchlists_its_channel(
    page, stack, admin_token
):
    channel = Channel(stack, "applied")
    name = policy_name("card")
    save_policy(stack, admin_token, name, {"alert": {"*": 70}})
    set_on_channel(stack, admin_token, channel, name)

    def decided_by_it():
        answer = api(stack, "GET", f"/incidents?channelArn={channel.arn}", admin_token)
        return next((i for i in answer.json()["items"] if decided_by(i)[0] == name), None)

    frames_until(lambda: channel.flag(VIOLENCE), decided_by_it, f"an incident by {name}")
    sign_in_as(page, stack, stack["moderator"])

    item = card(page, channel.name)
    expect(item.locator(".policy")).to_contain_text(f"Policy: {name} v1")

    # WHEN the moderator puts the channel on the watchlist from the channel list
    tab = policies_tab(page)
    row = tab.locator(f'#policy-channels li[data-channel="{channel.arn}"]')
    expect(row.locator(".policy-applied")).to_contain_text(f"Policy: {name} v1")
    row.get_by_role("button", name="Watch…").click()
    dialog = page.get_by_role("dialog", name=f"Watch {channel.name}")
    dialog.get_by_label("Reason").fill("Weapons again, after a warning")
    dialog.get_by_label("For").select_option("6")
    dialog.get_by_role("button", name="Add to the watchlist").click()

    # THEN the channel and its card say until when
    expect(row.locator(".badge.watch")).to_contain_text("Watchlisted until")
    expect(tab.locator("#watch-status")).to_have_text(f"{channel.name} is on the watchlist.")
    page.get_by_role("tab", name="Queue").click()
    expect(item.locator(".badge.watch")).to_contain_text("Watchlisted until")

    # WHEN they take it off again, THEN the badge is gone
    policies_tab(page)
    row.get_by_role("button", name="Remove from the watchlist").click()
    expect(row.locator(".badge.watch")).to_have_count(0)
    page.get_by_role("tab", name="Queue").click()
    expect(item.locator(".badge.watch")).to_have_count(0)


def test_which_policy_applies_names_it_and_why(page, stack, admin_token):
    channel = Channel(stack, "which", live=True)  # live: known to the service
    name = policy_name("which")
    save_policy(stack, admin_token, name, {"alert": {"*": 75}})
    set_on_channel(stack, admin_token, channel, name)
    sign_in_as(page, stack, stack["triage"])

    tab = policies_tab(page)
    tab.get_by_label("Channel", exact=True).select_option(channel.arn)
    tab.get_by_role("button", name="Ask").click()

    expect(tab.locator(".applies-policy")).to_contain_text(f"{name} v1 — ")
    expect(tab.locator(".applies-watch")).to_have_text("Not on the watchlist.")
    expect(tab.locator("#applies-set")).to_have_count(0)  # only an admin sets one


def test_on_a_390px_phone_the_policies_tab_and_an_open_policy_fit(open_page, stack, admin_token):
    name = policy_name("phone")
    document = {
        "description": "Children's channels: stricter on everything",
        "alert": {"*": 60, "Non-Explicit Nudity of Intimate parts and Kissing": 50},
        "autoStop": {"Drugs & Tobacco Paraphernalia & Use": 90},
        "contentTypes": {"Animated": {"alert": {"Violence": 95}}},
        "appliesTo": {"tags": {"moderation-policy": "kids"}, "priority": 10},
    }
    save_policy(stack, admin_token, name, document)
    save_policy(stack, admin_token, name, {**document, "ignored": ["Gambling"]}, version=1)
    page = open_page(width=390, height=844)
    sign_in_as(page, stack, stack["admin"])

    policies_tab(page)
    assert horizontal_overflow(page) <= 0
    editor = open_policy(page, name)
    editor.locator(".overlay summary", has_text="Animated").scroll_into_view_if_needed()
    expect(versions(editor)).to_have_count(2)
    assert horizontal_overflow(page) <= 0


# --- the "Done when" --------------------------------------------------------------


def new_policy_in_the_editor(
    page: Page, name: str, star: str, comment: str, *, for_name: str = ""
) -> Locator:
    tab = policies_tab(page)
    tab.get_by_role("button", name="New policy").click()
    editor = page.locator("#policy-editor")
    editor.get_by_label("Name", exact=True).fill(name)
    everything = editor.locator('.thresholds[data-prefix=""] tr[data-category="*"]')
    everything.get_by_label("Alert at, *").fill(star)
    editor.get_by_label(re.compile("^Or a name matching")).fill(for_name)
    editor.get_by_label("Comment (why)").fill(comment)
    return editor


def set_in_the_tab(page: Page, channel: Channel, name: str) -> None:
    tab = policies_tab(page)
    tab.get_by_label("Channel", exact=True).select_option(channel.arn)
    tab.get_by_role("button", name="Ask").click()
    expect(tab.locator(f'.applies-policy[data-channel="{channel.arn}"]')).to_be_visible()
    tab.locator("#applies-set").select_option(name)
    tab.get_by_role("button", name="Set on this channel").click()
    expect(tab.locator(".applies-policy")).to_have_text(f"{name} v1 — set on the channel")


def test_an_admin_makes_one_channel_stricter_and_another_laxer_and_the_next_frames_obey(
    page, stack, admin_token
):
    # (live: the service knows a channel with no incident by its state changes)
    strict_channel, lax_channel = Channel(stack, "stricter", live=True), Channel(stack, "laxer")
    strict_channel.flag(BORDERLINE)  # clean under the stage default (*=80)
    lax_channel.flag(VIOLENCE)  # flagged under it
    lax_channel.incident(admin_token)
    wait_for(lambda: decisions(stack, admin_token, strict_channel), 30, "the borderline frame")
    strict, lax = policy_name("strict"), policy_name("lax")
    sign_in_as(page, stack, stack["admin"])

    # The stricter policy (for the channel's name, too), backtested before it is saved: its
    # borderline frame would have been flagged
    editor = new_policy_in_the_editor(
        page, strict, "50", "Stricter for this channel", for_name=strict_channel.name
    )
    editor.get_by_label("Over").select_option("1")
    editor.get_by_role("button", name="Backtest", exact=True).click()
    expect(editor.locator("#backtest-progress")).to_have_text(re.compile(r"^Done: \d+ frames read"))
    mine = editor.locator(f'.backtest-channels tr[data-channel="{strict_channel.arn}"]')
    expect(mine.locator('td[data-label="Flips"]')).to_contain_text("clean → alert 1")
    expect(mine.locator(".incidents-pair")).to_have_text("0 → 1")
    editor.get_by_role("button", name="Save", exact=True).click()
    expect(editor.locator("#policy-save-status")).to_have_text(f"Saved: {strict}, version 1.")
    # The laxer one
    editor = new_policy_in_the_editor(page, lax, "99", "Laxer for this channel")
    editor.get_by_role("button", name="Save", exact=True).click()
    expect(editor.locator("#policy-save-status")).to_have_text(f"Saved: {lax}, version 1.")
    set_in_the_tab(page, strict_channel, strict)
    set_in_the_tab(page, lax_channel, lax)

    # THEN the next borderline frame of the strict channel is flagged, by its new policy
    def strict_flagged():
        answer = api(stack, "GET", f"/incidents?channelArn={strict_channel.arn}", admin_token)
        return next((i for i in answer.json()["items"] if decided_by(i)[0] == strict), None)

    frames_until(lambda: strict_channel.flag(BORDERLINE), strict_flagged, f"flagged by {strict}")
    # (the room's event opened the card; the dashboard reads a card's incident when it is seen)
    page.get_by_role("tab", name="Queue").click()
    flagged = card(page, strict_channel.name)
    flagged.scroll_into_view_if_needed()
    expect(flagged.locator(".policy")).to_contain_text(f"Policy: {strict} v1")

    # AND the lax channel's next violating frame is clean, decided by its new policy
    def lax_clean():
        items = decisions(stack, admin_token, lax_channel)
        return next((i for i in items if decided_by(i)[0] == lax), None)

    decision = frames_until(lambda: lax_channel.flag(VIOLENCE), lax_clean, f"clean by {lax}")
    assert decision["decision"] == "clean"
    assert decided_by(decision) == (lax, 1)
