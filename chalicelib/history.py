"""GET /decisions: the decision log, newest first, by channel or for all channels.

A page ends with an opaque cursor that carries the whole query (channel, window, and
where DynamoDB stopped), so the next page is the same query, whatever the clock says.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from chalicelib.decisions import DecisionStore, iso_time
from chalicelib.http import BadRequest
from chalicelib.recordings import parse_channel_arn

DEFAULT_WINDOW = timedelta(hours=24)
MAX_ALL_CHANNELS_WINDOW = timedelta(days=31)
DEFAULT_LIMIT = 50
MAX_LIMIT = 100
_PARAMS = {"channelArn", "from", "to", "limit", "cursor"}
# Decision-log attributes that are storage details, not history.
_INTERNAL = {"sortKey", "day", "expiresAt", "bucket"}


@dataclass(frozen=True)
class HistoryQuery:
    channel_arn: str | None
    start: datetime
    end: datetime
    limit: int
    day: str | None = None  # all channels: the UTC day being read
    after: dict[str, Any] | None = None  # where DynamoDB stopped

    @classmethod
    def from_params(cls, params: Mapping[str, str] | None, now: datetime) -> HistoryQuery:
        params = dict(params or {})
        unknown = sorted(set(params) - _PARAMS)
        if unknown:
            raise BadRequest(f"unknown parameter(s): {', '.join(unknown)}")
        limit = _limit(params.get("limit"))
        if "cursor" in params:
            if {"channelArn", "from", "to"} & set(params):
                raise BadRequest("a cursor carries its query: send it with limit only")
            return _decode_cursor(params["cursor"], limit)
        channel = params.get("channelArn")
        if channel is not None and parse_channel_arn(channel) is None:
            raise BadRequest("channelArn must be an IVS channel ARN")
        end = _time(params, "to") or now
        start = _time(params, "from") or end - DEFAULT_WINDOW
        if start > end:
            raise BadRequest("from must not be after to")
        if channel is None and end - start > MAX_ALL_CHANNELS_WINDOW:
            raise BadRequest("for all channels, the window is at most 31 days: name a channelArn")
        day = None if channel else end.strftime("%Y-%m-%d")
        return cls(channel, start, end, limit, day)

    def cursor(self, day: str | None, after: Mapping[str, Any]) -> str:
        state = {
            "c": self.channel_arn,
            "s": iso_time(self.start),
            "e": iso_time(self.end),
            "d": day,
            "k": dict(after),
        }
        return base64.urlsafe_b64encode(json.dumps(state).encode()).decode().rstrip("=")


def list_decisions(
    query: HistoryQuery,
    store: DecisionStore,
    presign: Callable[[Mapping[str, Any]], dict[str, str]],
) -> dict[str, Any]:
    """One page of history; `presign` adds a frame URL to a frame decision."""
    lower, upper = iso_time(query.start), iso_time(query.end) + "~"
    items: list[dict[str, Any]] = []
    day, after = query.day, query.after
    next_cursor = None
    while len(items) < query.limit:
        page, after = store.query(
            channel_arn=query.channel_arn,
            day=day,
            lower=lower,
            upper=upper,
            limit=query.limit - len(items),
            start=after,
        )
        items.extend(page)
        if after:
            if len(items) >= query.limit:
                next_cursor = query.cursor(day, after)
            continue
        if query.channel_arn is not None or day is None or day <= lower[:10]:
            break
        day = (datetime.fromisoformat(day) - timedelta(days=1)).strftime("%Y-%m-%d")
        if len(items) >= query.limit:
            next_cursor = query.cursor(day, {})
    return {"items": [_public(item, presign) for item in items], "nextCursor": next_cursor}


def _public(item: Mapping[str, Any], presign: Callable[[Mapping[str, Any]], dict[str, str]]):
    public = {k: v for k, v in item.items() if k not in _INTERNAL}
    if item.get("kind") == "frame":
        public.update(presign(item))
    return public


def _limit(raw: str | None) -> int:
    if raw is None:
        return DEFAULT_LIMIT
    if not raw.isdigit() or not 1 <= int(raw) <= MAX_LIMIT:
        raise BadRequest(f"limit must be a whole number from 1 to {MAX_LIMIT}")
    return int(raw)


def _time(params: Mapping[str, str], name: str) -> datetime | None:
    raw = params.get(name)
    if raw is None:
        return None
    try:
        value = datetime.fromisoformat(raw.replace("Z", "+00:00"))
    except ValueError:
        raise BadRequest(f"{name} must be an ISO-8601 time, e.g. 2026-11-21T10:00:00Z") from None
    if value.tzinfo is None:
        raise BadRequest(f"{name} must say its time zone, e.g. 2026-11-21T10:00:00Z")
    return value.astimezone(UTC)


def _decode_cursor(raw: str, limit: int) -> HistoryQuery:
    try:
        state = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
        start = datetime.fromisoformat(state["s"].replace("Z", "+00:00"))
        end = datetime.fromisoformat(state["e"].replace("Z", "+00:00"))
        channel, day, after = state["c"], state["d"], state["k"]
        if not isinstance(after, dict) or (channel is None) == (day is None):
            raise ValueError("inconsistent cursor")
    except (ValueError, KeyError, TypeError, binascii.Error, UnicodeDecodeError):
        raise BadRequest("cursor is not one this API returned") from None
    return HistoryQuery(channel, start, end, limit, day, after or None)
