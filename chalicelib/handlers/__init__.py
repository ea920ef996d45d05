"""The bodies of the app's event handlers (app.py wires them to their events).

Whatever event matches a rule ends recorded or ignored, with a log line: a malformed
event is logged and ignored (no retry can mend it); a duplicate delivery is answered from
its idempotency record, or, while the first delivery is still at work, left to it.
"""

from __future__ import annotations

import logging
from typing import Any

from chalicelib import dependencies
from chalicelib.core.observability import correlate
from chalicelib.frames.event import MalformedEvent, ObjectCreated

logger = logging.getLogger(__name__)


def moderate_thumbnail(event: dict[str, Any], context) -> dict[str, Any]:
    try:
        frame = ObjectCreated.from_event(event)
    except MalformedEvent as error:
        logger.warning("ignored: a malformed Object Created event", extra={"error": str(error)})
        return {"decision": "ignored", "reason": str(error)}
    thumbnail = frame.thumbnail
    correlate(event_id=frame.event_id, channel=thumbnail and thumbnail.channel_arn)
    dependencies.idempotency_config().register_lambda_context(context)
    from aws_lambda_powertools.utilities.idempotency.exceptions import (
        IdempotencyAlreadyInProgressError,  # imported here: only this function needs it
    )

    try:
        return dependencies.moderate_once()(frame=frame)
    except IdempotencyAlreadyInProgressError:
        logger.info("duplicate delivery while the first is at work: left to it")
        return {"decision": "duplicate-in-progress", "key": frame.key}


def stream_state_changed(event: dict[str, Any]) -> dict[str, Any]:
    return dependencies.stream_states().handle(event)


def record_failed_frames(bodies: list[str]) -> list[dict[str, Any]]:
    return [dependencies.failed_frames().record(body) for body in bodies]
