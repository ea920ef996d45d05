"""The watchlist's moderator side (docs/policies.md, "Watchlists"), through the API: a stop or
a warning puts the channel on it for the watchlist policy's hours, audited once with the
incident and who did it; a moderator adds and removes one by hand; incident and channel
answers say whether the channel is watched, and which policy applied.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import boto3
import pytest
from history_items import (
    INCIDENT_TO_ACKNOWLEDGE,
    INCIDENT_TO_RESOLVE,
    WATCHED_CHANNEL,
    seed_incidents,
    seed_policies,
)
from support import CHANNEL_ARN, DECISIONS_TABLE, POLICIES_TABLE
from tokens import role_token

from chalicelib import dependencies
from chalicelib.core.times import parse_time
from chalicelib.dependencies import policies
from chalicelib.policies.store import PolicyStore
from chalicelib.policies.watching import Cause

pytestmark = pytest.mark.usefixtures("jwks")

MODERATOR = role_token("moderator")  # maria
TRIAGE = role_token("triage")
ARN_PATH = quote(CHANNEL_ARN, safe="")


@pytest.fixture
def seeded(client):
    seed_incidents()
    seed_policies()
    return client


def call(client, method: str, path: str, body=None, token: str = MODERATOR):
    headers = {"Authorization": f"Bearer {token}"}
    if body is not None:
        headers["Content-Type"] = "application/json"
    payload = json.dumps(body) if body is not None else b""
    return client.http.request(method, path, headers=headers, body=payload)


def watch_lines(channel_arn: str = CHANNEL_ARN) -> list[dict]:
    items, _ = PolicyStore(boto3.client("dynamodb"), POLICIES_TABLE).log(limit=100)
    return [i for i in items if i["what"] == "watchlist" and i["channelArn"] == channel_arn]


def hours_from_now(until: str) -> float:
    return (parse_time(until) - datetime.now(UTC)) / timedelta(hours=1)


def test_a_moderators_stop_puts_the_channel_on_the_watchlist_naming_incident_and_actor(seeded, ivs):
    ivs.add_response("stop_stream", {}, {"channelArn": CHANNEL_ARN})
    body = {"channelArn": CHANNEL_ARN, "reason": "weapon", "incidentId": INCIDENT_TO_ACKNOWLEDGE}

    response = call(seeded, "POST", "/stop-stream", body)

    assert response.status_code == 200, response.body
    watched = response.json_body["watchlisted"]
    assert watched["reason"] == f"stopped by maria (incident {INCIDENT_TO_ACKNOWLEDGE}): weapon"
    assert 23.9 < hours_from_now(watched["until"]) <= 24  # the watchlist policy's watchHours
    [line] = watch_lines()
    assert (line["who"], line["after"]["incidentId"]) == ("maria", INCIDENT_TO_ACKNOWLEDGE)
    listed = call(seeded, "GET", "/watchlist", token=TRIAGE).json_body["items"]
    assert [item["channelArn"] for item in listed] == [CHANNEL_ARN, WATCHED_CHANNEL] or [
        item["channelArn"] for item in listed
    ] == [WATCHED_CHANNEL, CHANNEL_ARN]
    mine = next(item for item in listed if item["channelArn"] == CHANNEL_ARN)
    assert (mine["name"], mine["addedBy"], mine["reason"]) == (
        "arena-shooter",
        "maria",
        watched["reason"],
    )


def test_a_warning_puts_the_channel_on_the_watchlist_once(seeded):
    body = {"resolution": "warned", "note": "told them: no weapons on stream"}

    response = call(seeded, "POST", f"/incidents/{INCIDENT_TO_RESOLVE}/resolve", body)
    again = call(seeded, "POST", f"/incidents/{INCIDENT_TO_RESOLVE}/resolve", body)

    assert response.status_code == 200, response.body
    assert again.status_code == 409  # resolved already: nothing more is watched or audited
    [line] = watch_lines()
    assert line["after"]["reason"] == (
        f"warned by maria (incident {INCIDENT_TO_RESOLVE}): told them: no weapons on stream"
    )
    incident = call(seeded, "GET", f"/incidents/{INCIDENT_TO_RESOLVE}").json_body
    assert incident["watchlisted"]["reason"] == line["after"]["reason"]


@pytest.mark.parametrize("resolution", ["dismissed", "escalated"])
def test_other_resolutions_watch_nothing(seeded, resolution):
    body = (
        {"resolution": resolution, "escalateTo": "legal"}
        if resolution == "escalated"
        else {"resolution": resolution}
    )

    assert (
        call(seeded, "POST", f"/incidents/{INCIDENT_TO_RESOLVE}/resolve", body).status_code == 200
    )

    assert watch_lines() == []


def test_one_action_handled_twice_is_one_watch_and_one_audit_line(seeded):
    cause = Cause(CHANNEL_ARN, "stopped", "maria", "2026-12-04T10:00:00.000Z", "audit-1")
    watchlist = policies.watchlist()

    first = watchlist.after(cause)
    second = watchlist.after(cause)  # a retry of the same stop

    assert first == second
    assert len(watch_lines()) == 1


def test_a_longer_watch_in_force_is_never_shortened_by_an_action(seeded):
    call(seeded, "PUT", f"/watchlist/{ARN_PATH}", {"hours": 100, "reason": "repeat offender"})
    cause = Cause(CHANNEL_ARN, "warned", "tom", "2026-12-04T10:00:00.000Z", "warn-1")

    watch = policies.watchlist().after(cause)

    assert hours_from_now(watch["until"]) > 99
    assert watch["reason"].startswith("warned by tom")


def test_a_moderator_watches_and_unwatches_by_hand_audited(seeded):
    put = call(seeded, "PUT", f"/watchlist/{ARN_PATH}", {"hours": 12, "reason": "raid tonight"})
    channel = call(seeded, "GET", f"/channels/{ARN_PATH}/policy", token=TRIAGE).json_body
    removed = call(seeded, "DELETE", f"/watchlist/{ARN_PATH}")
    again = call(seeded, "DELETE", f"/watchlist/{ARN_PATH}")

    assert put.status_code == 200, put.body
    assert 11.9 < hours_from_now(put.json_body["watchlisted"]["until"]) <= 12
    assert channel["watchlisted"]["reason"] == "raid tonight"
    assert channel["document"]["frameSkipping"] is False  # the watchlist's overlay
    assert removed.status_code == 200 and removed.json_body["watchlisted"] is None
    assert again.status_code == 404
    added, taken_off = reversed(watch_lines())
    assert (added["who"], added["before"], added["after"]["reason"]) == (
        "maria",
        None,
        "raid tonight",
    )
    assert (taken_off["after"], taken_off["before"]["reason"]) == (None, "raid tonight")


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"hours": 0, "reason": "x"}, "hours must be a whole number from 1 to 720"),
        ({"hours": 721, "reason": "x"}, "hours must be"),
        ({"hours": 5}, "reason is required"),
        ({"reason": " "}, "reason is required"),
        ({"reason": "x", "until": "later"}, "unknown field(s): until"),
    ],
)
def test_a_watch_by_hand_refused_names_the_field(seeded, body, words):
    response = call(seeded, "PUT", f"/watchlist/{ARN_PATH}", body)

    assert response.status_code == 400
    assert response.json_body["Message"].startswith(words), response.json_body
    assert watch_lines() == []


def test_triage_may_read_the_watchlist_but_not_change_it(seeded):
    assert call(seeded, "GET", "/watchlist", token=TRIAGE).status_code == 200
    refused = call(seeded, "PUT", f"/watchlist/{ARN_PATH}", {"reason": "x"}, token=TRIAGE)
    assert refused.status_code == 403
    assert "it needs the moderator role" in refused.json_body["Message"]


# --- the answers say it --------------------------------------------------------------------


def test_incident_answers_carry_the_policy_their_frames_recorded(seeded):
    before = call(seeded, "GET", "/incidents", token=TRIAGE).json_body["items"]
    assert before and all(i["policy"] is None for i in before)  # decided before policies
    incident = dependencies.incidents().store.get(INCIDENT_TO_ACKNOWLEDGE)
    frame = incident["frames"][-1]
    boto3.client("dynamodb").put_item(
        TableName=DECISIONS_TABLE,
        Item={
            "channelArn": {"S": CHANNEL_ARN},
            "sortKey": {"S": f"{frame['frameTime']}#{frame['decisionId']}"},
            "kind": {"S": "frame"},
            "decision": {"S": "alert"},
            "policy": {"S": "kids"},
            "policyVersion": {"N": "1"},
            "policyWhy": {"S": "tag moderation-policy=kids (priority 10)"},
        },
    )

    one = call(seeded, "GET", f"/incidents/{INCIDENT_TO_ACKNOWLEDGE}", token=TRIAGE).json_body
    listed = call(seeded, "GET", "/incidents", token=TRIAGE).json_body["items"]

    expected = {
        "name": "kids",
        "version": 1,
        "why": "tag moderation-policy=kids (priority 10)",
        "watchlisted": False,
    }
    assert one["policy"] == expected
    assert one["frames"][-1]["policy"] == expected
    assert one["watchlisted"] is None
    mine = next(i for i in listed if i["incidentId"] == INCIDENT_TO_ACKNOWLEDGE)
    assert mine["policy"] == expected


def test_channel_answers_carry_the_policy_that_applies_now_and_the_watchlist(seeded):
    call(seeded, "PUT", f"/watchlist/{ARN_PATH}", {"reason": "raid tonight"})

    [channel] = call(seeded, "GET", "/channels", token=TRIAGE).json_body["items"]

    assert channel["policy"] == {"name": "default", "version": 0, "why": "the stage default"}
    assert channel["watchlisted"]["reason"] == "raid tonight"
