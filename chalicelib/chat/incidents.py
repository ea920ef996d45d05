"""Chat incidents: a user's flagged messages in one room, in the moderators' queue.

The same incidents as frames' (incidents/), with `kind: "chat"` and a user in a room as
their subject: a flagged message joins the user's current incident in that room (open or
acknowledged), else opens one. Each flagged message is a **strike**; strikes within
CHAT_STRIKE_WINDOW_HOURS escalate by themselves: at CHAT_STRIKE_TIMEOUT_AT the user is
timed out for CHAT_STRIKE_TIMEOUT_MINUTES (service.py writes it), at CHAT_STRIKE_BAN_AT
the incident suggests a ban and is of high severity. Pure rules here; service.py writes.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from chalicelib.core.times import iso_time
from chalicelib.incidents.model import (
    CHAT,
    HIGH_CONFIDENCE,
    OPEN,
    SEVERITY_RANK,
    SYSTEM,
    Change,
    add_to_trail,
    next_version,
)

MAX_MESSAGES = 30  # kept on the incident: the first and the latest (all are in the chat table)
MAX_STRIKES = 50
BAN_SUGGESTED = "ban"


@dataclass(frozen=True)
class FlaggedMessage:
    """A message the deep pass removed, and why."""

    id: str
    room_arn: str
    user_id: str
    content: str
    sent_at: str
    reason: str  # in words, as the room is told
    labels: Sequence[tuple[str, str, float]]  # (category, label, confidence 0-100)
    source: str  # comprehend | rekognition | ban | term | link
    attributes: Mapping[str, str] = field(default_factory=dict)

    @property
    def top(self) -> tuple[str, str, float]:
        return max(self.labels, key=lambda entry: entry[2]) if self.labels else ("", "", 0.0)

    def public(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "content": self.content,
            "sentAt": self.sent_at,
            "reason": self.reason,
            "source": self.source,
            "labels": [[c, label, round(score, 1)] for c, label, score in self.labels],
            **(
                {"imageUrl": self.attributes["sticker_src"]}
                if "sticker_src" in self.attributes
                else {}
            ),
            "deleted": True,
        }


def incident_id_for(message_id: str, room_arn: str) -> str:
    return hashlib.sha256(f"chat-incident\n{room_arn}\n{message_id}".encode()).hexdigest()[:24]


def strikes_after(
    strikes: Sequence[str], message: FlaggedMessage, now: datetime, window_hours: int
) -> list[str]:
    """The user's strikes in the window, this message's included (once)."""
    horizon = iso_time(now - timedelta(hours=window_hours))
    mark = f"{message.sent_at}#{message.id}"
    kept = [s for s in strikes if s >= horizon and s != mark]
    return sorted([*kept, mark])[-MAX_STRIKES:]


def open_chat_incident(
    message: FlaggedMessage,
    *,
    channel: Mapping[str, Any],
    context: list[dict[str, Any]],
    strikes: int,
    earlier: Sequence[str],
    ban_at: int,
    now: datetime,
) -> Change:
    at = iso_time(now)
    incident: dict[str, Any] = {
        "incidentId": incident_id_for(message.id, message.room_arn),
        "kind": CHAT,
        "version": 0,
        "roomArn": message.room_arn,
        "userId": message.user_id,
        "channelArn": channel.get("channelArn") or message.room_arn,
        "channelName": channel.get("channelName", ""),
        "roomName": channel.get("roomName", ""),
        "sessionId": "",
        "state": OPEN,
        "openedAt": at,
        "openedDay": at[:10],
        "activeQueue": "active",
        "firstFrameTime": message.sent_at,
        "lastFrameTime": message.sent_at,
        "messageCount": 0,
        "messages": [],
        "context": context,
        "earlierIncidents": list(earlier)[-10:],
        "categories": {},
        "severity": "medium",
        "trail": [{"at": at, "by": SYSTEM, "action": "opened", "messageId": message.id}],
        "lastAnnouncedAt": at,
    }
    _merge(incident, message, strikes, ban_at)
    return Change(incident, "incident-opened")


def add_message(
    incident: Mapping[str, Any], message: FlaggedMessage, *, strikes: int, ban_at: int
) -> Change | None:
    """The incident with one more flagged message; None if it has it already."""
    if any(m["id"] == message.id for m in incident.get("messages", [])):
        return None
    changed = next_version(incident)
    before = (SEVERITY_RANK[changed["severity"]], set(changed["categories"]))
    _merge(changed, message, strikes, ban_at)
    after = (SEVERITY_RANK[changed["severity"]], set(changed["categories"]))
    if after[0] > before[0] or after[1] - before[1]:
        return Change(changed, "incident-updated")
    return Change(changed, "incident-flagging")


def _merge(incident: dict[str, Any], message: FlaggedMessage, strikes: int, ban_at: int) -> None:
    incident["messageCount"] += 1
    messages = [*incident["messages"], message.public()]
    incident["messages"] = (
        messages if len(messages) <= MAX_MESSAGES else [messages[0], *messages[-29:]]
    )
    incident["lastFrameTime"] = max(incident["lastFrameTime"], message.sent_at)
    for category, label, confidence in message.labels:
        known = incident["categories"].get(category)
        if known is None or confidence > known["confidence"]:
            incident["categories"][category] = {"label": label, "confidence": confidence}
    category, label, confidence = message.top
    if confidence >= incident.get("topConfidence", -1):
        incident.update(topLabel=label, topCategory=category, topConfidence=confidence)
    incident["strikes"] = strikes
    severity = "high" if confidence >= HIGH_CONFIDENCE else "medium"
    if ban_at and strikes >= ban_at:
        severity = "high"
        incident["suggestion"] = BAN_SUGGESTED
    if SEVERITY_RANK[severity] > SEVERITY_RANK[incident["severity"]]:
        incident["severity"] = severity


def note_timeout(incident: Mapping[str, Any], until: str, now: datetime, by: str) -> dict[str, Any]:
    """The incident noting that its user was timed out until `until` (by policy or a
    moderator), without resolving it."""
    changed = next_version(incident)
    changed["timedOutUntil"] = until
    add_to_trail(changed, now, by, "timed-out", note=f"until {until}")
    return changed
