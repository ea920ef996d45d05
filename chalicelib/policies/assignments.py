"""What the policies table (store.py) keeps of channels: the policy set on a channel, the
watchlist, and the audit log of both (docs/policies.md). Every change writes its audit line in
the same transaction."""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from datetime import datetime, timedelta
from typing import Any

from chalicelib.core.dynamo import Delete, Put, Table, transact
from chalicelib.core.errors import Conflict
from chalicelib.core.times import iso_time, parse_time

CHANNELS, WATCH, LOG = "channel", "watch", "log"
ALWAYS = "attribute_not_exists(pk) OR attribute_exists(pk)"  # a transaction's unconditional write
NEW = "attribute_not_exists(pk)"
PAGE = 200  # items per Query page


def watch_active(item: Mapping[str, Any] | None, now: datetime) -> bool:
    """Whether a watchlist entry still holds (TTL deletes late: `until` decides)."""
    return item is not None and parse_time(item["until"]) > now


class ChannelRecords:
    table: Table

    def _all(self, pk: str, *, newest_first: bool = False) -> list[dict[str, Any]]:
        """Every item of a partition (a Query, paged)."""
        items: list[dict[str, Any]] = []
        start = None
        while True:
            request: dict[str, Any] = {
                "KeyConditionExpression": "pk = :p",
                "ExpressionAttributeValues": {":p": pk},
                "ConsistentRead": True,
                "ScanIndexForward": not newest_first,
                "Limit": PAGE,
            }
            if start:
                request["ExclusiveStartKey"] = start
            page, start = self.table.query(**request)
            items += page
            if start is None:
                return items

    # --- channels --------------------------------------------------------------------

    def assignment(self, channel_arn: str) -> dict[str, Any] | None:
        """The policy set on the channel `{policy, setAt, setBy}`, or None."""
        return plain(self.table.get({"pk": CHANNELS, "sk": channel_arn}))

    def assignments(self) -> list[dict[str, Any]]:
        return [{"channelArn": item["sk"], **plain(item)} for item in self._all(CHANNELS)]

    def assign(
        self, channel_arn: str, policy: str | None, *, by: str, at: datetime
    ) -> dict[str, Any] | None:
        """Set (None: unset) the channel's policy, audited; the assignment now."""
        before = self.assignment(channel_arn)
        key = {"pk": CHANNELS, "sk": channel_arn}
        after = None if policy is None else {"policy": policy, "setAt": iso_time(at), "setBy": by}
        write = (
            Put(self.table, {**key, **after}, ALWAYS) if after else Delete(self.table, key, ALWAYS)
        )
        self._audited(write, "channel-policy", channel_arn, by, at, before, after)
        return after

    # --- the watchlist ---------------------------------------------------------------

    def watch(self, channel_arn: str, now: datetime) -> dict[str, Any] | None:
        """The channel's watchlist entry if it still holds, or None."""
        item = plain(self.table.get({"pk": WATCH, "sk": channel_arn}))
        return item if watch_active(item, now) else None

    def watches(self, now: datetime) -> list[dict[str, Any]]:
        """Every channel on the watchlist now."""
        return [
            {"channelArn": item["sk"], **plain(item)}
            for item in self._all(WATCH)
            if watch_active(item, now)
        ]

    def put_watch(
        self,
        channel_arn: str,
        *,
        hours: int,
        reason: str,
        by: str,
        at: datetime,
        incident_id: str | None = None,
    ) -> dict[str, Any]:
        """Put the channel on the watchlist for `hours` from `at` (a later end never
        shortens: the entry ends at the later of the two), audited."""
        before = self.watch(channel_arn, at)
        until = at + timedelta(hours=hours)
        if before and parse_time(before["until"]) > until:
            until = parse_time(before["until"])
        after = {
            "until": iso_time(until),
            "reason": reason,
            "addedBy": by,
            "addedAt": iso_time(at),
            "incidentId": incident_id,
            "expiresAt": int(until.timestamp()),
        }
        item = {"pk": WATCH, "sk": channel_arn, **after}
        self._audited(
            Put(self.table, item, ALWAYS), "watchlist", channel_arn, by, at, before, after
        )
        return {k: v for k, v in after.items() if v is not None}

    def delete_watch(self, channel_arn: str, *, by: str, at: datetime) -> dict[str, Any] | None:
        """Take the channel off the watchlist, audited; the entry removed (None: there was
        none)."""
        before = self.watch(channel_arn, at)
        if before is None:
            return None
        write = Delete(self.table, {"pk": WATCH, "sk": channel_arn}, ALWAYS)
        self._audited(write, "watchlist", channel_arn, by, at, before, None)
        return before

    # --- the audit log ---------------------------------------------------------------

    def log(
        self, limit: int = 50, start: Mapping[str, Any] | None = None
    ) -> tuple[list[dict[str, Any]], dict[str, Any] | None]:
        """Audit lines, newest first: (items, the key to continue from or None)."""
        request: dict[str, Any] = {
            "KeyConditionExpression": "pk = :p",
            "ExpressionAttributeValues": {":p": LOG},
            "ScanIndexForward": False,
            "Limit": limit,
        }
        if start:
            request["ExclusiveStartKey"] = dict(start)
        items, last = self.table.query(**request)
        lines = [{"before": None, "after": None, **plain(item)} for item in items]
        return lines, last

    def _audited(self, write, what: str, channel_arn: str, by: str, at: datetime, before, after):
        line = {
            "pk": LOG,
            "sk": f"{iso_time(at)}#{uuid.uuid4().hex[:12]}",
            "what": what,
            "channelArn": channel_arn,
            "who": by,
            "at": iso_time(at),
            "before": before,
            "after": after,
        }
        if not transact(self.table.client, [write, Put(self.table, line, NEW)]):
            raise Conflict(f"{what} of {channel_arn} changed at the same moment: try again")


def plain(item: Mapping[str, Any] | None) -> dict[str, Any] | None:
    """An item without its keys (and TTL)."""
    if item is None:
        return None
    return {k: v for k, v in item.items() if k not in ("pk", "sk", "expiresAt")}
