"""ivs-moderation: Chalice wiring only; the service lives in chalicelib/."""

import os

from chalice import Chalice, ConvertToMiddleware

from chalicelib import handlers
from chalicelib.api.channels import channels
from chalicelib.api.chat import chat
from chalicelib.api.dashboard import dashboard
from chalicelib.api.history import history
from chalicelib.api.http import api_errors_and_cors
from chalicelib.api.incidents import incidents
from chalicelib.api.stats import stats
from chalicelib.api.streams import streams
from chalicelib.core.config import failed_frames_queue_from_env, recording_bucket_from_env
from chalicelib.core.ivs import thumbnail_event_pattern
from chalicelib.core.observability import configure_logging
from chalicelib.core.observability import metrics as _metrics
from chalicelib.dependencies import aws_client
from chalicelib.streams.state import STREAM_STATE_PATTERN

__all__ = ["app", "aws_client"]

app = Chalice(app_name="ivs-moderation", configure_logs=False)  # Powertools logs instead
logger = configure_logging()
metrics = _metrics()
app.register_middleware(ConvertToMiddleware(logger.inject_lambda_context(clear_state=True)))
app.register_middleware(ConvertToMiddleware(metrics.log_metrics), "cloudwatch")
app.register_middleware(ConvertToMiddleware(metrics.log_metrics), "sqs")

app.register_blueprint(streams)
app.register_blueprint(chat)
app.register_blueprint(history)
app.register_blueprint(incidents)
app.register_blueprint(channels)
app.register_blueprint(stats)
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


app.register_middleware(api_errors_and_cors, "http")
