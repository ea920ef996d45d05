"""Moderators racing on one incident, through the running local stack's HTTP API.

Each test releases RACERS threads at once (a barrier), each signed in as a moderator of its
own, all doing something to the same incident as they saw it (its version, as the
dashboard sends it). Whatever they do, the incident moves once:
one request succeeds, every other gets a 409 that names the winner and carries the
incident as it now is; the incident's trail and the decision log hold one entry of the
action, the moderators' room hears of it once, and IVS is asked to stop a stream at most
once. The local stack's DynamoDB applies one request at a time (local/dynamodb.py), as
DynamoDB applies each transaction atomically; on stock moto these races went wrong.
"""

from __future__ import annotations

import random
import secrets
import threading
from collections import Counter

import pytest
import requests
from boto3.dynamodb.conditions import Key
from dashboard_helpers import VIOLENCE, Channel, create_moderator
from stack_helpers import emulator, is_live, table

from local.stack_client import api, sign_in

RACERS = 10


@pytest.fixture(scope="module")
def team(stack) -> list[tuple[str, str]]:
    """RACERS moderators of their own: (username, ID token)."""
    members = []
    for n in range(RACERS):
        username = f"racer{n}-{secrets.token_hex(2)}"
        user = create_moderator(stack, username)
        stack[username] = user
        members.append((username, sign_in(stack, username)))
    return members


def race(stack, team, requests_of) -> list[tuple[str, int, dict]]:
    """Every member sends its request at the same moment: (who, status, body) each."""
    barrier = threading.Barrier(len(team), timeout=30)
    results: list[tuple[str, int, dict]] = [None] * len(team)  # type: ignore[list-item]

    def one(n: int) -> None:
        username, token = team[n]
        method, path, body = requests_of(n)
        barrier.wait()
        try:
            response = api(stack, method, path, token, body)
            results[n] = (username, response.status_code, response.json())
        except requests.RequestException as error:
            results[n] = (username, 0, {"Message": str(error)})

    threads = [threading.Thread(target=one, args=(n,)) for n in range(len(team))]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    return results


def one_winner(results) -> tuple[str, dict, list]:
    """The one 200 and the 409s; every loser names the winner and carries the incident."""
    statuses = Counter(status for _, status, _ in results)
    assert statuses == {200: 1, 409: len(results) - 1}, results
    [(winner, _, body)] = [r for r in results if r[1] == 200]
    losers = [r for r in results if r[1] == 409]
    for _, _, lost in losers:
        assert winner in lost["Message"], (winner, lost["Message"])
        assert "incident" in lost, lost
    return winner, body, losers


def incident_now(stack, token, incident_id) -> dict:
    return api(stack, "GET", f"/incidents/{incident_id}", token).json()


def trail_actions(incident) -> list[str]:
    return [entry["action"] for entry in incident["trail"]]


def audits(stack, channel_arn) -> list[dict]:
    decisions = table(stack, stack["decisions_table"])
    items = decisions.query(KeyConditionExpression=Key("channelArn").eq(channel_arn))["Items"]
    return [item for item in items if item.get("kind") in ("incident", "stop")]


def room_events(stack, incident_id, kind) -> list[dict]:
    """The STREAM_MODERATION events sent to the moderators' room about the incident."""
    calls = emulator(stack, "GET", "calls?service=ivschat&operation=SendEvent")["calls"]
    return [
        call["params"]["attributes"]
        for call in calls
        if call["outcome"] == "ok"
        and call["params"].get("attributes", {}).get("incidentId") == incident_id
        and call["params"]["attributes"].get("type") == kind
    ]


def ivs_calls(stack, operation, channel_arn) -> list[dict]:
    calls = emulator(stack, "GET", f"calls?service=ivs&operation={operation}")["calls"]
    return [call for call in calls if call["params"].get("channelArn") == channel_arn]


def flagged_incident(stack, token, purpose, *, live=False) -> tuple[Channel, dict]:
    channel = Channel(stack, purpose, live=live)
    channel.flag(VIOLENCE)
    return channel, channel.incident(token)


def path(incident, action) -> str:
    return f"/incidents/{incident['incidentId']}/{action}"


def test_ten_acknowledges_one_claims_it(stack, team):
    token = team[0][1]
    _, incident = flagged_incident(stack, token, "race-ack")

    seen = {"version": incident["version"]}
    results = race(stack, team, lambda n: ("POST", path(incident, "acknowledge"), seen))

    winner, body, _ = one_winner(results)
    assert body["incident"]["acknowledgedBy"] == winner
    now = incident_now(stack, token, incident["incidentId"])
    assert trail_actions(now).count("acknowledged") == 1
    assert [a["action"] for a in audits(stack, incident["channelArn"])].count("acknowledged") == 1
    assert len(room_events(stack, incident["incidentId"], "incident-acknowledged")) == 1


@pytest.mark.parametrize("resolution", ["warned", "dismissed", "escalated", "mixed"])
def test_ten_resolutions_one_outcome(stack, team, resolution):
    token = team[0][1]
    _, incident = flagged_incident(stack, token, f"race-{resolution}")
    choices = ["warned", "dismissed", "escalated"]
    picked = [resolution if resolution != "mixed" else random.choice(choices) for _ in team]

    def resolve(n):
        body = {"resolution": picked[n], "note": f"by racer {n}", "version": incident["version"]}
        if picked[n] == "escalated":
            body["escalateTo"] = "Legal"
        return ("POST", path(incident, "resolve"), body)

    results = race(stack, team, resolve)

    winner, _, _ = one_winner(results)
    won = picked[[r[0] for r in results].index(winner)]
    now = incident_now(stack, token, incident["incidentId"])
    assert (now["resolution"], now["resolvedBy"]) == (won, winner)
    resolved = [a for a in trail_actions(now) if a.startswith("resolved:")]
    assert resolved == [f"resolved:{won}"]
    logged = [a["action"] for a in audits(stack, incident["channelArn"])]
    assert [a for a in logged if a.startswith("resolved:")] == [f"resolved:{won}"]
    assert len(room_events(stack, incident["incidentId"], "incident-resolved")) == 1


def test_ten_reopens_one_reopens_and_the_others_are_told_who(stack, team):
    token = team[0][1]
    _, incident = flagged_incident(stack, token, "race-reopen")
    dismissed = api(stack, "POST", path(incident, "resolve"), token, {"resolution": "dismissed"})
    assert dismissed.status_code == 200
    seen = {"version": dismissed.json()["incident"]["version"]}

    results = race(stack, team, lambda n: ("POST", path(incident, "reopen"), seen))

    winner, _, losers = one_winner(results)
    for _, _, lost in losers:  # stale (the version they saw), or no longer resolved
        assert f"reopened by {winner} at " in lost["Message"], lost["Message"]
    now = incident_now(stack, token, incident["incidentId"])
    assert trail_actions(now).count("reopened") == 1
    assert len(room_events(stack, incident["incidentId"], "incident-reopened")) == 1


@pytest.mark.parametrize("revoke", [False, True], ids=["stop", "stop-and-revoke"])
def test_ten_stops_one_stop_stream_call(stack, team, revoke):
    token = team[0][1]
    channel, incident = flagged_incident(stack, token, "race-stop", live=True)
    body = {"channelArn": channel.arn, "reason": "weapon", "revokeStreamKey": revoke}
    body["version"] = incident["version"]

    results = race(stack, team, lambda n: ("POST", "/stop-stream", body))

    winner, answer, _ = one_winner(results)
    assert answer["incident"]["resolution"] == "stopped"
    assert answer["incident"]["resolvedBy"] == winner
    assert len(ivs_calls(stack, "StopStream", channel.arn)) == 1
    assert len(ivs_calls(stack, "ListStreamKeys", channel.arn)) == (1 if revoke else 0)
    stops = [a for a in audits(stack, channel.arn) if a["kind"] == "stop"]
    assert [(a["moderatorName"], a["outcome"]) for a in stops] == [(winner, "stopped")]
    assert answer["incident"]["stopAuditId"] == stops[0]["auditId"]
    assert len(room_events(stack, incident["incidentId"], "incident-resolved")) == 1
    if not revoke:  # the encoder reconnects by itself: a new stream of the channel
        channel.disconnect()


def test_stop_against_warn_one_outcome_told_everywhere(stack, team):
    token = team[0][1]
    channel, incident = flagged_incident(stack, token, "race-stop-warn", live=True)

    def either(n):
        seen = incident["version"]
        if n % 2:
            body = {"channelArn": channel.arn, "reason": "weapon", "version": seen}
            return ("POST", "/stop-stream", body)
        body = {"resolution": "warned", "note": "told to stop", "version": seen}
        return ("POST", path(incident, "resolve"), body)

    results = race(stack, team, either)

    winner, answer, _ = one_winner(results)
    now = incident_now(stack, token, incident["incidentId"])
    stopped = now["resolution"] == "stopped"
    assert now["resolvedBy"] == winner
    assert len(ivs_calls(stack, "StopStream", channel.arn)) == (1 if stopped else 0)
    assert is_live(stack, channel.arn) is not stopped
    [event] = room_events(stack, incident["incidentId"], "incident-resolved")
    assert event["resolution"] == now["resolution"]
    if stopped:
        assert now["stopAuditId"] == answer["auditId"]
    else:
        assert [a for a in audits(stack, channel.arn) if a["kind"] == "stop"] == []
        channel.disconnect()


def test_an_action_on_a_stale_view_is_refused_naming_the_change(stack, team):
    (maria, token), (_, tom) = team[0], team[1]
    _, incident = flagged_incident(stack, token, "race-stale")
    seen = incident["version"]
    assert api(stack, "POST", path(incident, "acknowledge"), token, {"version": seen}).ok

    stale = api(
        stack, "POST", path(incident, "resolve"), tom, {"resolution": "dismissed", "version": seen}
    )

    assert stale.status_code == 409
    assert f"acknowledged by {maria}" in stale.json()["Message"]
    assert stale.json()["incident"]["state"] == "acknowledged"


# --- chat incidents: a user banned or timed out once, whatever ten moderators do at once ------


@pytest.mark.parametrize("action", ["ban", "timeout", "mixed"])
def test_ten_bans_or_timeouts_of_one_user_one_holds_and_ivs_disconnects_once(stack, team, action):
    from chat_helpers import INSULT, chat_incident, held_out, send

    token = team[0][1]
    room, user, incident = chat_incident(stack, token, f"race-chat-{action}")
    picked = [action if action != "mixed" else ("ban", "timeout")[n % 2] for n in range(RACERS)]

    def hold(n):
        body = {"version": incident["version"], "note": f"racer {n}"}
        if picked[n] == "timeout":
            body["minutes"] = 30
        return ("POST", path(incident, picked[n]), body)

    results = race(stack, team, hold)

    winner, body, _ = one_winner(results)
    won = picked[[r[0] for r in results].index(winner)]
    resolution = "banned" if won == "ban" else "timed-out"
    assert (body["incident"]["resolution"], body["incident"]["resolvedBy"]) == (resolution, winner)
    bans = table(stack, stack["chat_table"]).query(
        KeyConditionExpression=Key("pk").eq(f"ban#{room}")
    )["Items"]
    assert [(b["userId"], b["by"], b["kind"]) for b in bans] == [(user, winner, won)]
    disconnects = emulator(stack, "GET", "calls?service=ivschat&operation=DisconnectUser")
    assert [c["params"]["userId"] for c in disconnects["calls"]].count(user) == 1
    logged = [a["action"] for a in audits(stack, incident["channelArn"])]
    assert logged.count(f"resolved:{resolution}") == 1
    assert len(room_events(stack, incident["incidentId"], "incident-resolved")) == 1
    # the ban holds: the user's next message is refused (or, if the review was late, removed)
    assert held_out(stack, room, user, "let me back in")
    assert send(stack, room, f"fan-of-{user}", INSULT.replace("idiot", "star"))["Type"] == "MESSAGE"


# --- claims: one take-over wins, and nobody acts on another's claim ---------------------------


def test_ten_take_overs_of_a_claimed_incident_one_wins_and_the_holder_sees_it(stack, team):
    holder_token = team[0][1]
    _, incident = flagged_incident(stack, holder_token, "race-take-over")
    held = api(stack, "POST", path(incident, "acknowledge"), holder_token, {})
    assert held.status_code == 200, held.text
    seen = {"version": held.json()["incident"]["version"], "note": "mine now"}
    racers = team[1:]

    results = race(stack, racers, lambda n: ("POST", path(incident, "take-over"), seen))

    winner, body, _ = one_winner(results)
    assert body["incident"]["assignedTo"] == winner
    now = incident_now(stack, holder_token, incident["incidentId"])
    assert now["assignedTo"] == winner
    assert [a for a in trail_actions(now) if a.startswith("taken-over")] == [
        f"taken-over-from:{team[0][0]}"
    ]
    assigned = room_events(stack, incident["incidentId"], "incident-assigned")
    assert [e["assignedTo"] for e in assigned] == [winner]
    # the first holder can no longer act on it
    late = api(stack, "POST", path(incident, "resolve"), holder_token, {"resolution": "dismissed"})
    assert late.status_code == 409 and winner in late.json()["Message"]
