"""The "Incident Transition" event, detail schema version 1 (README, "Events and alerts").

One event per transition a committed change made (each new trail entry: opened,
acknowledged, resolved, reopened, stream-ended, sla-breached, and whatever actions come
later, typed `incident-<action>`), and `incident-updated` when frames raised the severity
or added a category without one. Frames that only join an incident are not transitions.
`alerts` names what the change is to be told to people for (notify.py): `high-severity`
(the incident reached high or critical), `escalation` (escalated to `team`) and
`sla-breach` (nobody acknowledged it in time; escalated to `team`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from decimal import Decimal
from typing import Any

SOURCE = "ivs-moderation"
DETAIL_TYPE = "Incident Transition"
SCHEMA_VERSION = "1"
HIGH_SEVERITY, ESCALATION, SLA_BREACH = "high-severity", "escalation", "sla-breach"
ALERTS = (HIGH_SEVERITY, ESCALATION, SLA_BREACH)
UPDATED = "incident-updated"
SLA_BREACHED = "sla-breached"  # the trail action of an SLA breach (sla.py)
_RANK = {"medium": 1, "high": 2, "critical": 3}
# Copied from the incident when it has them (empty values are left out).
_OPTIONAL = (
    "channelName",
    "escalatedTo",
    "acknowledgedBy",
    "assignedTo",
    "resolvedBy",
    "openedAt",
    "topCategory",
    "topLabel",
    "userId",
    "roomArn",
    "slaBreachedAt",
)


def transition_events(
    previous: Mapping[str, Any] | None,
    incident: Mapping[str, Any],
    entries: Sequence[Mapping[str, Any]],
    *,
    announce: str | None,
    at: str,
) -> list[dict[str, Any]]:
    """The event details of one committed change, in the order of its transitions."""
    steps = [(_type_of(str(e["action"])), e) for e in entries]
    if not steps and announce == UPDATED:
        steps = [(UPDATED, {"by": "system", "at": at})]
    details = []
    for n, (event_type, entry) in enumerate(steps):
        alerts: list[str] = []
        team = ""
        if n == 0 and _reached_high(previous, incident):
            alerts.append(HIGH_SEVERITY)
        if entry.get("action") == "resolved:escalated":
            alerts.append(ESCALATION)
            team = str(incident.get("escalatedTo", ""))
        if entry.get("action") == SLA_BREACHED:
            alerts.append(SLA_BREACH)
            team = str(incident.get("slaEscalatedTo", ""))
        details.append(_detail(event_type, incident, entry, alerts, team))
    return details


# Who holds it changed (incidents/claims.py): one type, as the moderators' room hears it.
_ASSIGNED = {
    "taken-over": "incident-assigned",
    "taken-over-from": "incident-assigned",
    "assigned-to": "incident-assigned",
    "released": "incident-assigned",
}


def _type_of(action: str) -> str:
    name = action.split(":")[0]
    return _ASSIGNED.get(name, f"incident-{name}")


def _reached_high(previous: Mapping[str, Any] | None, incident: Mapping[str, Any]) -> bool:
    before = _RANK.get(str((previous or {}).get("severity", "")), 0)
    return before < _RANK["high"] <= _RANK.get(str(incident.get("severity", "")), 0)


def _detail(
    event_type: str,
    incident: Mapping[str, Any],
    entry: Mapping[str, Any],
    alerts: list[str],
    team: str,
) -> dict[str, Any]:
    detail: dict[str, Any] = {
        "schemaVersion": SCHEMA_VERSION,
        "type": event_type,
        "incidentId": incident["incidentId"],
        "incidentVersion": int(incident["version"]),
        "kind": incident.get("kind") or "stream",
        "channelArn": incident["channelArn"],
        "state": incident["state"],
        "resolution": incident.get("resolution", ""),
        "severity": incident["severity"],
        "actor": str(entry.get("by", "")),
        "at": str(entry.get("at", "")),
        "frameCount": int(incident.get("frameCount", 0)),
    }
    if "topConfidence" in incident:
        detail["topConfidence"] = round(float(incident["topConfidence"]), 1)
    if entry.get("note"):
        detail["note"] = str(entry["note"])
    detail.update({k: _plain(incident[k]) for k in _OPTIONAL if incident.get(k) not in (None, "")})
    if alerts:
        detail["alerts"] = alerts
    if team:
        detail["team"] = team
    return detail


def _plain(value: Any) -> Any:
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    return value


def alert_pattern() -> dict[str, Any]:
    """The EventBridge pattern of the events someone is to be told of (notify.py)."""
    return {"source": [SOURCE], "detail-type": [DETAIL_TYPE], "detail": {"alerts": list(ALERTS)}}
