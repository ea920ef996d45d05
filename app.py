"""ivs-moderation: Chalice wiring only; the service lives in chalicelib/.

Every Lambda function of the app imports this module; each loads only what it runs. The
API function (Chalice names it `<app>-<stage>`) registers the routes; an event function
(`<app>-<stage>-<handler>`) skips them, and its handler imports its body on first use.
Anywhere else (`chalice package` and `deploy`, `chalice local`, tests) all is registered.
"""

import os

from chalice import Chalice, ConvertToMiddleware, Rate

from chalicelib.alerts.events import alert_pattern
from chalicelib.core.config import (
    chat_messages_queue_from_env,
    failed_frames_queue_from_env,
    recording_bucket_from_env,
)
from chalicelib.core.ivs import STREAM_STATE_PATTERN, thumbnail_event_pattern
from chalicelib.core.observability import configure_logging
from chalicelib.core.observability import metrics as _metrics
from chalicelib.dependencies import aws_client

__all__ = ["app", "aws_client"]

EVENT_HANDLERS = (
    "moderate_thumbnail",
    "stream_state_changed",
    "record_failed_frames",
    "review_chat_message",
    "chat_log_received",
    "moderate_chat_messages",
    "chat_ban_lookup",
    "sla_sweep",
    "send_alerts",
)
FUNCTION = os.environ.get("AWS_LAMBDA_FUNCTION_NAME", "")  # set by Lambda only

app = Chalice(app_name="ivs-moderation", configure_logs=False)  # Powertools logs instead
logger = configure_logging()
metrics = _metrics()
app.register_middleware(ConvertToMiddleware(logger.inject_lambda_context(clear_state=True)))
app.register_middleware(ConvertToMiddleware(metrics.log_metrics), "cloudwatch")
app.register_middleware(ConvertToMiddleware(metrics.log_metrics), "sqs")
app.register_middleware(ConvertToMiddleware(metrics.log_metrics), "scheduled")

if FUNCTION.rsplit("-", 1)[-1] not in EVENT_HANDLERS:  # the API function, or no Lambda
    from chalicelib.api.channels import channels
    from chalicelib.api.chat import chat
    from chalicelib.api.dashboard import dashboard
    from chalicelib.api.export import export
    from chalicelib.api.history import history
    from chalicelib.api.http import api_errors_and_cors
    from chalicelib.api.incidents import incidents
    from chalicelib.api.me import me
    from chalicelib.api.policies import policies
    from chalicelib.api.stats import stats
    from chalicelib.api.streams import streams
    from chalicelib.api.viewer_chat import viewer_chat
    from chalicelib.api.watchlist import watchlist

    for blueprint in (
        streams,
        chat,
        history,
        export,
        incidents,
        viewer_chat,
        channels,
        stats,
        me,
        policies,
        watchlist,
        dashboard,
    ):
        app.register_blueprint(blueprint)
    app.register_middleware(api_errors_and_cors, "http")


@app.on_cw_event(thumbnail_event_pattern(recording_bucket_from_env(os.environ)))
def moderate_thumbnail(event):
    from chalicelib import handlers

    return handlers.moderate_thumbnail(event.to_dict(), event.context)


@app.on_cw_event(STREAM_STATE_PATTERN)
def stream_state_changed(event):
    from chalicelib import handlers

    return handlers.stream_state_changed(event.to_dict())


@app.on_sqs_message(queue=failed_frames_queue_from_env(os.environ), batch_size=10)
def record_failed_frames(event):
    """Frames Lambda gave up on: the thumbnail function's on-failure destination."""
    from chalicelib import handlers

    return handlers.record_failed_frames([record.body for record in event])


# --- chat moderation (docs/chat-moderation.md) --------------------------------------------


@app.lambda_function(name="review_chat_message")
def review_chat_message(event, context):
    """IVS chat's message review handler: ALLOW or DENY within its 200 ms budget."""
    from chalicelib.handlers import chat as handlers

    return handlers.review_chat_message(event)


@app.lambda_function(name="chat_log_received")
def chat_log_received(event, context):
    """Chat logging's CloudWatch Logs subscription: every message sent, for the deep pass."""
    from chalicelib.handlers import chat as handlers

    return handlers.chat_log_received(event, context)


@app.on_sqs_message(queue=chat_messages_queue_from_env(os.environ), batch_size=10)
def moderate_chat_messages(event):
    """The deep pass over chat messages: Comprehend, images, bans; removes what violates."""
    from chalicelib.handlers import chat as handlers

    return handlers.moderate_chat_messages([record.body for record in event], event.context)


@app.lambda_function(name="chat_ban_lookup")
def chat_ban_lookup(event, context):
    """For the platform's chat-token issuer: is this user banned from this room?"""
    from chalicelib.handlers import chat as handlers

    return handlers.chat_ban_lookup(event)


# --- alerts (README, "Events and alerts") -------------------------------------------------


@app.schedule(Rate(1, unit=Rate.MINUTES))
def sla_sweep(event):
    """Incidents unacknowledged past their SLA escalated, once; deferred events published."""
    from chalicelib.handlers import alerts

    return alerts.sla_sweep()


@app.on_cw_event(alert_pattern())
def send_alerts(event):
    """E-mails (SNS) for high severity, escalations and SLA breaches."""
    from chalicelib.handlers import alerts

    return alerts.send_alerts(event.to_dict())
