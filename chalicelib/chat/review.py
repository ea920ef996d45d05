"""The synchronous review: IVS chat's message review handler, within its 200 ms budget.

Decided here, with no call but two DynamoDB reads (each bounded by a short timeout): a user
banned or timed out from the room; a blocked term of the room or of every room (a term
whose action is `mask` is starred out and the message ALLOWed rewritten); a link or image
outside CHAT_ALLOWED_HOSTS. What is allowed is queued for the deep pass (analysis.py).

IVS applies the room's fallback when the handler fails or is late, silently: so nothing
here raises. A request that is not IVS's review request is DENIED with a reason and
logged as an error; a DynamoDB read that fails or is late falls back to the last answer
this container had (or to none: the deep pass checks bans again, and removes).
"""

from __future__ import annotations

import json
import logging
import re
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from chalicelib.chat.store import BAN, ChatStore
from chalicelib.chat.text import blocked_term, fold, host_allowed, links, term_pattern
from chalicelib.core.times import iso_time

logger = logging.getLogger(__name__)

ALLOW, DENY = "ALLOW", "DENY"
TERMS_CACHE_SECONDS = 15.0
# IVS delivers a message only once its review answered: queued without a delay, the deep
# pass could delete it before it is delivered, and it would then be shown for good. The
# review answers within 200 ms; one second later the message is in the room.
QUEUE_DELAY_SECONDS = 1  # a room's blocked terms are read at most this often per container
MASK = "mask"  # a blocked term's action that stars it out instead of denying the message
MAX_CONTENT_CHARS = 500  # IVS's maximumMessageLength at most
MAX_USER_ID_CHARS = 128
ROOM_ARN = re.compile(r"^arn:aws[a-z-]*:ivschat:[a-z0-9-]+:\d{12}:room/[A-Za-z0-9]+$")


# The review's AWS calls each get one try within these: a late answer is worth less than
# the last known one (IVS would apply the room's fallback at 200 ms anyway).
CONNECT_TIMEOUT_SECONDS = 0.1
READ_TIMEOUT_SECONDS = 0.08


def review_client(service: str):
    """A client for the 200 ms path: short timeouts, no retries."""
    import boto3
    from botocore.config import Config

    config = Config(
        connect_timeout=CONNECT_TIMEOUT_SECONDS,
        read_timeout=READ_TIMEOUT_SECONDS,
        retries={"max_attempts": 1, "mode": "standard"},
        tcp_keepalive=True,
    )
    return boto3.client(service, config=config)


class MalformedReview(ValueError):
    """Not IVS's review request."""


@dataclass(frozen=True)
class ReviewRequest:
    message_id: str
    room_arn: str
    user_id: str
    content: str
    attributes: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_event(cls, event: Any) -> ReviewRequest:
        if not isinstance(event, Mapping):
            raise MalformedReview("the review request is not a JSON object")
        sender = event.get("Sender")
        if not isinstance(sender, Mapping):
            raise MalformedReview("Sender is missing")
        content, attributes = event.get("Content"), event.get("Attributes") or {}
        room, user, message_id = event.get("RoomArn"), sender.get("UserId"), event.get("MessageId")
        if not isinstance(room, str) or not ROOM_ARN.match(room):
            raise MalformedReview("RoomArn is not an IVS chat room ARN")
        if not isinstance(user, str) or not 0 < len(user) <= MAX_USER_ID_CHARS:
            raise MalformedReview("Sender.UserId is not a user id")
        if not isinstance(message_id, str) or not 0 < len(message_id) <= 64:
            raise MalformedReview("MessageId is not a message id")
        if not isinstance(content, str) or len(content) > MAX_CONTENT_CHARS:
            raise MalformedReview("Content is not a message's text")
        if not isinstance(attributes, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in attributes.items()
        ):
            raise MalformedReview("Attributes do not map strings to strings")
        return cls(message_id, room, user, content, dict(attributes))


def answer(result: str, request: ReviewRequest | None, reason: str = "", content=None) -> dict:
    """IVS's review response; a DENY's reason is the attribute `Reason`."""
    attributes = dict(request.attributes) if request else {}
    if reason:
        attributes["Reason"] = reason
    text = content if content is not None else (request.content if request else "")
    return {"ReviewResult": result, "Content": text, "Attributes": attributes}


def decide(
    request: ReviewRequest,
    *,
    ban: Mapping[str, Any] | None,
    terms: list[Mapping[str, Any]],
    allowed_hosts: tuple[str, ...],
) -> tuple[str, str, str | None]:
    """(ALLOW or DENY, the reason, the rewritten content or None)."""
    if ban is not None:
        if ban["kind"] == BAN:
            return DENY, "You are banned from this chat.", None
        return DENY, f"You are timed out of this chat until {ban['until']}.", None
    texts = [request.content, *request.attributes.values()]
    denying = [t["term"] for t in terms if t.get("action") != MASK]
    term = blocked_term(texts, denying)
    if term is not None:
        return DENY, "Your message contains a blocked term.", None
    outside = [link for link in links(texts) if not host_allowed(link.host, allowed_hosts)]
    if outside:
        return DENY, f"Links to {outside[0].host or 'that site'} are not allowed here.", None
    masked = _masked(request.content, [t["term"] for t in terms if t.get("action") == MASK])
    if masked != request.content:
        return ALLOW, "masked", masked
    return ALLOW, "", None


def _masked(content: str, terms: list[str]) -> str:
    """The content with masked terms starred out: in the text as written where they match
    it, else in its folded form (a term hidden with look-alike characters)."""
    for term in terms:
        pattern = re.compile(term_pattern(term).pattern, re.IGNORECASE)
        if not pattern.search(content) and pattern.search(fold(content)):
            content = fold(content)
        content = pattern.sub(lambda m: "*" * len(m.group(0)), content)
    return content


class Reviewer:
    """The review of one container: the store, the queue to the deep pass, small caches."""

    def __init__(
        self,
        *,
        store: ChatStore,
        sqs,
        queue_url: str,
        allowed_hosts: tuple[str, ...],
        clock: Callable[[], datetime],
    ) -> None:
        self._store = store
        self._sqs = sqs
        self._queue_url = queue_url
        self._allowed = allowed_hosts
        self._clock = clock
        self._terms: dict[str, tuple[float, list[dict[str, Any]]]] = {}
        self._bans: dict[tuple[str, str], dict[str, Any] | None] = {}

    def review(self, event: Any) -> dict[str, Any]:
        try:
            request = ReviewRequest.from_event(event)
        except MalformedReview as error:
            logger.error("review request refused", extra={"error": str(error)})
            return answer(DENY, None, "This message could not be checked.")
        try:
            now = self._clock()
            result, reason, content = decide(
                request,
                ban=self._ban(request, now),
                terms=self._room_terms(request.room_arn, now),
                allowed_hosts=self._allowed,
            )
        except Exception:  # never hand the decision to the room's fallback silently
            logger.exception("review failed: allowed, for the deep pass to check")
            result, reason, content = ALLOW, "", None
        if result == ALLOW:
            self._queue(request, content, reviewed="REWRITTEN" if content is not None else ALLOW)
        else:
            logger.info("message denied", extra={"room": request.room_arn, "reason": reason})
        return answer(result, request, reason if result == DENY else "", content)

    def _ban(self, request: ReviewRequest, now: datetime) -> dict[str, Any] | None:
        key = (request.room_arn, request.user_id)
        try:
            self._bans[key] = self._store.ban_in_force(request.room_arn, request.user_id, now)
        except Exception as error:  # late or failed: what this container knew
            logger.warning("ban lookup failed: last known answer", extra={"error": str(error)})
        ban = self._bans.get(key)
        if ban is None or (ban.get("until") and ban["until"] <= iso_time(now)):
            return None
        return ban

    def _room_terms(self, room_arn: str, now: datetime) -> list[dict[str, Any]]:
        read_at, terms = self._terms.get(room_arn, (0.0, []))
        if time.monotonic() - read_at >= TERMS_CACHE_SECONDS:
            try:
                terms = self._store.terms(room_arn, now)
                self._terms[room_arn] = (time.monotonic(), terms)
            except Exception as error:
                logger.warning("blocked terms not read: last known", extra={"error": str(error)})
        return terms

    def _queue(self, request: ReviewRequest, content: str | None, reviewed: str) -> None:
        body = {
            "id": request.message_id,
            "roomArn": request.room_arn,
            "userId": request.user_id,
            "content": content if content is not None else request.content,
            "attributes": dict(request.attributes),
            "sentAt": iso_time(self._clock()),
            "source": "review",
            "reviewed": reviewed,
        }
        try:
            self._sqs.send_message(
                QueueUrl=self._queue_url,
                MessageBody=json.dumps(body),
                DelaySeconds=QUEUE_DELAY_SECONDS,
            )
        except Exception as error:  # chat logging brings it to the deep pass as well
            logger.warning("message not queued: chat logging will", extra={"error": str(error)})
