"""POST /chat-token: a token for the moderators' chat room, where events arrive."""

from __future__ import annotations

from typing import Any

from chalicelib import dependencies
from chalicelib.api import ApiBlueprint, signed_in
from chalicelib.api.requests import json_body, query_params
from chalicelib.core.schema import ListOf, OneOf, fields
from chalicelib.room.chat import CAPABILITIES

chat = ApiBlueprint(__name__)

_FIELDS = {"capabilities": ListOf(OneOf(CAPABILITIES), max_items=10)}


@chat.route("/chat-token", methods=["POST", "OPTIONS"])
def chat_token():
    moderator = signed_in(chat)
    query_params(chat.current_request, ())
    capabilities = requested_capabilities(json_body(chat.current_request, required=False))
    config = dependencies.settings()
    token = dependencies.moderation_room().token(
        moderator.user_id, moderator.username, capabilities, config.chat_token_minutes
    )
    return {**token, "endpoint": config.chat_messaging_endpoint}


def requested_capabilities(body: dict[str, Any] | None) -> list[str]:
    """Capabilities asked for in a POST /chat-token body: none (view only) by default."""
    if body is None:
        return []
    return sorted(fields(body, _FIELDS).get("capabilities", []))
