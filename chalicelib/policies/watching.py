"""The watchlist's moderator side (docs/policies.md, "Watchlists"): a channel a moderator
stopped or warned goes on the watchlist for the `watchlist` policy's `watchHours`; a
moderator adds or removes one by hand. Every change is audited once.

An action's watch is written with its audit line in one transaction, the line keyed by the
action (a stop's audit id, an incident's resolution): the same action handled again (a
retry) finds its line and writes nothing — never two lines, never two watches, for one
action. A watch never shortens one already in force: the later `until` stays.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from chalicelib.core.dynamo import ConditionFailed, Put, transact
from chalicelib.core.times import iso_time, parse_time
from chalicelib.policies.assignments import LOG, NEW, WATCH
from chalicelib.policies.store import PolicyStore

logger = logging.getLogger(__name__)

MAX_REASON_CHARS = 500
ATTEMPTS = 3  # a watch changed by someone else meanwhile: read it again, write again


@dataclass(frozen=True)
class Cause:
    """A moderator's action that puts a channel on the watchlist."""

    channel_arn: str
    action: str  # "stopped" or "warned"
    by: str
    at: str  # when it was done (ISO time)
    action_id: str  # names the action: one audit line for it, however often it is handled
    incident_id: str | None = None
    note: str = ""

    @property
    def reason(self) -> str:
        incident = f" (incident {self.incident_id})" if self.incident_id else ""
        note = f": {self.note}" if self.note else ""
        return f"{self.action} by {self.by}{incident}{note}"[:MAX_REASON_CHARS]


class Watchlist:
    """Puts channels on the watchlist and takes them off, audited (POLICIES_TABLE)."""

    def __init__(
        self,
        *,
        store: PolicyStore,
        hours: Callable[[], int],
        clock: Callable[[], datetime],
        changed: Callable[[], None] = lambda: None,
    ) -> None:
        self._store = store
        self._hours = hours  # the watchlist policy's watchHours, now
        self._clock = clock
        self._changed = changed  # this container's policy book reads the change at once

    def after(self, cause: Cause) -> dict[str, str] | None:
        """Watch the channel after a moderator's action, once for that action; the watch in
        force, or None when it could not be written (logged: the action itself stands)."""
        try:
            for _ in range(ATTEMPTS):
                watch = self._once(cause)
                if watch is not None:
                    self._changed()
                    return watch
            raise ConditionFailed(f"the watchlist entry of {cause.channel_arn} kept changing")
        except (ClientError, BotoCoreError, ConditionFailed) as error:
            logger.error(
                "the channel was not put on the watchlist",
                extra={"channel": cause.channel_arn, "error": str(error)},
            )
            return None

    def put(self, channel_arn: str, *, hours: int | None, reason: str, by: str) -> dict[str, str]:
        """A moderator's watch by hand (PUT /watchlist/{channel_arn}), audited."""
        watch = self._store.put_watch(
            channel_arn, hours=hours or self._hours(), reason=reason, by=by, at=self._clock()
        )
        self._changed()
        return {"until": watch["until"], "reason": watch["reason"]}

    def remove(self, channel_arn: str, *, by: str) -> dict[str, Any] | None:
        """Take the channel off (DELETE /watchlist/{channel_arn}); the entry removed, or None."""
        removed = self._store.delete_watch(channel_arn, by=by, at=self._clock())
        self._changed()
        return removed

    def _once(self, cause: Cause) -> dict[str, str] | None:
        """The watch and its audit line in one transaction, the line keyed by the action;
        the watch in force when the action's line is already there; None: a lost race."""
        now = self._clock()
        table = self._store.table
        line_key = {"pk": LOG, "sk": f"{cause.at}#{cause.action_id}"}
        stored = table.get({"pk": WATCH, "sk": cause.channel_arn})  # in force, or lapsed
        before = self._store.watch(cause.channel_arn, now)
        until = now + timedelta(hours=self._hours())
        if before and parse_time(before["until"]) > until:
            until = parse_time(before["until"])  # a longer watch in force stays
        after = {
            "until": iso_time(until),
            "reason": cause.reason,
            "addedBy": cause.by,
            "addedAt": iso_time(now),
            "incidentId": cause.incident_id,
            "expiresAt": int(until.timestamp()),
        }
        line = {
            **line_key,
            "what": "watchlist",
            "channelArn": cause.channel_arn,
            "who": cause.by,
            "at": iso_time(now),
            "before": before,
            "after": after,
            "action": cause.action,
        }
        seen = (
            Put(table, {"pk": WATCH, "sk": cause.channel_arn, **after}, NEW)
            if stored is None
            else Put(table, {"pk": WATCH, "sk": cause.channel_arn, **after}, "#u = :u",
                     {":u": stored["until"]}, {"#u": "until"})
        )  # fmt: skip
        if transact(table.client, [seen, Put(table, line, NEW)]):
            return {"until": after["until"], "reason": cause.reason}
        if table.get(line_key) is not None:  # this action was handled before: nothing more
            current = self._store.watch(cause.channel_arn, now)
            return {"until": current["until"], "reason": current["reason"]} if current else {}
        return None
