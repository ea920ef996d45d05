"""The SLA sweep escalates each open incident unacknowledged past its severity's target
exactly once: under repeated schedules, a retried sweep, and two sweeps at once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from alerts_support import BusQueue
from support import TEST_ENV, incident_audits, incidents
from test_incident_events import stronger
from test_incidents import flagged

from chalicelib import dependencies
from chalicelib.core.config import ConfigError, Settings
from chalicelib.incidents.model import FlaggedFrame


@pytest.fixture
def bus(client) -> BusQueue:
    return BusQueue()


def later(minutes: float) -> None:
    """The service's clock moves on (the incident opened at the wall clock's now)."""
    start = dependencies.now()
    dependencies.incidents()._clock = lambda: start + timedelta(minutes=minutes)


def breaches() -> list[dict]:
    return [a for a in incident_audits() if a["action"] == "sla-breached"]


def test_an_unacknowledged_incident_past_its_target_is_escalated_once(bus):
    opened = dependencies.incidents().record_frame(stronger(0))  # high: 5 minutes
    sweep = dependencies.sla_sweep()
    later(4.9)
    assert sweep.sweep()["escalated"] == []
    later(5.1)

    assert sweep.sweep()["escalated"] == [opened.incident_id]
    for _ in range(3):  # the next schedules, and a retried one
        assert sweep.sweep()["escalated"] == []

    [incident] = incidents()
    assert incident["state"] == "open"  # still the moderators' to take
    assert incident["slaEscalatedTo"] == "legal"  # the first of ESCALATION_TEAMS
    [audit] = breaches()
    assert audit["by"] == "sla"
    assert audit["note"] == "not acknowledged within 5 min: escalated to legal"
    sla_events = [d for d in bus.details() if d["type"] == "incident-sla-breached"]
    assert len(sla_events) == 1
    assert (sla_events[0]["alerts"], sla_events[0]["team"]) == (["sla-breach"], "legal")
    assert sla_events[0]["slaBreachedAt"] == incident["slaBreachedAt"]


def test_two_sweeps_at_once_escalate_once(bus):
    dependencies.incidents().record_frame(stronger(0))
    service = dependencies.incidents()
    start = dependencies.now()
    inner = dependencies.sla_sweep()
    results = {}
    state = {"nested": False}

    def clock():
        # The first sweep has read the incident; before it writes, a second sweep runs whole.
        if not state["nested"] and results.get("outer") is None:
            state["nested"] = True
            results["inner"] = inner.sweep()["escalated"]
        return start + timedelta(minutes=6)

    later(6)
    [due] = inner._due()
    service._clock = clock
    results["outer"] = inner._escalate(due)

    assert results["inner"] == [due]
    assert results["outer"] is False  # it lost: it found the marker on its second read
    assert len(breaches()) == 1
    assert [d["type"] for d in bus.details()].count("incident-sla-breached") == 1


def test_acknowledged_incidents_and_those_within_their_target_are_left(bus):
    service, handling = dependencies.incidents(), dependencies.incident_handling()
    acknowledged = service.record_frame(stronger(0))
    handling.acknowledge(acknowledged.incident_id, "maria")
    later(14)  # a medium one waits 15 minutes
    other = other_channel_frame()
    service.record_frame(other)
    assert dependencies.sla_sweep().sweep()["escalated"] == []
    assert breaches() == []


def other_channel_frame() -> FlaggedFrame:
    other = "arn:aws:ivs:us-west-2:123456789012:channel/ZyXwVuTs9876"
    return FlaggedFrame(**{**flagged(5).__dict__, "channel_arn": other, "decision_id": "9" * 24})


def test_a_reopened_incident_waits_from_its_reopening(bus):
    service, handling = dependencies.incidents(), dependencies.incident_handling()
    opened = service.record_frame(flagged(0))  # medium: 15 minutes
    handling.resolve(opened.incident_id, "maria", "dismissed")
    later(20)
    handling.reopen(opened.incident_id, "tom")
    assert dependencies.sla_sweep().sweep()["escalated"] == []
    later(36)
    assert dependencies.sla_sweep().sweep()["escalated"] == [opened.incident_id]


def settings(**env) -> Settings:
    return Settings.from_env({**TEST_ENV, **env})


def test_sla_settings():
    assert settings().sla_minutes == {"critical": 2, "high": 5, "medium": 15}
    assert settings(SLA_MINUTES="high=1").sla_minutes == {"high": 1}
    assert settings(SLA_MINUTES="").sla_minutes == {}
    assert settings(SLA_ESCALATION_TEAM="TRUST & safety leads").sla_escalation_team == (
        "Trust & Safety leads"
    )
    for wrong in ("low=5", "high=0", "high=5; high=6", "high=x", "high"):
        with pytest.raises(ConfigError, match="SLA_MINUTES"):
            settings(SLA_MINUTES=wrong)
    with pytest.raises(ConfigError, match="SLA_ESCALATION_TEAM"):
        settings(SLA_ESCALATION_TEAM="nobody")
    with pytest.raises(ConfigError, match="ALERT_TOPIC_ARN"):
        settings(ALERT_TOPIC_ARN="arn:aws:sqs:us-west-2:123456789012:x")
