"""Every incident transition is published on EventBridge (detail schema version 1), once
committed; a publish that fails is deferred to the outbox and published by the SLA sweep.

moto's EventBridge delivers the app's events to a queue (alerts_support.BusQueue) that the
tests read, as a platform's rule would route them."""

from __future__ import annotations

import json

import boto3
import pytest
from alerts_support import BusQueue
from botocore.stub import Stubber
from support import CHANNEL_ARN, CHANNEL_NAME, INCIDENTS_TABLE, incident_audits
from test_incidents import flagged

from chalicelib import dependencies
from chalicelib.alerts.publisher import OUTBOX_KEY
from chalicelib.incidents.model import FlaggedFrame


@pytest.fixture
def bus(client) -> BusQueue:  # `client`: the room's SendEvent is answered
    return BusQueue()


def stronger(n: int, **changes) -> FlaggedFrame:
    frame = flagged(n)
    return FlaggedFrame(**{**frame.__dict__, "top_confidence": 97.0, **changes})


def test_every_transition_of_an_incident_is_one_event_in_order(bus):
    incidents, handling = dependencies.incidents(), dependencies.incident_handling()
    opened = incidents.record_frame(flagged(0))
    incidents.record_frame(flagged(1))  # joins: not a transition
    incidents.record_frame(stronger(2))  # medium to high: updated, a high-severity alert
    handling.acknowledge(opened.incident_id, "maria")
    handling.resolve(opened.incident_id, "maria", "warned", note="first warning")
    handling.reopen(opened.incident_id, "tom")
    handling.resolve(opened.incident_id, "tom", "escalated", team="legal")

    details = bus.details()
    assert [d["type"] for d in details] == [
        "incident-opened",
        "incident-updated",
        "incident-acknowledged",
        "incident-resolved",
        "incident-reopened",
        "incident-resolved",
    ]
    versions = [d["incidentVersion"] for d in details]
    assert versions == sorted(versions) and len(set(versions)) == len(versions)
    opened_event, updated, acknowledged, warned, reopened, escalated = details
    assert opened_event == {
        "schemaVersion": "1",
        "type": "incident-opened",
        "incidentId": opened.incident_id,
        "incidentVersion": 0,
        "kind": "stream",
        "channelArn": CHANNEL_ARN,
        "channelName": CHANNEL_NAME,
        "state": "open",
        "resolution": "",
        "severity": "medium",
        "actor": "system",
        "at": opened_event["at"],
        "frameCount": 1,
        "topConfidence": 88.0,
        "topCategory": "Rude Gestures",
        "topLabel": "Middle Finger",
        "openedAt": opened_event["at"],
    }
    assert (updated["severity"], updated["alerts"]) == ("high", ["high-severity"])
    assert (acknowledged["actor"], acknowledged["acknowledgedBy"]) == ("maria", "maria")
    assert (warned["resolution"], warned["note"], "alerts" in warned) == (
        "warned", "first warning", False
    )  # fmt: skip
    assert (reopened["state"], reopened["actor"]) == ("open", "tom")
    assert escalated["alerts"] == ["escalation"]
    assert (escalated["team"], escalated["escalatedTo"]) == ("legal", "legal")


def test_the_event_envelope_names_the_app_and_the_channel(bus):
    dependencies.incidents().record_frame(flagged(0))
    [event] = bus.events()
    assert (event["source"], event["detail-type"]) == ("ivs-moderation", "Incident Transition")
    assert event["resources"] == [CHANNEL_ARN]


def test_an_auto_stop_opens_and_resolves_in_one_change_two_events(bus):
    frame = stronger(0, decision="auto-stop", action="stopped")
    dependencies.incidents().record_frame(frame)
    opened, stopped = bus.details()
    assert (opened["type"], opened["alerts"]) == ("incident-opened", ["high-severity"])
    assert opened["severity"] == "critical"
    assert (stopped["type"], stopped["resolution"], stopped["actor"]) == (
        "incident-resolved", "stopped", "policy"
    )  # fmt: skip
    assert "alerts" not in stopped


def test_a_stream_end_is_published(bus):
    incidents = dependencies.incidents()
    opened = incidents.record_frame(flagged(0))
    new_session = FlaggedFrame(**{**flagged(1).__dict__, "session_id": "Rec1AbCdEfGh"})
    incidents.record_frame(new_session)  # the earlier session's incident ends
    types = [(d["type"], d["incidentId"] == opened.incident_id) for d in bus.details()]
    assert types == [
        ("incident-opened", True),
        ("incident-opened", False),
        ("incident-resolved", True),
    ]


def outbox() -> dict:
    item = boto3.resource("dynamodb").Table(INCIDENTS_TABLE).get_item(Key=OUTBOX_KEY)
    return {k: v for k, v in item.get("Item", {}).items() if k != "incidentId"}


def test_a_failed_publish_keeps_the_transition_and_the_sweep_publishes_it_later(bus):
    incidents, handling = dependencies.incidents(), dependencies.incident_handling()
    opened = incidents.record_frame(flagged(0))
    bus.events()
    with Stubber(dependencies.events_client()) as events:
        events.add_client_error("put_events", "InternalException", http_status_code=500)
        incident, _ = handling.acknowledge(opened.incident_id, "maria")  # no error: committed
        events.add_response(
            "put_events",
            {"FailedEntryCount": 1, "Entries": [{"ErrorCode": "ThrottlingException"}]},
        )
        events.add_response(
            "put_events",
            {"FailedEntryCount": 1, "Entries": [{"ErrorCode": "ThrottlingException"}]},
        )
        handling.resolve(opened.incident_id, "maria", "dismissed")  # refused twice
    assert incident["state"] == "acknowledged"
    assert [a["action"] for a in incident_audits()][-2:] == ["acknowledged", "resolved:dismissed"]
    assert bus.events() == []
    held = [json.loads(entry) for entry in outbox().values()]
    assert sorted(json.loads(e["Detail"])["type"] for e in held) == [
        "incident-acknowledged", "incident-resolved"
    ]  # fmt: skip

    result = dependencies.sla_sweep().sweep()

    assert result["deferredEventsPublished"] == 2
    assert sorted(d["type"] for d in bus.details()) == [
        "incident-acknowledged", "incident-resolved"
    ]  # fmt: skip
    assert outbox() == {}
    assert dependencies.sla_sweep().sweep()["deferredEventsPublished"] == 0


def test_publishing_is_one_bounded_call(app_module):
    client = dependencies.events_client()
    config = client.meta.config
    assert (config.connect_timeout, config.read_timeout) == (0.5, 1)
    assert config.retries["total_max_attempts"] == 2


def test_who_holds_an_incident_is_published_as_incident_assigned(bus):
    incidents, handling = dependencies.incidents(), dependencies.incident_handling()
    opened = incidents.record_frame(flagged(0))
    handling.acknowledge(opened.incident_id, "maria")
    handling.take_over(opened.incident_id, "tom", note="maria is off shift")
    handling.assign(opened.incident_id, "tom", "ana")
    handling.release(opened.incident_id, "ana")

    details = bus.details()

    assert [(d["type"], d["actor"], d.get("assignedTo", "")) for d in details[1:]] == [
        ("incident-acknowledged", "maria", "maria"),
        ("incident-assigned", "tom", "tom"),
        ("incident-assigned", "tom", "ana"),
        ("incident-assigned", "ana", ""),
    ]
