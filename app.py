"""ivs-moderation: Chalice wiring only; the service lives in chalicelib/."""

import os
from functools import cache

import boto3
from aws_lambda_powertools import Logger, Metrics
from aws_lambda_powertools.logging.utils import copy_config_to_registered_loggers
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from botocore.config import Config
from chalice import Chalice, ConvertToMiddleware

from chalicelib.chat import ModerationRoom
from chalicelib.config import Settings, recording_bucket_from_env
from chalicelib.decisions import DecisionStore
from chalicelib.moderation import IDEMPOTENCY_KEY_JMESPATH, ObjectCreated, ThumbnailModerator
from chalicelib.recordings import parse_thumbnail_key, thumbnail_event_pattern

app = Chalice(app_name="ivs-moderation", configure_logs=False)  # Powertools logs instead
logger = Logger(service="ivs-moderation")
metrics = Metrics(namespace="IvsModeration", service="ivs-moderation")
copy_config_to_registered_loggers(source_logger=logger, include={"chalicelib"})
app.register_middleware(ConvertToMiddleware(logger.inject_lambda_context(clear_state=True)))
app.register_middleware(ConvertToMiddleware(metrics.log_metrics))

# Standard retry mode backs off and retries throttling; what still fails raises, so the
# invoke fails and Lambda retries the event.
AWS_CONFIG = Config(retries={"mode": "standard", "total_max_attempts": 5})
# EventBridge retries an event for up to 24 hours; a duplicate within that is recognised.
IDEMPOTENCY_TTL_SECONDS = 24 * 3600


@cache
def settings() -> Settings:
    return Settings.from_env(os.environ)


@cache
def aws_client(service: str):
    return boto3.client(service, config=AWS_CONFIG)


@cache
def moderator() -> ThumbnailModerator:
    config = settings()
    table = boto3.resource("dynamodb", config=AWS_CONFIG).Table(config.decisions_table)
    return ThumbnailModerator(
        settings=config,
        rekognition=aws_client("rekognition"),
        ivs=aws_client("ivs"),
        room=ModerationRoom(aws_client("ivschat"), config.moderation_room_arn),
        store=DecisionStore(table),
        metrics=metrics,
    )


@cache
def idempotency_config() -> IdempotencyConfig:
    return IdempotencyConfig(
        event_key_jmespath=IDEMPOTENCY_KEY_JMESPATH, expires_after_seconds=IDEMPOTENCY_TTL_SECONDS
    )


@cache
def moderate_once():
    """`moderator().moderate`, run at most once per object write (Powertools idempotency)."""
    store = DynamoDBPersistenceLayer(
        table_name=settings().idempotency_table, boto3_client=aws_client("dynamodb")
    )
    return idempotent_function(
        moderator().moderate,
        data_keyword_argument="frame",
        persistence_store=store,
        config=idempotency_config(),
    )


@app.on_cw_event(thumbnail_event_pattern(recording_bucket_from_env(os.environ)))
def moderate_thumbnail(event):
    frame = ObjectCreated.from_event(event.to_dict())
    thumbnail = parse_thumbnail_key(frame.key, frame.region)
    logger.append_keys(event_id=frame.event_id, channel=thumbnail and thumbnail.channel_arn)
    idempotency_config().register_lambda_context(event.context)
    return moderate_once()(frame=frame)
