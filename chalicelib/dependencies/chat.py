"""Chat moderation's parts (chalicelib/chat/), each built once per container on first use,
as the rest of the house's are (dependencies/__init__.py)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from chalicelib import dependencies
from chalicelib.dependencies import once

if TYPE_CHECKING:
    from chalicelib.chat.actions import ChatActions
    from chalicelib.chat.analysis import DeepPass
    from chalicelib.chat.review import Reviewer
    from chalicelib.chat.rooms import ViewerRooms
    from chalicelib.chat.settings import ChatSettings
    from chalicelib.chat.store import ChatStore


@once
def chat_settings() -> ChatSettings:
    from chalicelib.chat.settings import ChatSettings

    return ChatSettings.from_env(os.environ)


@once
def chat_store() -> ChatStore:
    from chalicelib.chat.store import ChatStore

    return ChatStore(dependencies.aws_client("dynamodb"), chat_settings().table)


@once
def reviewer() -> Reviewer:
    from chalicelib.chat.review import Reviewer, review_client

    config = chat_settings()
    return Reviewer(
        store=chat_store_for_review(),
        sqs=review_client("sqs"),
        queue_url=config.queue_url,
        allowed_hosts=config.allowed_hosts,
        clock=dependencies.now,
    )


@once
def chat_store_for_review() -> ChatStore:
    from chalicelib.chat.review import review_client
    from chalicelib.chat.store import ChatStore

    return ChatStore(review_client("dynamodb"), chat_settings().table)


@once
def viewer_rooms() -> ViewerRooms:
    from chalicelib.chat.rooms import ViewerRooms

    return ViewerRooms(dependencies.aws_client("ivschat"))


@once
def deep_pass() -> DeepPass:
    from chalicelib.chat.analysis import DeepPass
    from chalicelib.chat.service import ChatIncidents

    config, stage = chat_settings(), dependencies.settings()
    incidents = ChatIncidents(
        incidents=dependencies.incidents(),
        store=chat_store(),
        rooms=viewer_rooms(),
        settings=config,
        clock=dependencies.now,
        channel_name=lambda arn: dependencies.channel_store().get(arn).get("name", ""),
    )
    return DeepPass(
        settings=config,
        policy=stage.policy,
        min_confidence=stage.min_confidence,
        store=chat_store(),
        comprehend=dependencies.aws_client("comprehend"),
        rekognition=dependencies.aws_client("rekognition"),
        rooms=viewer_rooms(),
        incidents=incidents,
        clock=dependencies.now,
        toxicity_for=room_toxicity,
    )


def room_toxicity(room_arn: str) -> Mapping[str, float] | None:
    """The `chat.toxicity` of the policy of the room's channel (None: the stage's). The
    channel's name and tags are those the thumbnail path last read from IVS."""
    channel_arn = viewer_rooms().link(room_arn)["channelArn"]
    if not channel_arn:
        return None
    known = dependencies.channel_store().get(channel_arn)
    name, tags = known.get("name", ""), known.get("tags") or {}
    book = dependencies.policy_book()
    return book.resolve(channel_arn, name, tags, dependencies.now()).chat_toxicity


@once
def chat_actions() -> ChatActions:
    from chalicelib.chat.actions import ChatActions

    return ChatActions(
        incidents=dependencies.incidents(),
        store=chat_store(),
        rooms=viewer_rooms(),
        clock=dependencies.now,
    )


@once
def chat_idempotency_config():
    from aws_lambda_powertools.utilities.idempotency import IdempotencyConfig

    return IdempotencyConfig(
        event_key_jmespath="[room_arn, id]",
        expires_after_seconds=dependencies.IDEMPOTENCY_TTL_SECONDS,
    )


@once
def moderate_once():
    """The deep pass over one message, at most once per room and message id (Powertools)."""
    from aws_lambda_powertools.utilities.idempotency import (
        DynamoDBPersistenceLayer,
        idempotent_function,
    )

    from chalicelib.chat.analysis import QueuedMessage

    store = DynamoDBPersistenceLayer(
        table_name=dependencies.settings().idempotency_table,
        boto3_client=dependencies.aws_client("dynamodb"),
    )

    def moderate(message: dict[str, Any]) -> dict[str, Any]:
        return deep_pass().moderate(QueuedMessage(**message))

    return idempotent_function(
        moderate,
        data_keyword_argument="message",
        persistence_store=store,
        config=chat_idempotency_config(),
    )
