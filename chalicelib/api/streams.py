"""POST /stop-stream: a moderator stops a stream, and the incident it settles."""

from __future__ import annotations

from chalicelib import dependencies
from chalicelib.api import ApiBlueprint, signed_in
from chalicelib.api.requests import json_body, query_params
from chalicelib.streams.stop_request import StopRequest

streams = ApiBlueprint(__name__)


@streams.route("/stop-stream", methods=["POST", "OPTIONS"])
def stop_stream():
    moderator = signed_in(streams)
    query_params(streams.current_request, ())
    config = dependencies.settings()
    request = StopRequest.from_body(
        json_body(streams.current_request), region=config.region, account=config.account
    )
    return dependencies.stops().stop(request, moderator)
