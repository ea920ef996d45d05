"""E-mails (SNS) for the events someone is to be told of: one message per alert of an
event, on the stage's topic (ALERT_TOPIC_ARN), with the message attributes subscriptions
filter on: `kind` (high-severity, escalation, sla-breach), `team` (escalations and SLA
breaches) and `severity`. scripts/deploy/alerts.py subscribes the addresses with those
filter policies, so each address gets only its kind (and team)."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from typing import Any

from chalicelib.alerts.events import ESCALATION, HIGH_SEVERITY, SLA_BREACH

logger = logging.getLogger(__name__)

SUBJECT_CHARS = 100  # SNS: ASCII, no line breaks, at most 100 characters
_TITLES = {
    HIGH_SEVERITY: "{severity} incident",
    ESCALATION: "incident escalated to {team}",
    SLA_BREACH: "{severity} incident unacknowledged past its SLA, escalated to {team}",
}


def subject(kind: str, detail: Mapping[str, Any], name: str) -> str:
    where = detail.get("channelName") or detail.get("userId") or detail["incidentId"]
    title = _TITLES[kind].format(severity=detail["severity"].capitalize(), team=_team(detail))
    text = f"[{name}] {title}: {where}"
    ascii_only = "".join(c if " " <= c <= "~" else "?" for c in text)
    return ascii_only[:SUBJECT_CHARS]


def message(kind: str, detail: Mapping[str, Any], dashboard: str) -> str:
    lines = [
        _TITLES[kind].format(severity=detail["severity"].capitalize(), team=_team(detail)) + ".",
        "",
        f"Incident:   {detail['incidentId']} (version {detail['incidentVersion']})",
        f"Channel:    {detail.get('channelName', '')} {detail['channelArn']}",
    ]
    if detail.get("userId"):
        lines.append(f"Chat user:  {detail['userId']}")
    lines += [
        f"State:      {detail['state']} {detail.get('resolution', '')}".rstrip(),
        f"Severity:   {detail['severity']}",
        f"Label:      {detail.get('topLabel', '')} ({detail.get('topCategory', '')}, "
        f"{detail.get('topConfidence', '')})",
        f"Opened:     {detail.get('openedAt', '')}",
        f"Event:      {detail['type']} by {detail['actor']} at {detail['at']}",
    ]
    if detail.get("note"):
        lines.append(f"Note:       {detail['note']}")
    if dashboard:
        lines += ["", f"Dashboard:  {dashboard}"]
    return "\n".join(lines)


def _team(detail: Mapping[str, Any]) -> str:
    return str(detail.get("team") or "")


class AlertSender:
    def __init__(self, sns, topic_arn: str, *, name: str, dashboard: str = "") -> None:
        """`name` starts every subject: the stage's (ivs-moderation-<stage>)."""
        self._sns = sns
        self._topic_arn = topic_arn
        self._name = name
        self._dashboard = dashboard

    def send(self, detail: Mapping[str, Any]) -> list[str]:
        """Publish one message per alert of the event; the kinds sent. An SNS failure raises:
        the invoke fails and EventBridge's asynchronous invoke retries it."""
        kinds = [kind for kind in detail.get("alerts", []) if kind in _TITLES]
        if not self._topic_arn:
            logger.info("no alert topic (ALERT_TOPIC_ARN): not e-mailed", extra={"alerts": kinds})
            return []
        for kind in kinds:
            attributes = {
                "kind": {"DataType": "String", "StringValue": kind},
                "severity": {"DataType": "String", "StringValue": str(detail["severity"])},
            }
            if _team(detail):
                attributes["team"] = {"DataType": "String", "StringValue": _team(detail)}
            self._sns.publish(
                TopicArn=self._topic_arn,
                Subject=subject(kind, detail, self._name),
                Message=message(kind, detail, self._dashboard),
                MessageAttributes=attributes,
            )
        logger.info("alerts sent", extra={"alerts": kinds, "incident": detail["incidentId"]})
        return kinds
