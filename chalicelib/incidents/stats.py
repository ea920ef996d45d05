"""GET /stats: how the team's incidents went, per category, over a window (at most 31 days).

For each category an incident showed (an incident counts under each of its categories):
incidents, resolved, dismissed as false positive, stopped, the false-positive share of the
resolved ones (the precision moderators see), and the time from opening to acknowledgement
and to resolution (p50 and p95, seconds; nearest-rank). Reads the `byOpenedDay` index a day
at a time, at most MAX_INCIDENTS incidents (then `truncated`).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from datetime import datetime, timedelta
from typing import Any

from chalicelib.core.times import client_time, iso_time, parse_time, time_window
from chalicelib.incidents.model import DISMISSED, RESOLVED, STOPPED
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
    return {
        "from": lower,
        "to": upper,
        "truncated": truncated,
        "totals": _summary(incidents),
        "categories": [
            {"category": category, **_summary(found)}
            for category, found in sorted(by_category.items(), key=lambda kv: -len(kv[1]))
        ],
    }


def _summary(incidents: list[Mapping[str, Any]]) -> dict[str, Any]:
    resolved = [i for i in incidents if i["state"] == RESOLVED]
    dismissed = sum(1 for i in resolved if i.get("resolution") == DISMISSED)
    return {
        "incidents": len(incidents),
        "resolved": len(resolved),
        "dismissed": dismissed,
        "stopped": sum(1 for i in resolved if i.get("resolution") == STOPPED),
        "falsePositiveShare": round(dismissed / len(resolved), 3) if resolved else None,
        "secondsToAcknowledge": _percentiles(_seconds(incidents, "acknowledgedAt")),
        "secondsToResolve": _percentiles(_seconds(resolved, "resolvedAt")),
    }


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
