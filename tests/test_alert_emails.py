"""Alerting events become e-mails on the stage's SNS topic; each address gets only its
kind, through the filter policies scripts/deploy/alerts.py subscribes it with (moto's SNS
applies them; SQS queues stand in for the e-mail addresses)."""

from __future__ import annotations

import json

import boto3
import pytest
from support import incident_audits
from test_incident_events import stronger
from test_incidents import flagged
from test_sla import later

from chalicelib import dependencies
from scripts.deploy import alerts
from scripts.deploy.naming import Refusal

TEAMS = ("legal", "Trust & Safety leads")
ADDRESSES = ("oncall@corp.test", "lead@corp.test", "legal@corp.test", "both@corp.test")


@pytest.fixture
def inboxes(client, monkeypatch) -> dict[str, str]:
    """An SQS queue per address, subscribed as deploy subscribes it; the topic set."""
    sns, sqs = boto3.client("sns"), boto3.client("sqs")
    topic = sns.create_topic(Name="ivs-moderation-test-alerts")["TopicArn"]
    wanted = alerts.subscriptions(
        ["high-severity=oncall@corp.test", "sla-breach=lead@corp.test", "both@corp.test"],
        ["Legal=legal@corp.test"],
        TEAMS,
    )
    queues = {}
    for sub in wanted:
        url = sqs.create_queue(QueueName=sub.address.split("@")[0])["QueueUrl"]
        arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])
        queues[sub.address] = url
        sns.subscribe(
            TopicArn=topic, Protocol="sqs", Endpoint=arn["Attributes"]["QueueArn"],
            Attributes={"FilterPolicy": sub.policy_json, "RawMessageDelivery": "false"},
        )  # fmt: skip
    monkeypatch.setenv("ALERT_TOPIC_ARN", topic)  # read when the app first needs its settings
    return queues


def received(queues: dict[str, str]) -> dict[str, list[str]]:
    """Each address's subjects."""
    sqs = boto3.client("sqs")
    found = {}
    for address, url in queues.items():
        messages = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10).get("Messages", [])
        found[address] = sorted(json.loads(m["Body"])["Subject"] for m in messages)
    return found


def alert_events(client, details: list[dict]) -> None:
    """What the app's rule (its pattern: the events with alerts) hands the function."""
    for detail in details:
        if detail.get("alerts"):
            event = client.events.generate_cw_event(
                "ivs-moderation", "Incident Transition", detail, []
            )
            client.lambda_.invoke("send_alerts", event)


def test_each_address_gets_only_its_kind(inboxes, client):
    from alerts_support import BusQueue

    bus = BusQueue()
    incidents, handling = dependencies.incidents(), dependencies.incident_handling()
    high = incidents.record_frame(stronger(0))  # a high-severity alert
    handling.resolve(high.incident_id, "maria", "escalated", team="legal")
    other = "arn:aws:ivs:us-west-2:123456789012:channel/ZyXwVuTs9876"
    from chalicelib.incidents.model import FlaggedFrame

    medium = FlaggedFrame(**{**flagged(1).__dict__, "channel_arn": other, "decision_id": "9" * 24})
    incidents.record_frame(medium)
    later(16)
    dependencies.sla_sweep().sweep()  # escalated to legal, the first team
    alert_events(client, bus.details())

    subjects = received(inboxes)
    prefix = "[ivs-moderation-test] "
    assert subjects["oncall@corp.test"] == [f"{prefix}High incident: arena-shooter"]
    breach = f"{prefix}Medium incident unacknowledged past its SLA, escalated to legal: "
    assert subjects["lead@corp.test"] == [breach + "arena-shooter"]
    assert len(subjects["both@corp.test"]) == 2
    assert sorted(s.split("] ")[1].split(":")[0] for s in subjects["legal@corp.test"]) == [
        "Medium incident unacknowledged past its SLA, escalated to legal",
        "incident escalated to legal",
    ]
    assert [a["action"] for a in incident_audits()].count("sla-breached") == 1


def test_the_options_are_checked():
    with pytest.raises(Refusal, match="kind"):
        alerts.subscriptions(["everything=a@corp.test"], [], TEAMS)
    with pytest.raises(Refusal, match="ESCALATION_TEAMS"):
        alerts.subscriptions([], ["Sales=a@corp.test"], TEAMS)
    with pytest.raises(Refusal, match="not an e-mail"):
        alerts.subscriptions(["a@"], [], TEAMS)
    [both] = alerts.subscriptions(["a@corp.test"], ["LEGAL=a@corp.test"], TEAMS)
    assert both.policy == {"$or": [
        {"kind": ["high-severity", "sla-breach"]},
        {"kind": ["escalation", "sla-breach"], "team": ["legal"]},
    ]}  # fmt: skip
