"""`make chat-rooms STAGE=... ROOMS='arn ...'|all`: the viewers' IVS chat rooms the stage
moderates (docs/chat-moderation.md).

Attaching a room: the function's resource policy lets IVS chat invoke the stage's
review_chat_message for that room (one statement per room); the function becomes the room's
message review handler (`fallbackResult` ALLOW, or DENY for child-safe rooms: a message the
handler could not review in time is then refused); the stage's chat logging configuration
joins the room's own (IVS takes 3); with CHANNEL, the room names its channel (tag
`moderation-channel`). Detaching removes the handler, the logging configuration and the
statement; the tag stays. Every room is checked before any is changed; re-running is
harmless.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import botocore.exceptions

from scripts.deploy import channels, operations
from scripts.deploy.naming import Refusal

FUNCTION = "review_chat_message"
CHANNEL_TAG = "moderation-channel"  # chalicelib/chat/rooms.py reads it
FALLBACKS = ("ALLOW", "DENY")
MAX_LOGGING_CONFIGURATIONS = 3  # per room (IVS chat)
PRINCIPAL = "ivschat.amazonaws.com"
_ROOM_ARN = re.compile(r"^arn:aws[a-z-]*:ivschat:([a-z0-9-]+):(\d{12}):room/([A-Za-z0-9]+)$")


@dataclass(frozen=True)
class StageChat:
    """What a deployed stage attaches to a room."""

    stage: str
    account: str
    region: str
    handler: str  # review_chat_message's ARN
    logging: str  # the chat logging configuration's ARN
    moderators_room: str

    def owns(self, uri: str) -> bool:
        """The handler is this stage's function (an alias or version of it too)."""
        return bool(uri) and uri.split(":")[:7] == self.handler.split(":")[:7]


def stage_chat(
    stage: str, account: str, region: str, outputs: Mapping[str, str], deployed: Mapping
) -> StageChat:
    function = deployed.get(FUNCTION, {}).get("lambda_arn", "")
    if not function or "ChatLoggingConfigurationArn" not in outputs:
        raise Refusal(
            f"stage {stage} has no chat review function deployed in account {account}, "
            f"{region}: make deploy STAGE={stage} first"
        )
    return StageChat(
        stage=stage,
        account=account,
        region=region,
        handler=function,
        logging=outputs["ChatLoggingConfigurationArn"],
        moderators_room=outputs["ModerationRoomArn"],
    )


def all_rooms(ivschat, chat: StageChat) -> list[str]:
    """Every room of the account and region but the stage's moderators' room."""
    return [arn for arn in _listed(ivschat, {}) if arn != chat.moderators_room]


def stage_rooms(ivschat, chat: StageChat) -> list[str]:
    """The rooms the stage moderates: its handler's, or logging through its configuration."""
    handled = _listed(ivschat, {"messageReviewHandlerUri": chat.handler})
    logged = _listed(ivschat, {"loggingConfigurationIdentifier": chat.logging})
    return list(dict.fromkeys(handled + logged))


def check(
    ivschat,
    arns: Iterable[str],
    chat: StageChat,
    *,
    detach: bool = False,
    force: bool = False,
    channel: str = "",
) -> list[dict[str, Any]]:
    """The rooms as IVS has them, or a refusal naming the first that cannot be changed."""
    arns = list(dict.fromkeys(arns))
    if channel:
        channels.check_arns([channel], chat.account, chat.region)
        if len(arns) != 1:
            raise Refusal(
                f"CHANNEL names one room's channel: give one room with it ({len(arns)} given)"
            )
    rooms = []
    for arn in arns:
        match = _ROOM_ARN.match(arn)
        if not match:
            raise Refusal(
                f"{arn!r} is not an IVS chat room ARN (arn:aws:ivschat:REGION:ACCOUNT:room/ID)"
            )
        if (match.group(1), match.group(2)) != (chat.region, chat.account):
            raise Refusal(
                f"{arn} is in {match.group(2)}, {match.group(1)}; stage {chat.stage} moderates "
                f"rooms of {chat.account}, {chat.region} only (IVS calls a review handler of the "
                "room's own account and region)"
            )
        if arn == chat.moderators_room:
            raise Refusal(f"{arn} is stage {chat.stage}'s moderators' room, not a viewers' room")
        try:
            room = ivschat.get_room(identifier=arn)
        except botocore.exceptions.ClientError as error:
            if error.response["Error"].get("Code") == "ResourceNotFoundException":
                raise Refusal(f"no room {arn} in {chat.account}, {chat.region}") from None
            raise
        uri = room.get("messageReviewHandler", {}).get("uri", "")
        if not detach and uri and not chat.owns(uri) and not force:
            raise Refusal(
                f"room {_label(room)} has another review handler ({uri}): FORCE=yes (--force) "
                f"replaces it with stage {chat.stage}'s"
            )
        logging = room.get("loggingConfigurationIdentifiers", [])
        full = len(logging) >= MAX_LOGGING_CONFIGURATIONS
        if not detach and chat.logging not in logging and full:
            raise Refusal(
                f"room {_label(room)} has {len(logging)} logging configurations, IVS's most: "
                "remove one from it first"
            )
        rooms.append(room)
    return rooms


def attach(
    ivschat,
    lambda_client,
    rooms: Iterable[Mapping[str, Any]],
    chat: StageChat,
    say: Callable[[str], None],
    *,
    fallback: str = "ALLOW",
    channel: str = "",
) -> None:
    for room in rooms:
        arn = room["arn"]
        # First the permission: the room never calls a function that would refuse it.
        _allow(lambda_client, chat, arn)
        logging = list(room.get("loggingConfigurationIdentifiers", []))
        if chat.logging not in logging:
            logging.append(chat.logging)
        ivschat.update_room(
            identifier=arn,
            messageReviewHandler={"uri": chat.handler, "fallbackResult": fallback},
            loggingConfigurationIdentifiers=logging,
        )
        if channel:
            ivschat.tag_resource(resourceArn=arn, tags={CHANNEL_TAG: channel})
        named = f", channel {channel}" if channel else ""
        say(f"  {_label(room)}: moderated (fallback {fallback}{named})")


def detach(
    ivschat, lambda_client, rooms: Iterable[Mapping[str, Any]], chat: StageChat, say
) -> None:
    for room in rooms:
        arn = room["arn"]
        uri = room.get("messageReviewHandler", {}).get("uri", "")
        logging = list(room.get("loggingConfigurationIdentifiers", []))
        changes: dict[str, Any] = {}
        if chat.owns(uri):
            changes["messageReviewHandler"] = {"uri": ""}
        if chat.logging in logging:
            changes["loggingConfigurationIdentifiers"] = [i for i in logging if i != chat.logging]
        if changes:
            ivschat.update_room(identifier=arn, **changes)
        operations.remove_permission(lambda_client, chat.handler, statement_id(arn))
        done = "no longer moderated" if changes else "not moderated by this stage"
        if uri and not chat.owns(uri):
            done += f" (its review handler {uri} is another's: left as it is)"
        say(f"  {_label(room)}: {done}")


def statement_id(room_arn: str) -> str:
    """The function's resource policy statement for one room."""
    return f"ivschat-room-{room_arn.rsplit('/', 1)[1]}"


def _allow(lambda_client, chat: StageChat, room_arn: str) -> None:
    sid = statement_id(room_arn)
    wanted = {"Principal": PRINCIPAL, "SourceArn": room_arn}
    if operations.permission_of(lambda_client, chat.handler, sid) == wanted:
        return
    operations.remove_permission(lambda_client, chat.handler, sid)
    lambda_client.add_permission(
        FunctionName=chat.handler,
        StatementId=sid,
        Action="lambda:InvokeFunction",
        Principal=PRINCIPAL,
        SourceArn=room_arn,
        SourceAccount=chat.account,
    )


def _listed(ivschat, request: Mapping[str, str]) -> list[str]:
    arns, token = [], None
    while True:
        more = {"nextToken": token} if token else {}
        page = ivschat.list_rooms(maxResults=50, **request, **more)
        arns.extend(room["arn"] for room in page["rooms"])
        token = page.get("nextToken")
        if not token:
            return arns


def _label(room: Mapping[str, Any]) -> str:
    return room.get("name") or room["arn"]
