"""GET /stats: the team's figures over a window (incidents/stats.py)."""

from __future__ import annotations

from chalicelib import dependencies
from chalicelib.api import ApiBlueprint, signed_in
from chalicelib.api.requests import query_params
from chalicelib.incidents.stats import backlog, incident_stats, stats_window

stats = ApiBlueprint(__name__)


@stats.route("/stats", methods=["GET", "OPTIONS"])
def team_stats():
    signed_in(stats)
    params = query_params(stats.current_request, ("from", "to"))
    start, end = stats_window(params, dependencies.now())
    return incident_stats(dependencies.incidents().store, start, end)


@stats.route("/stats/backlog", methods=["GET", "OPTIONS"])
def queue_backlog():
    signed_in(stats)
    query_params(stats.current_request, ())
    now = dependencies.now()
    return backlog(dependencies.incidents().store, now, dependencies.settings().sla_minutes)
