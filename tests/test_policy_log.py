"""GET /policy-log: who set a policy on a channel, and who put a channel on the watchlist or
took it off — newest first, paged, read by triage and up (docs/policies.md)."""

from __future__ import annotations

import json
from urllib.parse import quote

import pytest
from history_items import seed_incidents, seed_policies
from support import CHANNEL_ARN
from tokens import role_token

pytestmark = pytest.mark.usefixtures("jwks")

ADMIN = role_token("admin", **{"cognito:username": "alice"})
MODERATOR, TRIAGE = role_token("moderator"), role_token("triage")
ARN_PATH = quote(CHANNEL_ARN, safe="")


@pytest.fixture
def seeded(client):
    seed_incidents()
    seed_policies()
    return client


def call(client, method: str, path: str, body=None, token: str = ADMIN):
    headers = {"Authorization": f"Bearer {token}"}
    if body is not None:
        headers["Content-Type"] = "application/json"
    payload = json.dumps(body) if body is not None else b""
    return client.http.request(method, path, headers=headers, body=payload)


def changes(client, query: str = "") -> dict:
    response = call(client, "GET", f"/policy-log{query}", token=TRIAGE)
    assert response.status_code == 200, response.body
    return response.json_body


def test_every_change_of_a_channels_policy_and_watch_is_told_newest_first(seeded):
    before = {(line["what"], line["at"]) for line in changes(seeded)["items"]}
    set_policy = call(seeded, "PUT", f"/channels/{ARN_PATH}/policy", {"policy": "default"})
    watched = call(seeded, "PUT", f"/watchlist/{ARN_PATH}", {"reason": "raid"}, MODERATOR)
    unwatched = call(seeded, "DELETE", f"/watchlist/{ARN_PATH}", token=MODERATOR)
    assert [r.status_code for r in (set_policy, watched, unwatched)] == [200, 200, 200]

    new = [
        line
        for line in changes(seeded)["items"]
        if (line["what"], line["at"]) not in before and line["channelArn"] == CHANNEL_ARN
    ]

    assert [line["who"] for line in new] == ["maria", "maria", "alice"]
    assert [line["at"] for line in new] == sorted((line["at"] for line in new), reverse=True)
    assert new[1]["after"]["reason"] == "raid" and new[0]["after"] is None
    assert new[2]["after"] is not None and new[2]["after"] != new[2]["before"]


def test_the_log_pages_with_its_cursor_and_never_repeats_a_line(seeded):
    for reason in ("one", "two", "three"):
        call(seeded, "PUT", f"/watchlist/{ARN_PATH}", {"reason": reason}, MODERATOR)
    everything = changes(seeded)["items"]

    seen, query = [], "?limit=1"
    while True:
        page = changes(seeded, query)
        assert len(page["items"]) <= 1
        seen += page["items"]
        if page["cursor"] is None:
            break
        query = f"?limit=1&cursor={page['cursor']}"

    assert seen == everything and len(seen) >= 3


@pytest.mark.parametrize(
    ("query", "words"),
    [
        ("?limit=0", "limit must be a whole number from 1 to 200"),
        ("?limit=201", "limit must be a whole number from 1 to 200"),
        ("?cursor=eyJhZnRlciI6IngifQ", "cursor is not one this API returned"),
        ("?cursor=not-a-cursor!", "cursor is not one this API returned"),
        ("?since=yesterday", "unknown parameter"),
    ],
)
def test_a_bad_query_is_refused_in_words(seeded, query, words):
    response = call(seeded, "GET", f"/policy-log{query}", token=TRIAGE)

    assert response.status_code == 400
    assert words in response.json_body["Message"]


def test_the_log_needs_someone_signed_in(seeded):
    assert seeded.http.get("/policy-log").status_code == 401
