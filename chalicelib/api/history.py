"""GET /decisions (the decision log) and GET /frames (a thumbnail's short-lived link)."""

from __future__ import annotations

from datetime import UTC, datetime

from chalice import Blueprint

from chalicelib import dependencies
from chalicelib.api import signed_in
from chalicelib.frames import frame_url
from chalicelib.history import HistoryQuery, list_decisions

history = Blueprint(__name__)


@history.route("/decisions", methods=["GET", "OPTIONS"])
def decisions():
    signed_in(history)
    query = HistoryQuery.from_params(history.current_request.query_params, datetime.now(UTC))
    return list_decisions(
        query, dependencies.decision_store(), presign=lambda item: frame(item["thumbnailKey"])
    )


@history.route("/frames", methods=["GET", "OPTIONS"])
def frames():
    signed_in(history)
    return frame((history.current_request.query_params or {}).get("key"))


def frame(key: str) -> dict[str, str]:
    config = dependencies.settings()
    return frame_url(
        dependencies.aws_client("s3"), config.recording_bucket, key, config.frame_url_seconds
    )
