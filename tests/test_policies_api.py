"""Policies through the API (docs/policies.md, "Routes"): list, read, save with the version
seen, refusals naming the field, restore, delete, the policy set on a channel, and which
applies and why. Admins sign in with real RS256 tokens (tests/tokens.py); moto behind.
"""

from __future__ import annotations

import json
from urllib.parse import quote

import boto3
import pytest
from history_items import KIDS, seed_policies
from support import CHANNEL_ARN, POLICIES_TABLE
from tokens import role_token

from chalicelib.policies.store import PolicyStore

pytestmark = pytest.mark.usefixtures("jwks")

ADMIN = role_token("admin", **{"cognito:username": "alice"})
OTHER_ADMIN = role_token(
    "admin", sub="1f2e3d4c-5b6a-4978-8695-a4b3c2d1e0f9", **{"cognito:username": "bob"}
)
ARN_PATH = quote(CHANNEL_ARN, safe="")


def audit_lines() -> list[dict]:
    """The policies table's audit log, newest first."""
    items, _ = PolicyStore(boto3.client("dynamodb"), POLICIES_TABLE).log(limit=100)
    return items


def call(client, method: str, path: str, body=None, token: str = ADMIN):
    headers = {"Authorization": f"Bearer {token}"}
    if body is not None:
        headers["Content-Type"] = "application/json"
    return client.http.request(
        method, path, headers=headers, body=json.dumps(body) if body is not None else b""
    )


@pytest.fixture
def seeded(client):
    seed_policies()
    return client


def save(client, name: str, document: dict, expected: int, token: str = ADMIN, comment=""):
    body = {"document": document, "expectedVersion": expected, "comment": comment}
    return call(client, "PUT", f"/policies/{name}", body, token)


# --- reading ------------------------------------------------------------------------------


def test_GET_policies_lists_the_saved_ones_the_default_and_the_refresh_time(seeded):
    body = call(seeded, "GET", "/policies").json_body

    assert [item["name"] for item in body["items"]] == ["kids", "old-rules", "teens"]
    kids = body["items"][0]
    assert kids["version"] == 1
    assert kids["description"] == KIDS["description"]
    assert kids["appliesTo"] == {
        "tags": {"moderation-policy": "kids"},
        "namePatterns": [],
        "priority": 10,
    }
    assert (kids["savedBy"], kids["savedAt"][:2]) == ("alice", "20")
    assert body["default"]["name"] == "default" and body["default"]["version"] == 0
    assert body["default"]["document"]["alert"]  # the stage's ALERT_THRESHOLDS
    assert body["watchlist"]["document"]["watchHours"] == 24
    assert body["refreshSeconds"] == 30


def test_GET_a_policy_gives_its_head_and_versions_newest_first(seeded):
    body = call(seeded, "GET", "/policies/teens").json_body

    assert (body["name"], body["version"]) == ("teens", 2)
    assert body["document"]["alert"] == {"*": 65}
    assert [v["version"] for v in body["versions"]] == [2, 1]
    assert body["versions"][0]["diff"] == [{"path": "alert.*", "before": 70, "after": 65}]
    one = call(seeded, "GET", "/policies/teens/versions/1").json_body
    assert one["document"]["alert"] == {"*": 70}
    assert one["version"] == 1


@pytest.mark.parametrize(
    "path",
    [
        "/policies/nobody",
        "/policies/Not%20a%20name",
        "/policies/teens/versions/9",
        "/policies/teens/versions/x",
        "/policies/nobody/versions/1",
    ],
)
def test_unknown_policies_and_versions_are_404(seeded, path):
    response = call(seeded, "GET", path)

    assert response.status_code == 404
    assert response.json_body["Message"].startswith("no such")


def test_the_stage_default_is_read_as_version_0(seeded):
    body = call(seeded, "GET", "/policies/default").json_body

    assert (body["version"], body["savedBy"], body["versions"]) == (0, "stage", [])


# --- saving ---------------------------------------------------------------------------------


def test_a_new_policy_is_saved_as_version_1_and_a_change_as_the_next(seeded):
    first = save(seeded, "arena", {"alert": {"Violence": 90}}, 0, comment="first")
    second = save(seeded, "arena", {"alert": {"Violence": 80}}, 1)

    assert first.status_code == 200, first.body
    assert (first.json_body["version"], first.json_body["savedBy"]) == (1, "alice")
    assert second.json_body["version"] == 2
    versions = call(seeded, "GET", "/policies/arena").json_body["versions"]
    assert versions[1]["comment"] == "first"
    assert versions[0]["diff"] == [{"path": "alert.Violence", "before": 90, "after": 80}]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"document": {"alert": {"Weaponz": 50}}, "expectedVersion": 0}, "alert.Weaponz: "),
        (
            {"document": {"alert": {}, "autoStop": {"Violence": 120}}, "expectedVersion": 0},
            "autoStop.Violence: ",
        ),
        (
            {"document": {"alert": {}, "minFrameIntervalSeconds": 301}, "expectedVersion": 0},
            "minFrameIntervalSeconds: ",
        ),
        ({"document": {"alert": {}}}, "expectedVersion is required"),
        ({"document": "strict", "expectedVersion": 0}, "document must be a JSON object"),
        ({"document": {"alert": {}}, "expectedVersion": -1}, "expectedVersion must be"),
        ({"document": {"alert": {}}, "expectedVersion": 0, "x": 1}, "unknown field(s): x"),
    ],
)
def test_a_refused_save_names_the_field_and_saves_nothing(seeded, body, message):
    response = call(seeded, "PUT", "/policies/arena", body)

    assert response.status_code == 400, response.body
    assert response.json_body["Message"].startswith(message), response.json_body
    assert call(seeded, "GET", "/policies/arena").status_code == 404


@pytest.mark.parametrize(
    ("name", "words"),
    [
        ("default", "name: default is the stage's own policy"),
        ("Kids", "name: must be 1-40 of a-z"),
    ],
)
def test_reserved_and_malformed_names_are_refused_in_words(seeded, name, words):
    response = save(seeded, name, {"alert": {}}, 0)

    assert response.status_code == 400
    assert response.json_body["Message"].startswith(words), response.json_body


def test_no_policy_can_be_named_backtest_the_backtests_route(seeded):
    assert save(seeded, "backtest", {"alert": {}}, 0).status_code == 405  # the route's path
    body = {"name": "backtest", "draft": {"alert": {}}}

    response = call(seeded, "POST", "/policies/backtest", body)

    assert response.status_code == 400
    assert response.json_body["Message"].startswith("name: backtest is the name of")


def test_a_save_on_a_stale_version_is_409_naming_who_saved_since(seeded):
    assert save(seeded, "kids", {"alert": {"*": 55}}, 1, token=OTHER_ADMIN).status_code == 200

    stale = save(seeded, "kids", {"alert": {"*": 50}}, 1)

    assert stale.status_code == 409
    message = stale.json_body["Message"]
    assert "saved by bob" in message and "(version 2)" in message and "since version 1" in message
    assert call(seeded, "GET", "/policies/kids").json_body["document"]["alert"] == {"*": 55}


def test_a_new_policy_over_an_existing_one_is_409(seeded):
    response = save(seeded, "kids", {"alert": {"*": 55}}, 0)

    assert response.status_code == 409
    assert "saved by alice" in response.json_body["Message"]


# --- restore and delete ---------------------------------------------------------------------


def test_restoring_a_version_saves_its_document_as_a_new_version(seeded):
    response = call(seeded, "POST", "/policies/teens/restore", {"version": 1, "expectedVersion": 2})

    assert response.status_code == 200, response.body
    assert (response.json_body["version"], response.json_body["restoredFrom"]) == (3, 1)
    body = call(seeded, "GET", "/policies/teens").json_body
    assert body["document"]["alert"] == {"*": 70}
    assert body["versions"][0]["restoredFrom"] == 1
    assert body["versions"][0]["diff"] == [{"path": "alert.*", "before": 65, "after": 70}]


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({"version": 9, "expectedVersion": 2}, 404, "teens has no version 9"),
        ({"version": 1, "expectedVersion": 1}, 409, "since version 1"),
        ({"version": 0, "expectedVersion": 2}, 400, "version must be"),
    ],
)
def test_a_restore_refused(seeded, body, status, words):
    response = call(seeded, "POST", "/policies/teens/restore", body)

    assert response.status_code == status
    assert words in response.json_body["Message"]


def test_deleting_a_policy_keeps_its_versions_and_says_who_deleted_it(seeded):
    response = call(seeded, "DELETE", "/policies/old-rules?expectedVersion=1")

    assert response.status_code == 200, response.body
    assert response.json_body == {"name": "old-rules", "deleted": True, "version": 2}
    gone = call(seeded, "GET", "/policies/old-rules")
    assert gone.status_code == 404
    assert "deleted by alice" in gone.json_body["Message"]
    assert call(seeded, "GET", "/policies/old-rules/versions/1").status_code == 200
    assert call(seeded, "DELETE", "/policies/old-rules").status_code == 400  # no version seen
    stale = call(seeded, "DELETE", "/policies/kids?expectedVersion=3")
    assert stale.status_code == 409


# --- which policy applies to a channel ---------------------------------------------------


def test_a_channel_follows_the_stage_default_until_a_policy_is_set_on_it(seeded):
    before = call(seeded, "GET", f"/channels/{ARN_PATH}/policy").json_body

    set_on = call(seeded, "PUT", f"/channels/{ARN_PATH}/policy", {"policy": "kids"})
    after = call(seeded, "GET", f"/channels/{ARN_PATH}/policy").json_body
    unset = call(seeded, "PUT", f"/channels/{ARN_PATH}/policy", {"policy": None})

    assert (before["policy"], before["version"], before["why"]) == (
        "default",
        0,
        "the stage default",
    )
    assert before["watchlisted"] is None
    assert set_on.status_code == 200, set_on.body
    assert (after["policy"], after["version"], after["why"]) == ("kids", 1, "set on the channel")
    assert after["document"]["alert"] == {"*": 60, "Weapons": 50}
    assert unset.json_body["policy"] == "default"
    lines = [item for item in audit_lines() if item["what"] == "channel-policy"]
    assert [(line["who"], (line["after"] or {}).get("policy")) for line in lines] == [
        ("alice", None),
        ("alice", "kids"),
    ]


@pytest.mark.parametrize(
    ("body", "status", "words"),
    [
        ({"policy": "nobody"}, 404, "policy: no such policy: nobody"),
        ({"policy": "watchlist"}, 400, "policy: watchlist is laid over"),
        ({"policy": 3}, 400, "policy must be a policy's name"),
        ({}, 400, "policy is required"),
    ],
)
def test_setting_a_channel_policy_refused(seeded, body, status, words):
    response = call(seeded, "PUT", f"/channels/{ARN_PATH}/policy", body)

    assert response.status_code == status, response.body
    assert response.json_body["Message"].startswith(words), response.json_body


def test_a_channel_arn_no_channel_can_have_is_404(seeded):
    response = call(seeded, "GET", "/channels/not-an-arn/policy")

    assert response.status_code == 404
