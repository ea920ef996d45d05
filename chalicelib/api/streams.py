"""POST /stop-stream."""

from __future__ import annotations

from chalice import Blueprint

from chalicelib import dependencies
from chalicelib.api import signed_in
from chalicelib.stops import StopRequest, stop_for_moderator

streams = Blueprint(__name__)


@streams.route("/stop-stream", methods=["POST", "OPTIONS"])
def stop_stream():
    moderator = signed_in(streams)
    config = dependencies.settings()
    request = StopRequest.from_body(
        streams.current_request.json_body, region=config.region, account=config.account
    )
    return stop_for_moderator(
        request,
        moderator,
        ivs=dependencies.aws_client("ivs"),
        store=dependencies.decision_store(),
    )
