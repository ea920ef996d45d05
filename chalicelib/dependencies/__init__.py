"""What the handlers and routes need, each built once per Lambda container on first use.

Nothing here runs at import: settings are read and clients built when a handler first
asks (and tests call `reset()` to start over with a fresh environment). Each getter
imports what it builds, so that each Lambda function loads only its own part of the
house (the API does not load the thumbnail path, nor the thumbnail function the API's).
"""

from __future__ import annotations

import os
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import cache
from typing import TYPE_CHECKING

from chalicelib.core.config import Settings

if TYPE_CHECKING:
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig

    from chalicelib.alerts.notify import AlertSender
    from chalicelib.alerts.publisher import EventPublisher
    from chalicelib.alerts.sla import SlaSweep
    from chalicelib.channels.store import ChannelNames, ChannelStore
    from chalicelib.decisions.store import DecisionStore
    from chalicelib.frames.failures import FailedFrames
    from chalicelib.frames.moderator import ThumbnailModerator
    from chalicelib.incidents.handling import IncidentHandling
    from chalicelib.incidents.service import Incidents
    from chalicelib.policies.book import PolicyBook
    from chalicelib.policies.store import PolicyStore
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
    import boto3
    from botocore.config import Config

    from chalicelib.core.retries import CONFIG, keep_retrying

    # Presigned S3 links are SigV4 (SigV2 is deprecated and fails in newer regions).
    config = CONFIG.merge(Config(signature_version="s3v4")) if service == "s3" else CONFIG
    client = boto3.client(service, config=config)
    keep_retrying(client)
    return client


@cache
def decision_store() -> DecisionStore:
    from chalicelib.decisions.store import DecisionStore

    return DecisionStore(aws_client("dynamodb"), settings().decisions_table)


@cache
def moderation_room() -> ModerationRoom:
    from chalicelib.room.chat import ModerationRoom

    return ModerationRoom(aws_client("ivschat"), settings().moderation_room_arn)


def now() -> datetime:
    return datetime.now(UTC)


@cache
def channel_store() -> ChannelStore:
    from chalicelib.channels.store import ChannelStore

    return ChannelStore(aws_client("dynamodb"), settings().channels_table)


@cache
def channel_names() -> ChannelNames:
    from chalicelib.channels.store import ChannelNames

    return ChannelNames(aws_client("ivs"), channel_store(), now)


@cache
def policy_store() -> PolicyStore:
    from chalicelib.policies.store import PolicyStore

    return PolicyStore(aws_client("dynamodb"), settings().policies_table)


@cache
def policy_book() -> PolicyBook:
    from chalicelib.core.observability import metrics
    from chalicelib.policies.book import PolicyBook

    return PolicyBook.of_stage(policy_store(), settings(), clock=now, metrics=metrics())


@cache
def incidents() -> Incidents:
    from chalicelib.incidents.service import Incidents
    from chalicelib.incidents.store import IncidentStore

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
        publisher=event_publisher(),
    )


@cache
def events_client():
    """EventBridge for publishing on the paths that must stay fast (the thumbnail's): a
    publish waits at most ~3 s (2 attempts, 0.5 s to connect, 1 s to answer) before its
    events go to the outbox; in the normal case it is one PutEvents call."""
    import boto3
    from botocore.config import Config

    config = Config(
        connect_timeout=0.5, read_timeout=1, retries={"mode": "standard", "total_max_attempts": 2}
    )
    return boto3.client("events", config=config)


@cache
def event_publisher() -> EventPublisher:
    from chalicelib.alerts.publisher import EventPublisher
    from chalicelib.core.dynamo import Table
    from chalicelib.core.observability import metrics

    def count(name: str, value: int) -> None:
        metrics().add_metric(name=name, unit="Count", value=value)

    outbox = Table(aws_client("dynamodb"), settings().incidents_table, ("incidentId",))
    return EventPublisher(events_client(), outbox, count=count, clock=now)


@cache
def sla_sweep() -> SlaSweep:
    from chalicelib.alerts.sla import SlaSweep

    config = settings()
    return SlaSweep(
        incidents=incidents(),
        publisher=event_publisher(),
        targets=config.sla_minutes,
        team=config.sla_escalation_team,
    )


@cache
def alert_sender() -> AlertSender:
    from chalicelib.alerts.notify import AlertSender

    topic = settings().alert_topic_arn
    name = topic.rsplit(":", 1)[-1].removesuffix("-alerts") or "ivs-moderation"
    return AlertSender(aws_client("sns"), topic, name=name)


@cache
def incident_handling() -> IncidentHandling:
    from chalicelib.dependencies.policies import watchlist
    from chalicelib.incidents.handling import IncidentHandling

    return IncidentHandling(incidents=incidents(), channels=channel_store(), watchlist=watchlist())


@cache
def stops() -> Stops:
    from chalicelib.dependencies.policies import watchlist
    from chalicelib.streams.stops import Stops

    return Stops(
        ivs=aws_client("ivs"),
        decisions=decision_store(),
        channels=channel_store(),
        incidents=incidents(),
        clock=now,
        watchlist=watchlist(),  # a stopped channel goes on the watchlist
    )


@cache
def thumbnail_moderator() -> ThumbnailModerator:
    from chalicelib.core.observability import metrics
    from chalicelib.frames.moderator import ThumbnailModerator

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
        book=policy_book(),
        clock=now,
    )


@cache
def blind_notices() -> BlindNotices:
    from chalicelib.room.blind import BlindNotices

    return BlindNotices(
        channels=channel_store(),
        room=moderation_room(),
        interval=timedelta(seconds=settings().incident_update_seconds),
        clock=now,
    )


@cache
def failed_frames() -> FailedFrames:
    from chalicelib.core.observability import metrics
    from chalicelib.frames.failures import FailedFrames

    return FailedFrames(
        settings=settings(),
        store=decision_store(),
        names=channel_names(),
        blind=blind_notices(),
        metrics=metrics(),
        clock=now,
        finish=lambda frame: thumbnail_moderator().moderate(frame),  # built when needed
    )


@cache
def stream_states() -> StreamStates:
    from chalicelib.streams.state import StreamStates

    return StreamStates(
        ivs=aws_client("ivs"),
        channels=channel_store(),
        incidents=incidents(),
        room=moderation_room(),
        clock=now,
    )


@cache
def idempotency_config() -> IdempotencyConfig:
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig

    from chalicelib.frames.event import IDEMPOTENCY_KEY_JMESPATH, answered_from_record

    return IdempotencyConfig(
        event_key_jmespath=IDEMPOTENCY_KEY_JMESPATH,
        expires_after_seconds=IDEMPOTENCY_TTL_SECONDS,
        response_hook=answered_from_record,
    )


@cache
def moderate_once():
    """`thumbnail_moderator().moderate`, at most once per object write (Powertools)."""
    from aws_lambda_powertools.utilities.idempotency import (
        DynamoDBPersistenceLayer,
        idempotent_function,
    )

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
