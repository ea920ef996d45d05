"""Claims that hold, through the API: acknowledging assigns the incident; anyone else's action
on it is a 409 naming the holder until they take it over (audited, told to every
moderator); a holder assigns it to a colleague or releases it; the service's own actions
(a stream's end) are never held up.

Incidents as the service writes them (history_items.seed_incidents); maria and tom sign in
with real RS256 tokens.
"""

from __future__ import annotations

import json

import pytest
from history_items import INCIDENT_TO_ACKNOWLEDGE as INCIDENT
from history_items import seed_incidents
from support import incident_audits
from tokens import id_token, signed_in

pytestmark = pytest.mark.usefixtures("jwks")

TOM = id_token(**{"sub": "7c3a4d2f-5e6b-4f8c-9d0e-1a2b3c4d5e6f", "cognito:username": "tom"})
ANA = id_token(**{"sub": "0d1e2f3a-4b5c-4d6e-8f7a-9b0c1d2e3f4a", "cognito:username": "ana"})


@pytest.fixture
def seeded(client):
    seed_incidents()
    return client


def post(client, action: str, body=None, token: str | None = None, incident: str = INCIDENT):
    headers = {"Content-Type": "application/json", **signed_in(token)}
    return client.http.post(
        f"/incidents/{incident}/{action}", headers=headers, body=json.dumps(body or {})
    )


def told(sent_events, kind: str) -> list[dict]:
    return [e for e in sent_events if e["type"] == kind and e["incidentId"] == INCIDENT]


def test_GIVEN_an_incident_acknowledged_by_maria_THEN_it_is_hers(seeded):
    response = post(seeded, "acknowledge")

    incident = response.json_body["incident"]
    assert (incident["state"], incident["assignedTo"]) == ("acknowledged", "maria")


@pytest.mark.parametrize(
    ("action", "body"),
    [
        ("resolve", {"resolution": "dismissed"}),
        ("resolve", {"resolution": "warned", "note": "told them"}),
        ("resolve", {"resolution": "escalated", "escalateTo": "legal"}),
        ("acknowledge", {}),
        ("release", {}),
        ("assign", {"to": "tom"}),
    ],
)
def test_GIVEN_marias_claim_WHEN_tom_acts_THEN_409_naming_maria_and_nothing_changes(
    seeded, action, body
):
    version = post(seeded, "acknowledge").json_body["incident"]["version"]

    response = post(seeded, action, body, token=TOM)

    assert response.status_code == 409, response.body
    assert "maria" in response.json_body["Message"]
    assert response.json_body["incident"]["version"] == version
    assert response.json_body["incident"]["assignedTo"] == "maria"


def test_GIVEN_marias_claim_WHEN_tom_stops_the_stream_THEN_409_and_IVS_is_not_called(seeded, ivs):
    from support import CHANNEL_ARN

    post(seeded, "acknowledge")
    headers = {"Content-Type": "application/json", **signed_in(TOM)}
    body = {"channelArn": CHANNEL_ARN, "reason": "weapon", "incidentId": INCIDENT}

    response = seeded.http.post("/stop-stream", headers=headers, body=json.dumps(body))

    assert response.status_code == 409 and "maria" in response.json_body["Message"]
    # the ivs Stubber has no response queued: a StopStream call would have failed the test


def test_GIVEN_marias_claim_WHEN_tom_takes_it_over_THEN_his_audited_and_told_and_he_may_act(
    seeded, sent_events
):
    post(seeded, "acknowledge")

    taken = post(seeded, "take-over", {"note": "maria is off shift"}, token=TOM)
    dismissed = post(seeded, "resolve", {"resolution": "dismissed"}, token=TOM)
    maria_late = post(seeded, "resolve", {"resolution": "warned", "note": "x"})

    assert taken.status_code == 200
    assert taken.json_body["incident"]["assignedTo"] == "tom"
    entry = taken.json_body["incident"]["trail"][-1]
    assert (entry["action"], entry["by"], entry["note"]) == (
        "taken-over-from:maria",
        "tom",
        "maria is off shift",
    )
    [event] = told(sent_events, "incident-assigned")
    assert (event["assignedTo"], event["actor"]) == ("tom", "tom")
    assert dismissed.status_code == 200
    assert maria_late.status_code == 409 and "tom" in maria_late.json_body["Message"]
    audited = [a["action"] for a in incident_audits() if a["incidentId"] == INCIDENT]
    assert audited == ["acknowledged", "taken-over-from:maria", "resolved:dismissed"]


def test_GIVEN_a_claim_WHEN_the_holder_assigns_it_THEN_the_colleague_holds_it(seeded):
    post(seeded, "acknowledge")

    assigned = post(seeded, "assign", {"to": "tom", "note": "your channel"})
    maria_now = post(seeded, "resolve", {"resolution": "dismissed"})
    toms = post(seeded, "resolve", {"resolution": "warned", "note": "told"}, token=TOM)

    assert assigned.json_body["incident"]["assignedTo"] == "tom"
    assert maria_now.status_code == 409
    assert toms.status_code == 200


def test_GIVEN_a_claim_WHEN_released_THEN_open_for_anyone_and_a_second_release_is_409(seeded):
    post(seeded, "acknowledge")

    released = post(seeded, "release")
    again = post(seeded, "release")
    anas = post(seeded, "acknowledge", token=ANA)

    assert released.json_body["incident"]["state"] == "open"
    assert "assignedTo" not in released.json_body["incident"]
    assert again.status_code == 409 and "nobody holds it" in again.json_body["Message"]
    assert anas.json_body["incident"]["assignedTo"] == "ana"


def test_GIVEN_an_open_incident_THEN_anyone_may_act_and_take_over_claims_it(seeded):
    taken = post(seeded, "take-over", token=TOM)

    assert taken.status_code == 200
    assert taken.json_body["incident"]["assignedTo"] == "tom"
    assert taken.json_body["incident"]["trail"][-1]["action"] == "taken-over"


def test_GIVEN_a_claim_WHEN_the_stream_ends_THEN_the_service_is_not_held_up(seeded, app_module):
    from chalicelib import dependencies
    from chalicelib.incidents.actions import resolve
    from chalicelib.incidents.model import SYSTEM

    post(seeded, "acknowledge")

    incident, _ = dependencies.incidents().transition(
        INCIDENT,
        lambda current, now: resolve(current, SYSTEM, now, "stream-ended"),
        event_type=None,
        actor=SYSTEM,
    )

    assert incident["resolution"] == "stream-ended"


def test_every_moderator_hears_who_holds_it(seeded, sent_events):
    post(seeded, "acknowledge")

    [event] = [e for e in sent_events if e["type"] == "incident-acknowledged"]

    assert event["assignedTo"] == "maria"
