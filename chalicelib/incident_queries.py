"""Reading incidents: the moderators' queue, a time window, and the statistics.

Access patterns (README, "Data layout"): the queue is the `active` index (open,
acknowledged and escalated incidents) plus the `byResolvedDay` index for those resolved in
the last 24 hours; a time window reads `byOpenedDay` (or `byChannel` for one channel), a
day at a time. The indexes hold keys only; the incidents come from BatchGetItem. Every
request reads a bounded number of pages, and a cursor carries its query, re-checked.
"""

from __future__ import annotations

import base64
import binascii
import json
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from chalicelib.decisions import iso_time, parse_time
from chalicelib.http import BadRequest
from chalicelib.incident_model import ACKNOWLEDGED, ESCALATED, OPEN, RESOLVED, SEVERITY_RANK
from chalicelib.incidents import IncidentStore
from chalicelib.recordings import parse_channel_arn
from chalicelib.taxonomy import TOP_LEVEL

STATES = (OPEN, ACKNOWLEDGED, RESOLVED)
RECENTLY = timedelta(hours=24)  # resolved incidents the queue still shows
MAX_WINDOW = timedelta(days=31)
MAX_QUEUE = 500  # incidents one queue read gathers at most (then `truncated`)
MAX_PAGES = 40  # index pages one request reads at most
DEFAULT_LIMIT, MAX_LIMIT = 100, 200
_PARAMS = {"state", "channelArn", "category", "from", "to", "limit", "cursor"}


@dataclass(frozen=True)
class IncidentQuery:
    states: tuple[str, ...]
    channel_arn: str | None
    category: str | None
    start: datetime | None  # a window on openedAt; None: the queue
    end: datetime | None
    limit: int
    day: str | None = None  # a window: the day being read (all channels)
    after: dict[str, Any] | None = None

    @classmethod
    def from_params(cls, params: Mapping[str, str] | None, now: datetime) -> IncidentQuery:
        params = dict(params or {})
        unknown = sorted(set(params) - _PARAMS)
        if unknown:
            raise BadRequest(f"unknown parameter(s): {', '.join(unknown)}")
        limit = _limit(params.get("limit"))
        if "cursor" in params:
            if set(params) - {"cursor", "limit"}:
                raise BadRequest("a cursor carries its query: send it with limit only")
            return _decode(params["cursor"], limit, now)
        states = tuple(_states(params.get("state")))
        channel = params.get("channelArn")
        if channel is not None and parse_channel_arn(channel) is None:
            raise BadRequest("channelArn must be an IVS channel ARN")
        category = params.get("category")
        if category is not None and category not in TOP_LEVEL:
            raise BadRequest(f"category must be one of: {', '.join(TOP_LEVEL)}")
        if "from" not in params and "to" not in params:
            return cls(states, channel, category, None, None, limit)
        end = _time(params, "to", now) or now
        start = _time(params, "from", now) or end - timedelta(days=1)
        if not timedelta(0) <= end - start <= MAX_WINDOW:
            raise BadRequest("from must be before to, and the window at most 31 days")
        return cls(states, channel, category, start, end, limit, None if channel else _day(end))

    def matches(self, incident: Mapping[str, Any]) -> bool:
        return (
            incident["state"] in self.states
            and (self.channel_arn is None or incident["channelArn"] == self.channel_arn)
            and (self.category is None or self.category in incident.get("categories", {}))
        )

    def cursor(self, day: str | None, after: Mapping[str, Any]) -> str:
        state = {
            "st": list(self.states),
            "c": self.channel_arn,
            "g": self.category,
            "s": iso_time(self.start),
            "e": iso_time(self.end),
            "d": day,
            "k": dict(after),
        }
        return base64.urlsafe_b64encode(json.dumps(state).encode()).decode().rstrip("=")


def queue(store: IncidentStore, query: IncidentQuery, now: datetime) -> dict[str, Any]:
    """The moderators' queue: active incidents, then those resolved in the last 24 hours."""
    ids: list[str] = []
    truncated = False
    reads = [("active", ("activeQueue", "active"), ("openedAt", "0", "~"))]
    for day in (_day(now), _day(now - RECENTLY)):
        reads.append(
            ("byResolvedDay", ("resolvedDay", day), ("resolvedAt", iso_time(now - RECENTLY), "~"))
        )
    pages = 0
    for index, partition, sort in reads:
        after = None
        while pages < MAX_PAGES and len(ids) < MAX_QUEUE:
            found, after = store.index_page(
                index, partition, sort, limit=MAX_QUEUE - len(ids), start=after
            )
            ids += found
            pages += 1
            if not after:
                break
        truncated = truncated or bool(after)
    incidents = [item for item in store.many(ids) if query.matches(item)]
    incidents.sort(key=_queue_order)
    return {"items": incidents[: query.limit], "truncated": truncated, "nextCursor": None}


def _queue_order(incident: Mapping[str, Any]) -> tuple:
    """Unresolved first (most severe, then oldest), then escalated, then newest resolved."""
    if incident["state"] != RESOLVED:
        return (0, -SEVERITY_RANK[incident["severity"]], incident["openedAt"])
    if incident.get("resolution") == ESCALATED:
        return (1, -SEVERITY_RANK[incident["severity"]], incident["openedAt"])
    return (2, "", _descending(incident.get("resolvedAt", "")))


def window(store: IncidentStore, query: IncidentQuery) -> dict[str, Any]:
    """Incidents opened in a time window, newest first, a page at a time."""
    lower, upper = iso_time(query.start), iso_time(query.end)
    ids: list[str] = []
    day, after, done = query.day, query.after, False
    for _ in range(MAX_PAGES):
        if len(ids) >= query.limit:
            break
        if query.channel_arn is not None:
            index, partition = "byChannel", ("channelArn", query.channel_arn)
        else:
            index, partition = "byOpenedDay", ("openedDay", day)
        found, after = store.index_page(
            index, partition, ("openedAt", lower, upper), limit=query.limit - len(ids), start=after
        )
        ids += found
        if after is None:
            if query.channel_arn is not None or day <= lower[:10]:
                done = True
                break
            day = _day(parse_time(f"{day}T00:00:00Z") - timedelta(days=1))
    found_items = {item["incidentId"]: item for item in store.many(ids)}
    items = [found_items[i] for i in ids if i in found_items and query.matches(found_items[i])]
    cursor = None if done else query.cursor(day, after or {})
    return {"items": items, "truncated": False, "nextCursor": cursor}


def _descending(text: str) -> str:
    return "".join(chr(0x10FFFF - ord(ch)) for ch in text)


def _day(at: datetime) -> str:
    return iso_time(at)[:10]


def _limit(raw: str | None) -> int:
    if raw is None:
        return DEFAULT_LIMIT
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 4) or not 1 <= int(raw) <= MAX_LIMIT:
        raise BadRequest(f"limit must be a whole number from 1 to {MAX_LIMIT}")
    return int(raw)


def _states(raw: str | None) -> list[str]:
    if raw is None:
        return list(STATES)
    states = [part.strip() for part in raw.split(",") if part.strip()]
    if not states or set(states) - set(STATES):
        raise BadRequest(f"state must be a comma-separated list of {', '.join(STATES)}")
    return states


def _time(params: Mapping[str, str], name: str, now: datetime) -> datetime | None:
    raw = params.get(name)
    if raw is None:
        return None
    try:
        if not raw.isascii() or len(raw) > 40:
            raise ValueError
        value = parse_time(raw)
    except (ValueError, OverflowError):
        raise BadRequest(
            f"{name} must be an ISO-8601 time with a zone, e.g. 2026-11-21T10:00:00Z"
        ) from None
    if not now - timedelta(days=3650) <= value <= now + timedelta(days=1):
        raise BadRequest(f"{name} must be within the last ten years")
    return value


def _decode(raw: str, limit: int, now: datetime) -> IncidentQuery:
    try:
        state = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
        params = {"state": ",".join(state["st"]), "from": state["s"], "to": state["e"]}
        if state["c"] is not None:
            params["channelArn"] = state["c"]
        if state["g"] is not None:
            params["category"] = state["g"]
        query = IncidentQuery.from_params({**params, "limit": str(limit)}, now)
        day, after = state["d"], state["k"] or {}
        lower, upper = iso_time(query.start), iso_time(query.end)
        if query.channel_arn is None:
            if not (isinstance(day, str) and lower[:10] <= day <= upper[:10]):
                raise ValueError("day outside the window")
            partition = {"openedDay": day}
        else:
            partition = {"channelArn": query.channel_arn}
        # Where DynamoDB stopped must lie in the query's own partition and window.
        if after and (
            set(after) != {"incidentId", "openedAt", *partition}
            or any(after[name] != value for name, value in partition.items())
            or not all(isinstance(value, str) and len(value) <= 200 for value in after.values())
            or not lower <= after["openedAt"] <= upper
        ):
            raise ValueError("cursor key outside the query")
    except (ValueError, KeyError, TypeError, AttributeError, binascii.Error, BadRequest):
        raise BadRequest("cursor is not one this API returned") from None
    return replace(query, day=day if query.channel_arn is None else None, after=after or None)
