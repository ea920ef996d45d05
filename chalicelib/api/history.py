"""GET /decisions (the decision log) and GET /frames (a thumbnail's short-lived link)."""

from __future__ import annotations

from chalicelib import dependencies
from chalicelib.api import ApiBlueprint, signed_in
from chalicelib.api.frame_links import frame_url
from chalicelib.api.requests import query_params
from chalicelib.decisions.history import PARAMS, HistoryQuery, list_decisions

history = ApiBlueprint(__name__)


@history.route("/decisions", methods=["GET", "OPTIONS"])
def decisions():
    signed_in(history)
    params = query_params(history.current_request, PARAMS)
    query = HistoryQuery.from_params(params, dependencies.now())
    return list_decisions(query, dependencies.decision_store(), presign=frame)


@history.route("/frames", methods=["GET", "OPTIONS"])
def frames():
    signed_in(history)
    return frame(query_params(history.current_request, ("key",)).get("key"))


def frame(key: str | None) -> dict[str, str]:
    config = dependencies.settings()
    return frame_url(
        dependencies.aws_client("s3"), config.recording_bucket, key, config.frame_url_seconds
    )
