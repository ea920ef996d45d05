"""What the handlers and routes need, each built once per Lambda container on first use.

Nothing here runs at import: settings are read and clients built when a handler first
asks (and tests call `reset()` to start over with a fresh environment).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import cache

import boto3
from aws_lambda_powertools.utilities.idempotency import (
    DynamoDBPersistenceLayer,
    IdempotencyConfig,
    idempotent_function,
)
from botocore.config import Config

from chalicelib.channels.store import ChannelNames, ChannelStore
from chalicelib.core.config import Settings
from chalicelib.core.observability import metrics
from chalicelib.core.retries import CONFIG, keep_retrying
from chalicelib.decisions.store import DecisionStore
from chalicelib.frames.event import IDEMPOTENCY_KEY_JMESPATH, answered_from_record
from chalicelib.frames.failures import FailedFrames
from chalicelib.frames.moderator import ThumbnailModerator
from chalicelib.incidents.handling import IncidentHandling
from chalicelib.incidents.service import Incidents
from chalicelib.incidents.store import IncidentStore
from chalicelib.room.blind import BlindNotices
from chalicelib.room.chat import ModerationRoom
from chalicelib.streams.state import StreamStates
from chalicelib.streams.stops import Stops

# EventBridge retries an event for up to 24 hours; a duplicate within that is recognised.
IDEMPOTENCY_TTL_SECONDS = 24 * 3600
_BUILT_ABOVE: list = []  # what layers above build once (`once`), forgotten by reset() too


def once[T](build: Callable[[], T]) -> Callable[[], T]:
    """`functools.cache` for a dependency a layer above this one builds (the API's token
    verifier): built once per container, forgotten by `reset()`."""
    cached = cache(build)
    _BUILT_ABOVE.append(cached)
    return cached


@cache
def settings() -> Settings:
    return Settings.from_env(os.environ)


@cache
def aws_client(service: str):
    """A client whose calls are retried 5 times (retries.py); what still fails raises, the
    invoke fails, and Lambda retries the event."""
    # Presigned S3 links are SigV4 (SigV2 is deprecated and fails in newer regions).
    config = CONFIG.merge(Config(signature_version="s3v4")) if service == "s3" else CONFIG
    client = boto3.client(service, config=config)
    keep_retrying(client)
    return client


@cache
def decision_store() -> DecisionStore:
    return DecisionStore(aws_client("dynamodb"), settings().decisions_table)


@cache
def moderation_room() -> ModerationRoom:
    return ModerationRoom(aws_client("ivschat"), settings().moderation_room_arn)


def now() -> datetime:
    return datetime.now(UTC)


@cache
def channel_store() -> ChannelStore:
    return ChannelStore(aws_client("dynamodb"), settings().channels_table)


@cache
def channel_names() -> ChannelNames:
    return ChannelNames(aws_client("ivs"), channel_store(), now)


@cache
def incidents() -> Incidents:
    config = settings()
    return Incidents(
        store=IncidentStore(aws_client("dynamodb"), config.incidents_table),
        channels=channel_store(),
        decisions=decision_store(),
        room=moderation_room(),
        update_interval=timedelta(seconds=config.incident_update_seconds),
        quiet_for=timedelta(seconds=config.dismissal_quiet_seconds),
        ttl_days=config.flagged_decision_ttl_days,
        clock=now,
    )


@cache
def incident_handling() -> IncidentHandling:
    return IncidentHandling(incidents=incidents(), channels=channel_store())


@cache
def stops() -> Stops:
    return Stops(
        ivs=aws_client("ivs"),
        decisions=decision_store(),
        channels=channel_store(),
        incidents=incidents(),
        clock=now,
    )


@cache
def thumbnail_moderator() -> ThumbnailModerator:
    return ThumbnailModerator(
        settings=settings(),
        rekognition=aws_client("rekognition"),
        s3=aws_client("s3"),
        ivs=aws_client("ivs"),
        room=moderation_room(),
        store=decision_store(),
        incidents=incidents(),
        names=channel_names(),
        blind=blind_notices(),
        metrics=metrics(),
        clock=now,
    )


@cache
def blind_notices() -> BlindNotices:
    return BlindNotices(
        channels=channel_store(),
        room=moderation_room(),
        interval=timedelta(seconds=settings().incident_update_seconds),
        clock=now,
    )


@cache
def failed_frames() -> FailedFrames:
    return FailedFrames(
        settings=settings(),
        store=decision_store(),
        names=channel_names(),
        blind=blind_notices(),
        metrics=metrics(),
        clock=now,
        finish=thumbnail_moderator().moderate,
    )


@cache
def stream_states() -> StreamStates:
    return StreamStates(
        ivs=aws_client("ivs"),
        channels=channel_store(),
        incidents=incidents(),
        room=moderation_room(),
        clock=now,
    )


@cache
def idempotency_config() -> IdempotencyConfig:
    return IdempotencyConfig(
        event_key_jmespath=IDEMPOTENCY_KEY_JMESPATH,
        expires_after_seconds=IDEMPOTENCY_TTL_SECONDS,
        response_hook=answered_from_record,
    )


@cache
def moderate_once():
    """`thumbnail_moderator().moderate`, at most once per object write (Powertools)."""
    store = DynamoDBPersistenceLayer(
        table_name=settings().idempotency_table, boto3_client=aws_client("dynamodb")
    )
    return idempotent_function(
        thumbnail_moderator().moderate,
        data_keyword_argument="frame",
        persistence_store=store,
        config=idempotency_config(),
    )


def reset() -> None:
    """Forget everything built: the next call reads the environment again."""
    for value in list(globals().values()):
        if getattr(value, "__module__", None) == __name__ and hasattr(value, "cache_clear"):
            value.cache_clear()
    for cached in _BUILT_ABOVE:
        cached.cache_clear()
