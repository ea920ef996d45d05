"""The dashboard offers each role what it may do (GET /me, the table the API enforces):
triage acknowledges and escalates, a moderator does every incident action, and only an
admin keeps the blocked terms. The local stack has one user of each role."""

# ruff: noqa: F811 (the browser tests' fixtures are imported, and named as the tests' arguments)
from __future__ import annotations

from dashboard_helpers import Channel, card, sign_in_as
from playwright.sync_api import expect
from test_dashboard import (  # noqa: F401 (the browser tests' fixtures)
    browser,
    console,
    open_page,
    page,
)


def actions(page, channel) -> list[str]:
    locator = card(page, channel.name).locator(".actions button")
    expect(locator.first).to_be_visible()
    return locator.all_text_contents()


def test_each_role_is_offered_what_it_may_do_on_a_card(open_page, stack):
    channel = Channel(stack, "roles")
    triage, moderator = open_page("triage"), open_page("moderator")
    sign_in_as(triage, stack, stack["triage"])
    sign_in_as(moderator, stack, stack["moderator"])
    channel.flag()
    expect(card(triage, channel.name)).to_have_count(1)
    expect(card(moderator, channel.name)).to_have_count(1)

    offered_to_triage = actions(triage, channel)
    offered_to_moderator = actions(moderator, channel)

    assert "Acknowledge" in offered_to_triage and "Escalate" in offered_to_triage
    assert not {"Dismiss", "Warn", "Stop stream"} & set(offered_to_triage)
    assert {"Acknowledge", "Dismiss", "Warn", "Escalate"} <= set(offered_to_moderator)


def test_only_an_admin_is_offered_to_block_terms(open_page, stack):
    moderator, admin = open_page("moderator-terms"), open_page("admin-terms")
    sign_in_as(moderator, stack, stack["moderator"])
    sign_in_as(admin, stack, stack["admin"])

    for view, role in ((moderator, "moderator"), (admin, "admin")):
        view.get_by_role("tab", name="Blocked terms").click()
        form = view.get_by_role("form", name="Block a term")
        if role == "admin":
            expect(form).to_be_visible()
        else:
            expect(view.locator("#term-form")).to_be_hidden()
