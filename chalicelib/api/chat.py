"""POST /chat-token: a token for the moderators' chat room, where events arrive."""

from __future__ import annotations

from chalice import Blueprint

from chalicelib import dependencies
from chalicelib.api import signed_in
from chalicelib.chat import requested_capabilities

chat = Blueprint(__name__)


@chat.route("/chat-token", methods=["POST", "OPTIONS"])
def chat_token():
    moderator = signed_in(chat)
    capabilities = requested_capabilities(chat.current_request.json_body)
    config = dependencies.settings()
    token = dependencies.moderation_room().token(
        moderator.user_id, moderator.username, capabilities, config.chat_token_minutes
    )
    return {**token, "endpoint": config.chat_messaging_endpoint}
