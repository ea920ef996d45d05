"""What moderators do to a chat incident's user: ban, time out, unban, delete messages.

Each is a transition of the incident (incidents/service.py), conditional on the version the
moderator saw, with the chat table's write (the ban, its lifting) in the same transaction:
a ban exists only with its audit entry, and of two moderators acting at once one wins and
the other gets a 409 saying who did what. IVS is told after the write (DisconnectUser drops
the user's connections, DeleteMessage removes messages); the review handler refuses a
banned user from the first message on, whatever IVS says. Dismissal is the incidents' own
(POST /incidents/{id}/resolve); `forgive` takes a dismissed incident's strikes back.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.chat.rooms import ViewerRooms
from chalicelib.chat.store import BAN, EVERY_ROOM, TIMEOUT, ChatStore, active
from chalicelib.core.dynamo import transact
from chalicelib.core.errors import BadRequest
from chalicelib.core.times import iso_time
from chalicelib.incidents.actions import resolve, seen_version
from chalicelib.incidents.claims import must_hold
from chalicelib.incidents.errors import IncidentConflict
from chalicelib.incidents.model import (
    BANNED,
    CHAT,
    TIMED_OUT,
    Conflict,
    add_to_trail,
    next_version,
)
from chalicelib.incidents.service import Incidents
from chalicelib.room.announcements import INCIDENT_RESOLVED, INCIDENT_UPDATED

logger = logging.getLogger(__name__)

MAX_TIMEOUT_MINUTES = 30 * 24 * 60  # minutes to days: at most 30 days; longer is a ban


class ChatActions:
    def __init__(
        self,
        *,
        incidents: Incidents,
        store: ChatStore,
        rooms: ViewerRooms,
        clock: Callable[[], datetime],
    ) -> None:
        self._incidents = incidents
        self._store = store
        self._rooms = rooms
        self._clock = clock

    def ban(self, incident_id: str, moderator: str, *, note: str, every_room: bool, version=None):
        return self._hold(incident_id, moderator, BAN, "", note, every_room, version)

    def timeout(self, incident_id: str, moderator: str, *, minutes: int, note: str, version=None):
        if not 1 <= minutes <= MAX_TIMEOUT_MINUTES:
            raise BadRequest(f"minutes must be between 1 and {MAX_TIMEOUT_MINUTES} (30 days)")
        until = iso_time(self._clock() + timedelta(minutes=minutes))
        return self._hold(incident_id, moderator, TIMEOUT, until, note, False, version)

    def _hold(self, incident_id, moderator, kind, until, note, every_room, version):
        incident = self._chat_incident(incident_id)
        room = EVERY_ROOM if every_room else incident["roomArn"]
        resolution = BANNED if kind == BAN else TIMED_OUT
        ban = {
            "roomArn": room,
            "userId": incident["userId"],
            "kind": kind,
            "until": until,
            "reason": note or ("banned" if kind == BAN else "timed out"),
            "by": moderator,
            "at": iso_time(self._clock()),
            "incidentId": incident_id,
        }
        details = {"timedOutUntil": until, "bannedFrom": room if kind == BAN else ""}

        def apply(current, now):
            seen_version(current, version)
            return resolve(current, moderator, now, resolution, note=note, **details)

        changed, announced = self._transition(
            incident_id, apply, INCIDENT_RESOLVED, moderator, note, [self._store.ban_write(ban)]
        )
        said = "banned from this chat" if kind == BAN else f"timed out until {until}"
        self._tell(lambda: self._rooms.disconnect(incident["roomArn"], incident["userId"], said))
        return changed, announced

    def unban(self, incident_id: str, moderator: str, *, note: str = ""):
        """Lift the ban or timeout this incident put on its user (its room's or every room's)."""
        incident = self._chat_incident(incident_id)
        room = incident.get("bannedFrom") or incident["roomArn"]
        now = self._clock()
        bans = self._store.bans_of(incident["roomArn"], incident["userId"])
        held = [b for b in bans if b["roomArn"] == room and active(b, now)]
        if not held:
            raise IncidentConflict(f"{incident['userId']} is not banned nor timed out", incident)

        def apply(current, at):
            must_hold(current, moderator)
            changed = next_version(current)
            add_to_trail(changed, at, moderator, "unbanned", note=note)
            return changed

        write = self._store.unban_write(room, incident["userId"], by=moderator, now=now)
        return self._transition(incident_id, apply, INCIDENT_UPDATED, moderator, note, [write])

    def delete_messages(self, incident_id: str, moderator: str, ids: Sequence[str], version=None):
        """Remove these messages of the incident's user (flagged, or in its context)."""
        incident = self._chat_incident(incident_id)
        own = {m["id"] for m in incident.get("messages", [])} | {
            m["id"] for m in incident.get("context", []) if m.get("userId") == incident["userId"]
        }
        unknown = sorted(set(ids) - own)
        if unknown:
            raise BadRequest(f"not messages of this incident's user: {', '.join(unknown[:5])}")
        try:
            must_hold(incident, moderator)  # before IVS is asked anything
        except Conflict as conflict:
            raise IncidentConflict(str(conflict), incident) from None
        for message_id in ids:  # IVS first: a message marked deleted is deleted
            self._rooms.delete_message(incident["roomArn"], message_id, "removed by a moderator")

        def apply(current, now):
            seen_version(current, version)
            must_hold(current, moderator)
            return _marked_deleted(current, ids, now, moderator)

        return self._transition(incident_id, apply, INCIDENT_UPDATED, moderator, "", [])

    def forgive(self, incident: dict[str, Any]) -> None:
        """A dismissed chat incident's strikes no longer count against its user."""
        ids = {m["id"] for m in incident.get("messages", [])}
        for _ in range(5):
            user = self._store.user(incident["roomArn"], incident["userId"])
            kept = [s for s in user.get("strikes", []) if s.rpartition("#")[2] not in ids]
            if len(kept) == len(user.get("strikes", [])):
                return
            changed = {**user, "strikes": kept, "version": user.get("version", 0) + 1}
            if transact(
                self._store.table.client, [self._store.user_write(changed, user["version"])]
            ):
                return
        logger.error("strikes not taken back", extra={"incident": incident["incidentId"]})

    # --- helpers ------------------------------------------------------------------------

    def _chat_incident(self, incident_id: str) -> dict[str, Any]:
        incident = self._incidents.store.get(incident_id)
        if incident is None:
            raise LookupError(incident_id)
        if incident.get("kind") != CHAT:
            raise BadRequest("this is not a chat incident: it has no user to act on")
        return incident

    def _transition(self, incident_id, apply, event_type, moderator, note, writes):
        try:
            return self._incidents.transition(
                incident_id, apply, event_type=event_type, actor=moderator, note=note, writes=writes
            )
        except Conflict as conflict:
            current = self._incidents.store.get(incident_id) or {}
            raise IncidentConflict(str(conflict), current) from None

    def _tell(self, call: Callable[[], Any]) -> None:
        try:
            call()
        except (ClientError, BotoCoreError) as error:  # the ban holds in the review anyway
            logger.error("IVS chat not told", extra={"error": str(error)})


def _marked_deleted(incident, ids: Sequence[str], now: datetime, by: str):
    wanted = set(ids)
    pending = [
        m["id"]
        for m in [*incident.get("messages", []), *incident.get("context", [])]
        if m["id"] in wanted and not m.get("deleted")
    ]
    if not pending:
        return None
    changed = next_version(incident)
    for name in ("messages", "context"):
        changed[name] = [
            {**m, "deleted": True} if m["id"] in wanted else m for m in incident.get(name, [])
        ]
    add_to_trail(changed, now, by, "deleted-messages", note=", ".join(pending))
    return changed
