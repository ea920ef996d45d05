"""ivs-moderation: Chalice wiring only; the service lives in chalicelib/."""

import os

from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers
from chalice import Chalice, ConvertToMiddleware, Response

from chalicelib import handlers
from chalicelib.api.chat import chat
from chalicelib.api.dashboard import dashboard
from chalicelib.api.history import history
from chalicelib.api.incidents import incidents
from chalicelib.api.streams import streams
from chalicelib.core.config import failed_frames_queue_from_env, recording_bucket_from_env
from chalicelib.core.errors import ApiError, Forbidden, cors_headers, with_security_headers
from chalicelib.core.ivs import thumbnail_event_pattern
from chalicelib.core.observability import logger as _logger
from chalicelib.core.observability import metrics as _metrics
from chalicelib.core.validation import body_bytes
from chalicelib.dependencies import aws_client, settings
from chalicelib.streams.state import STREAM_STATE_PATTERN

__all__ = ["app", "aws_client"]

app = Chalice(app_name="ivs-moderation", configure_logs=False)  # Powertools logs instead
logger = _logger()
metrics = _metrics()
copy_config_to_registered_loggers(source_logger=logger, include={"chalicelib"})
app.register_middleware(ConvertToMiddleware(logger.inject_lambda_context(clear_state=True)))
app.register_middleware(ConvertToMiddleware(metrics.log_metrics), "cloudwatch")
app.register_middleware(ConvertToMiddleware(metrics.log_metrics), "sqs")

app.register_blueprint(streams)
app.register_blueprint(chat)
app.register_blueprint(history)
app.register_blueprint(incidents)
app.register_blueprint(dashboard)


@app.on_cw_event(thumbnail_event_pattern(recording_bucket_from_env(os.environ)))
def moderate_thumbnail(event):
    return handlers.moderate_thumbnail(event.to_dict(), event.context)


@app.on_cw_event(STREAM_STATE_PATTERN)
def stream_state_changed(event):
    return handlers.stream_state_changed(event.to_dict())


@app.on_sqs_message(queue=failed_frames_queue_from_env(os.environ), batch_size=10)
def record_failed_frames(event):
    """Frames Lambda gave up on: the thumbnail function's on-failure destination."""
    return handlers.record_failed_frames([record.body for record in event])


@app.middleware("http")
def api_errors_and_cors(event, get_response):
    """ApiErrors as responses; CORS for the dashboard's origins; security headers on all."""
    cors = cors_headers(event.headers.get("origin"), settings().dashboard_origins)
    if event.method == "OPTIONS":  # a CORS preflight: answered here, for allowed origins only
        refused = Forbidden("this origin may not call the API").response()
        response = Response(body="", status_code=204, headers=cors) if cors else refused
    else:
        try:
            body_bytes(event)  # 413 for a body too large, on every route, before it is read
            response = get_response(event)
        except ApiError as error:
            response = error.response()
        response.headers.update(cors)
    return with_security_headers(response)
