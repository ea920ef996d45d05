"""GET /channels: every channel the service knows, its live state and active incidents."""

from __future__ import annotations

from chalicelib import dependencies
from chalicelib.api import ApiBlueprint, signed_in
from chalicelib.api.policy_notes import channel_policies
from chalicelib.api.requests import query_params
from chalicelib.incidents.queries import IncidentQuery, queue

channels = ApiBlueprint(__name__)

MAX_CHANNELS = 1000  # channels one GET /channels lists (one Scan page): then `truncated`


@channels.route("/channels", methods=["GET", "OPTIONS"])
def list_channels():
    signed_in(channels)
    query_params(channels.current_request, ())
    now = dependencies.now()
    active = queue(dependencies.incidents().store, IncidentQuery.from_params({}, now), now)
    counts: dict[str, int] = {}
    for incident in active["items"]:
        if incident["state"] != "resolved":
            counts[incident["channelArn"]] = counts.get(incident["channelArn"], 0) + 1
    items, more = dependencies.channel_store().page(limit=MAX_CHANNELS)
    fields = ("channelArn", "name", "live", "liveAt", "openIncidentId", "failureNoticeAt")
    policies = channel_policies(items)  # the policy that applies now, and the watchlist
    return {
        "items": [
            {
                **{k: item[k] for k in fields if k in item},
                "activeIncidents": counts.get(item["channelArn"], 0),
                **policies[item["channelArn"]],
            }
            for item in sorted(items, key=lambda c: (c.get("name", ""), c["channelArn"]))
        ],
        "truncated": more is not None,
    }
