"""POST /stop-stream."""

from __future__ import annotations

from chalicelib import dependencies
from chalicelib.api import ApiBlueprint, signed_in
from chalicelib.stops import StopRequest, stop_for_moderator
from chalicelib.validation import json_body, query_params

streams = ApiBlueprint(__name__)


@streams.route("/stop-stream", methods=["POST", "OPTIONS"])
def stop_stream():
    moderator = signed_in(streams)
    query_params(streams.current_request, ())
    config = dependencies.settings()
    request = StopRequest.from_body(
        json_body(streams.current_request), region=config.region, account=config.account
    )
    return stop_for_moderator(
        request,
        moderator,
        ivs=dependencies.aws_client("ivs"),
        store=dependencies.decision_store(),
    )
