"""GET /stats: how the team's incidents went over a window (at most 31 days): in all, per
category, per moderator and per channel.

For each category an incident showed (an incident counts under each of its categories):
incidents, resolved, escalated (counted apart: an escalated incident is still in the
queue, for its team), dismissed as false positive, stopped, the false-positive share of the
settled ones (the precision moderators see), and the time from opening to acknowledgement
and to resolution (p50 and p95, seconds; nearest-rank). Per moderator: incidents they
settled, escalated, dismissed, and the time from opening to their first action on it. Per
channel: incidents and the false-positive share. Reads the `byOpenedDay` index a day at a
time, at most MAX_INCIDENTS incidents (then `truncated`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import replace
from datetime import datetime, timedelta
from typing import Any

from chalicelib.core.times import client_time, iso_time, parse_time, time_window
from chalicelib.incidents.model import (
    DISMISSED,
    ESCALATED,
    OPEN,
    POLICY,
    RESOLVED,
    SLA,
    STOPPED,
    SYSTEM,
)
from chalicelib.incidents.queries import MAX_QUEUE, IncidentQuery, queue
from chalicelib.incidents.store import IncidentStore

DEFAULT_WINDOW = timedelta(days=7)
MAX_WINDOW = timedelta(days=31)
MAX_INCIDENTS = 5000
MAX_PAGES = 100


def stats_window(params: Mapping[str, str], now: datetime) -> tuple[datetime, datetime]:
    """The window of GET /stats (`validation.query_params`): 7 days by default, at most 31."""
    return time_window(
        client_time(params["from"], "from") if "from" in params else None,
        client_time(params["to"], "to") if "to" in params else None,
        now=now,
        default_span=DEFAULT_WINDOW,
        max_span=MAX_WINDOW,
    )


def incident_stats(store: IncidentStore, start: datetime, end: datetime) -> dict[str, Any]:
    lower, upper = iso_time(start), iso_time(end)
    ids: list[str] = []
    day, pages, truncated = upper[:10], 0, False
    while day >= lower[:10]:
        after = None
        while True:
            found, after = store.index_page(
                "byOpenedDay",
                ("openedDay", day),
                ("openedAt", lower, upper),
                limit=min(1000, MAX_INCIDENTS - len(ids)),
                start=after,
            )
            ids += found
            pages += 1
            if not after or len(ids) >= MAX_INCIDENTS or pages >= MAX_PAGES:
                break
        if after or len(ids) >= MAX_INCIDENTS or pages >= MAX_PAGES:
            truncated = True
            break
        day = iso_time(parse_time(f"{day}T00:00:00Z") - timedelta(days=1))[:10]
    incidents = store.many(ids)
    by_category: dict[str, list[Mapping[str, Any]]] = {}
    for incident in incidents:
        for category in incident.get("categories", {}):
            by_category.setdefault(category, []).append(incident)
    by_channel: dict[str, list[Mapping[str, Any]]] = {}
    for incident in incidents:
        by_channel.setdefault(incident["channelArn"], []).append(incident)
    return {
        "from": lower,
        "to": upper,
        "truncated": truncated,
        "totals": _summary(incidents),
        "categories": [
            {"category": category, **_summary(found)}
            for category, found in sorted(by_category.items(), key=lambda kv: -len(kv[1]))
        ],
        "moderators": _moderators(incidents),
        "channels": [
            {
                "channelArn": arn,
                "channelName": found[0].get("channelName", ""),
                "incidents": len(found),
                "falsePositiveShare": _summary(found)["falsePositiveShare"],
            }
            for arn, found in sorted(by_channel.items(), key=lambda kv: -len(kv[1]))
        ],
    }


def _summary(incidents: list[Mapping[str, Any]]) -> dict[str, Any]:
    resolved = [i for i in incidents if i["state"] == RESOLVED]
    settled = [i for i in resolved if i.get("resolution") != ESCALATED]
    dismissed = sum(1 for i in settled if i.get("resolution") == DISMISSED)
    return {
        "incidents": len(incidents),
        "resolved": len(settled),
        "escalated": len(resolved) - len(settled),
        "dismissed": dismissed,
        "stopped": sum(1 for i in settled if i.get("resolution") == STOPPED),
        "falsePositiveShare": round(dismissed / len(settled), 3) if settled else None,
        "secondsToAcknowledge": _percentiles(_seconds(incidents, "acknowledgedAt")),
        "secondsToResolve": _percentiles(_seconds(settled, "resolvedAt")),
    }


def _moderators(incidents: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """Per moderator: what they settled, and how soon they first acted on an incident."""
    automatic = {SYSTEM, POLICY, SLA, ""}
    people: dict[str, dict[str, Any]] = {}
    for incident in incidents:
        opened = parse_time(incident["openedAt"])
        first: dict[str, float] = {}
        for entry in incident.get("trail", []):
            by = entry.get("by", "")
            if by not in automatic and by not in first:
                first[by] = (parse_time(entry["at"]) - opened).total_seconds()
        for by, seconds in first.items():
            person = people.setdefault(
                by, {"moderator": by, "settled": 0, "escalated": 0, "dismissed": 0, "_seconds": []}
            )
            person["_seconds"].append(seconds)
        by = incident.get("resolvedBy", "")
        if incident["state"] == RESOLVED and by in people:
            resolution = incident.get("resolution")
            people[by]["escalated" if resolution == ESCALATED else "settled"] += 1
            people[by]["dismissed"] += resolution == DISMISSED
    return [
        {
            **{k: v for k, v in p.items() if k != "_seconds"},
            "secondsToFirstAction": _percentiles(sorted(p["_seconds"])),
        }
        for p in sorted(people.values(), key=lambda p: -len(p["_seconds"]))
    ]


def _seconds(incidents: Iterable[Mapping[str, Any]], field: str) -> list[float]:
    return sorted(
        (parse_time(i[field]) - parse_time(i["openedAt"])).total_seconds()
        for i in incidents
        if i.get(field)
    )


def _percentiles(values: list[float]) -> dict[str, float | None]:
    def rank(share: float) -> float | None:
        return round(values[max(0, math.ceil(share * len(values)) - 1)], 1) if values else None

    return {"p50": rank(0.5), "p95": rank(0.95), "count": len(values)}


def backlog(store: IncidentStore, now: datetime, targets: Mapping[str, int]) -> dict[str, Any]:
    """The queue now: what waits, what nobody holds, what waited past its severity's target
    (SLA_MINUTES) without anyone acknowledging it, and what is with a team (escalated)."""
    query = replace(IncidentQuery.from_params({}, now), limit=MAX_QUEUE)
    page = queue(store, query, now)
    waiting = [i for i in page["items"] if i["state"] != RESOLVED]
    unassigned = [i for i in waiting if i["state"] == OPEN]

    def past_target(incident: Mapping[str, Any]) -> bool:
        minutes = targets.get(incident["severity"])
        opened = parse_time(incident["openedAt"])
        return minutes is not None and now - opened > timedelta(minutes=minutes)

    by_severity: dict[str, int] = {}
    for incident in waiting:
        by_severity[incident["severity"]] = by_severity.get(incident["severity"], 0) + 1
    return {
        "at": iso_time(now),
        "waiting": len(waiting),
        "unassigned": len(unassigned),
        "pastTarget": sum(1 for i in unassigned if past_target(i)),
        "escalated": sum(1 for i in page["items"] if i.get("resolution") == ESCALATED),
        "bySeverity": by_severity,
        "targetsMinutes": dict(targets),
        "truncated": page["truncated"],
    }
