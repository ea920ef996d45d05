"""The chat table (CHAT_TABLE): what chat moderation keeps, by partition (docs/chat-moderation.md).

- ``ban#<roomArn>`` / ``<userId>``: a ban or a timeout; ``*`` as the room: every room.
- ``terms#<roomArn>`` / ``<term>``: a blocked term; ``*``: every room.
- ``user#<roomArn>`` / ``<userId>``: the user's open chat incident and strikes.
- ``recent#<roomArn>`` / ``<sentAt>#<id>``: a message kept as context, for minutes only.
- ``message#<roomArn>`` / ``<id>``: a flagged message and what was decided.

Items that end carry ``expiresAt`` (DynamoDB's TTL), but TTL deletes late (up to days):
every read checks `until` itself, so an expired ban never holds.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from chalicelib.core.dynamo import Put, Set, Table
from chalicelib.core.times import iso_time, parse_time

EVERY_ROOM = "*"
BAN, TIMEOUT = "ban", "timeout"
ALWAYS = "attribute_not_exists(pk) OR attribute_exists(pk)"  # a transaction's unconditional write
MAX_CONTEXT = 20  # messages before a flagged one kept with it


def active(item: Mapping[str, Any] | None, now: datetime) -> bool:
    """Whether a ban, timeout or term still holds (no `until`: for good)."""
    return item is not None and (not item.get("until") or parse_time(item["until"]) > now)


def epoch(at: str) -> int | None:
    return int(parse_time(at).timestamp()) if at else None


class ChatStore:
    def __init__(self, dynamodb, table_name: str) -> None:
        self.table = Table(dynamodb, table_name, ("pk", "sk"))

    # --- bans and timeouts ----------------------------------------------------------

    def bans_of(self, room_arn: str, user_id: str) -> list[dict[str, Any]]:
        """The user's bans and timeouts in this room and in every room (expired ones too)."""
        keys = [{"pk": f"ban#{room}", "sk": user_id} for room in (room_arn, EVERY_ROOM)]
        return self.table.batch_get(keys)

    def ban_in_force(self, room_arn: str, user_id: str, now: datetime) -> dict[str, Any] | None:
        """The ban (before a timeout) that holds the user out of the room now, or None."""
        holding = [item for item in self.bans_of(room_arn, user_id) if active(item, now)]
        holding.sort(key=lambda item: (item["kind"] != BAN, item.get("until") or "9"))
        return holding[0] if holding else None

    def ban_write(self, ban: Mapping[str, Any]) -> Put:
        """The write of a ban or timeout (`roomArn`, `userId`, `kind`, `until`, ...), for a
        transaction with the incident and its audit entry."""
        item = {
            "pk": f"ban#{ban['roomArn']}",
            "sk": ban["userId"],
            **ban,
            "expiresAt": epoch(ban.get("until", "")),
        }
        return Put(self.table, item, ALWAYS)

    def unban_write(self, room_arn: str, user_id: str, *, by: str, now: datetime) -> Set:
        """Lifting a ban or timeout: it ends now (kept for the record until its TTL)."""
        at = iso_time(now)
        return Set(
            self.table,
            {"pk": f"ban#{room_arn}", "sk": user_id},
            {"until": at, "liftedBy": by, "liftedAt": at, "expiresAt": epoch(at)},
            "attribute_exists(pk)",
        )

    def bans(self, room_arn: str, now: datetime, limit: int = 200) -> list[dict[str, Any]]:
        items, _ = self.table.query(
            KeyConditionExpression="pk = :p",
            ExpressionAttributeValues={":p": f"ban#{room_arn}"},
            Limit=limit,
        )
        return [item for item in items if active(item, now)]

    # --- blocked terms ----------------------------------------------------------------

    def terms(self, room_arn: str, now: datetime) -> list[dict[str, Any]]:
        """The blocked terms that hold in this room: its own and every room's."""
        found = []
        for room in (room_arn, EVERY_ROOM):
            items, _ = self.table.query(
                KeyConditionExpression="pk = :p",
                ExpressionAttributeValues={":p": f"terms#{room}"},
            )
            found += [item for item in items if active(item, now)]
        return found

    def put_term(
        self, room_arn: str, term: str, *, by: str, now: datetime, until: str, action: str = "deny"
    ) -> dict:
        """Block a term (`action` deny, or mask: starred out, the message allowed)."""
        item = {
            "pk": f"terms#{room_arn}",
            "sk": term.casefold(),
            "roomArn": room_arn,
            "term": term,
            "by": by,
            "at": iso_time(now),
            "until": until,
            "action": action,
            "expiresAt": epoch(until),
        }
        self.table.put(item)
        return item

    def delete_term(self, room_arn: str, term: str) -> bool:
        key = {"pk": f"terms#{room_arn}", "sk": term.casefold()}
        existed = self.table.get(key) is not None
        self.table.client.delete_item(
            TableName=self.table.name, Key={"pk": {"S": key["pk"]}, "sk": {"S": key["sk"]}}
        )
        return existed

    # --- users, messages, context -------------------------------------------------------

    def user(self, room_arn: str, user_id: str) -> dict[str, Any]:
        item = self.table.get({"pk": f"user#{room_arn}", "sk": user_id})
        return item or {"pk": f"user#{room_arn}", "sk": user_id, "strikes": [], "incidents": []}

    def user_write(self, user: Mapping[str, Any], expected_version: int | None) -> Put:
        if expected_version is None:
            return Put(self.table, user, "attribute_not_exists(pk)")
        return Put(self.table, user, "version = :v", {":v": expected_version})

    def message(self, room_arn: str, message_id: str) -> dict[str, Any] | None:
        return self.table.get({"pk": f"message#{room_arn}", "sk": message_id})

    def message_write(self, message: Mapping[str, Any]) -> Put:
        item = {"pk": f"message#{message['roomArn']}", "sk": message["id"], **message}
        return Put(self.table, item, ALWAYS)

    def messages(self, room_arn: str, ids: Sequence[str]) -> list[dict[str, Any]]:
        keys = [{"pk": f"message#{room_arn}", "sk": i} for i in dict.fromkeys(ids)]
        return self.table.batch_get(keys) if keys else []

    def keep_as_context(self, message: Mapping[str, Any], expires_at: int) -> None:
        item = {
            "pk": f"recent#{message['roomArn']}",
            "sk": f"{message['sentAt']}#{message['id']}",
            **{k: message[k] for k in ("id", "userId", "content", "sentAt")},
            "expiresAt": expires_at,
        }
        self.table.put(item)

    def context(self, room_arn: str, before: str, now: datetime) -> list[dict[str, Any]]:
        """Up to MAX_CONTEXT messages of the room up to `before` (a sentAt#id), oldest first."""
        items, _ = self.table.query(
            KeyConditionExpression="pk = :p AND sk <= :s",
            ExpressionAttributeValues={":p": f"recent#{room_arn}", ":s": before},
            ScanIndexForward=False,
            Limit=MAX_CONTEXT,
        )
        horizon = int(now.timestamp())
        kept = [item for item in items if item.get("expiresAt", 0) > horizon]
        return [
            {k: item[k] for k in ("id", "userId", "content", "sentAt")} for item in reversed(kept)
        ]
