"""Chat incidents written: a flagged message joins its user's incident, with its strikes.

A flagged message, the user's record (open incident, strikes) and the message's own item
are written in one transaction with the incident and its audit entries (Incidents.save),
conditionally on the versions read: two messages of one user decided at once never open
two incidents, and a retry of the same message joins it once. The user record's version
makes the race explicit; the loser reads again and joins the winner's incident.

Strikes escalate by themselves (incidents.py): crossing CHAT_STRIKE_TIMEOUT_AT writes a
timeout in the same transaction, and the user is disconnected after it.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.chat.incidents import (
    FlaggedMessage,
    add_message,
    note_timeout,
    open_chat_incident,
    strikes_after,
)
from chalicelib.chat.rooms import ViewerRooms
from chalicelib.chat.settings import ChatSettings
from chalicelib.chat.store import TIMEOUT, ChatStore
from chalicelib.core.dynamo import ConditionFailed
from chalicelib.core.times import iso_time
from chalicelib.incidents.model import ACKNOWLEDGED, OPEN, POLICY, Change
from chalicelib.incidents.service import Incidents
from chalicelib.room.announcements import INCIDENT_OPENED, INCIDENT_UPDATED

logger = logging.getLogger(__name__)

ATTEMPTS = 8
MAX_EARLIER = 20  # earlier incidents of the user remembered on their record


@dataclass(frozen=True)
class ChatOutcome:
    incident_id: str
    announced: bool
    strikes: int
    timed_out_until: str = ""


class ChatIncidents:
    def __init__(
        self,
        *,
        incidents: Incidents,
        store: ChatStore,
        rooms: ViewerRooms,
        settings: ChatSettings,
        clock: Callable[[], datetime],
        channel_name: Callable[[str], str] = lambda arn: "",
    ) -> None:
        self._incidents = incidents
        self._channel_name = channel_name
        self._store = store
        self._rooms = rooms
        self._settings = settings
        self._clock = clock

    def record(self, message: FlaggedMessage) -> ChatOutcome:
        """Join the message to its user's current incident in the room, or open one."""
        for _ in range(ATTEMPTS):
            now = self._clock()
            user = self._store.user(message.room_arn, message.user_id)
            current_id = user.get("openIncidentId")
            current = self._incidents.store.get(current_id) if current_id else None
            if current is not None and current["state"] not in (OPEN, ACKNOWLEDGED):
                current = None
            strikes = strikes_after(
                user.get("strikes", []), message, now, self._settings.strike_window_hours
            )
            ban_at = self._settings.strike_ban_at
            if current is not None:
                change = add_message(current, message, strikes=len(strikes), ban_at=ban_at)
                if change is None:  # joined on an earlier attempt: tell the room again
                    announced = self._incidents.announce(INCIDENT_UPDATED, current)
                    return ChatOutcome(current["incidentId"], announced, len(strikes))
            else:
                change = self._opened(message, user, len(strikes), now)
            until = self._timeout_due(message, strikes, now)
            if until:
                change = Change(note_timeout(change.incident, until, now, POLICY), change.announce)
            incident = change.incident
            writes = [
                self._store.message_write(self._message_item(message, incident, now)),
                self._store.user_write(
                    self._user_after(user, incident["incidentId"], strikes),
                    user.get("version"),
                ),
            ]
            if until:
                writes.append(self._store.ban_write(self._timeout(message, incident, until, now)))
            if not self._incidents.save(change, previous=current, writes=writes):
                continue  # another message of this user, or a moderator, came first
            if until:
                self._disconnect(message, f"Timed out until {until} after repeated violations.")
            event = INCIDENT_OPENED if current is None else INCIDENT_UPDATED
            announced = self._incidents.announce(event, incident)
            return ChatOutcome(incident["incidentId"], announced, len(strikes), until)
        raise ConditionFailed(f"chat incident of {message.user_id}: too many concurrent changes")

    def _opened(
        self, message: FlaggedMessage, user: dict[str, Any], strikes: int, now: datetime
    ) -> Change:
        link = self._rooms.link(message.room_arn)
        if link["channelArn"]:  # the name the service knows the channel by (frames set it)
            link = {**link, "channelName": self._channel_name(link["channelArn"])}
        before = f"{message.sent_at}#{message.id}"
        context = self._store.context(message.room_arn, before, now)
        return open_chat_incident(
            message,
            channel=link,
            context=[m for m in context if m["id"] != message.id],
            strikes=strikes,
            earlier=user.get("incidents", []),
            ban_at=self._settings.strike_ban_at,
            now=now,
        )

    def _timeout_due(self, message: FlaggedMessage, strikes: list[str], now: datetime) -> str:
        """The end of the timeout this strike earns ("" none): the strike that reaches
        CHAT_STRIKE_TIMEOUT_AT does, unless a ban or a longer timeout holds already."""
        at = self._settings.strike_timeout_at
        if not at or len(strikes) != at:
            return ""
        until = iso_time(now + timedelta(minutes=self._settings.strike_timeout_minutes))
        held = self._store.ban_in_force(message.room_arn, message.user_id, now)
        if held is not None and (held["kind"] != TIMEOUT or held["until"] >= until):
            return ""
        return until

    def _timeout(self, message: FlaggedMessage, incident, until: str, now: datetime) -> dict:
        return {
            "roomArn": message.room_arn,
            "userId": message.user_id,
            "kind": TIMEOUT,
            "until": until,
            "reason": "repeated violations",
            "by": POLICY,
            "at": iso_time(now),
            "incidentId": incident["incidentId"],
        }

    def _message_item(self, message: FlaggedMessage, incident, now: datetime) -> dict[str, Any]:
        return {
            **message.public(),
            "roomArn": message.room_arn,
            "userId": message.user_id,
            "incidentId": incident["incidentId"],
            "decidedAt": iso_time(now),
            "expiresAt": self._incidents.expiry(),
        }

    def _user_after(self, user: dict[str, Any], incident_id: str, strikes: list[str]) -> dict:
        incidents = [i for i in user.get("incidents", []) if i != incident_id]
        return {
            **user,
            "openIncidentId": incident_id,
            "incidents": [*incidents, incident_id][-MAX_EARLIER:],
            "strikes": strikes,
            "version": user.get("version", 0) + 1,
            "expiresAt": self._incidents.expiry(),  # earlier incidents as long as they are kept
        }

    def _disconnect(self, message: FlaggedMessage, reason: str) -> None:
        try:
            self._rooms.disconnect(message.room_arn, message.user_id, reason)
        except (ClientError, BotoCoreError) as error:  # the timeout holds in the review anyway
            logger.error("user not disconnected", extra={"error": str(error)})
