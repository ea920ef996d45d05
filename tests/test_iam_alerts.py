"""The alerts' functions are granted exactly what they call (tests/test_iam_policy.py's
recorder): the SLA sweep through a catch-up of deferred events and an escalation; the
e-mail function through an alert of each kind."""

from __future__ import annotations

import json
from datetime import timedelta

import boto3
import pytest
import test_iam_policy
from support import INCIDENTS_TABLE, VIOLENCE, thumbnail_key, written
from test_iam_policy import NEEDS, grants

from chalicelib import dependencies
from chalicelib.alerts.publisher import OUTBOX_KEY

recorder, attributed = test_iam_policy.recorder, test_iam_policy.attributed  # its fixtures


def deferred_event() -> None:
    entry = {
        "Source": "ivs-moderation",
        "DetailType": "Incident Transition",
        "Detail": json.dumps({"type": "incident-opened"}),
        "EventBusName": "default",
    }
    boto3.resource("dynamodb").Table(INCIDENTS_TABLE).put_item(
        Item={**OUTBOX_KEY, "e_0": json.dumps(entry)}
    )


def test_sla_sweep_policy_grants_exactly_what_it_calls(
    recorder, attributed, rekognition, ivschat, monkeypatch
):
    rekognition.add_response("detect_moderation_labels", VIOLENCE)
    ivschat.add_response("send_event", {"id": "AbCdEfGh0001"})
    attributed.lambda_.invoke("moderate_thumbnail", written(thumbnail_key(12)))
    deferred_event()
    start = dependencies.now()
    dependencies.incidents()._clock = lambda: start + timedelta(minutes=30)
    ivschat.add_response("send_event", {"id": "AbCdEfGh0002"})
    event = attributed.events.generate_cw_event("aws.events", "Scheduled Event", {}, [])
    result = attributed.lambda_.invoke("sla_sweep", event).payload
    assert len(result["escalated"]) == 1 and result["deferredEventsPublished"] == 1

    called, granted = recorder.of("sla_sweep"), grants("sla_sweep")
    assert called - granted == set(), "called but not allowed"
    assert granted - called == set(NEEDS["sla_sweep"]), "allowed but never called"


@pytest.mark.parametrize("kind", ["high-severity", "escalation", "sla-breach"])
def test_send_alerts_policy_grants_exactly_what_it_calls(recorder, attributed, monkeypatch, kind):
    topic = boto3.client("sns").create_topic(Name="ivs-moderation-ci-alerts")["TopicArn"]
    monkeypatch.setenv("ALERT_TOPIC_ARN", topic)
    dependencies.reset()
    detail = {
        **{"alerts": [kind], "team": "legal", "incidentId": "i1", "incidentVersion": 3},
        **{"severity": "high", "channelArn": "arn:aws:ivs:us-west-2:123456789012:channel/x"},
        **{"state": "open", "type": "incident-opened", "actor": "system", "at": "now"},
    }
    event = attributed.events.generate_cw_event("ivs-moderation", "Incident Transition", detail, [])
    assert attributed.lambda_.invoke("send_alerts", event).payload == [kind]

    called, granted = recorder.of("send_alerts"), grants("send_alerts")
    assert called - granted == set(), "called but not allowed"
    assert granted - called == set(NEEDS["send_alerts"]), "allowed but never called"
