"""The deep pass: every message sent to a moderated room, checked in depth, once.

Messages arrive on the chat queue from the review handler (what it allowed) and from chat
logging (everything delivered, including what IVS let through by fallback); the same
message by both ways is decided once (Powertools idempotency, keyed by room and id,
handlers/chat.py). Checked, in order: a ban or timeout in force; the room's blocked terms;
links outside CHAT_ALLOWED_HOSTS; the text with Amazon Comprehend DetectToxicContent
against the room's channel's policy `chat.toxicity` (docs/policies.md), or
CHAT_TOXICITY_THRESHOLDS when it sets none; images the message points to (images.py) with Amazon
Rekognition DetectModerationLabels against the stage's alert thresholds.

A violating message is deleted (DeleteMessage, with the reason), the room is told in a
MODERATION_NOTICE event, and the message joins its user's chat incident (service.py). An
image that may not or cannot be fetched is removed as unverifiable: a chat message never
makes this service fetch an arbitrary URL, nor slips through because it could not be seen.
What is clean is kept only as context, for CHAT_CONTEXT_MINUTES. A failure of Comprehend,
Rekognition or IVS after the client's retries raises: the message is received again, and
after the queue's retries it waits in the dead-letter queue, under an alarm.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from chalicelib.chat import images
from chalicelib.chat.incidents import FlaggedMessage
from chalicelib.chat.review import MalformedReview, ReviewRequest
from chalicelib.chat.rooms import ViewerRooms
from chalicelib.chat.service import ChatIncidents
from chalicelib.chat.settings import ANY_LABEL, ChatSettings
from chalicelib.chat.store import BAN, ChatStore
from chalicelib.chat.text import blocked_term, host_allowed, links
from chalicelib.core.detection import UnscannableImage, detect_moderation_labels
from chalicelib.core.times import iso_time, parse_time
from chalicelib.rules.policy import Policy

logger = logging.getLogger(__name__)

SEGMENT_BYTES = 1000  # DetectToxicContent: each text segment at most 1 KB
LANGUAGE = "en"  # the only language DetectToxicContent supports today
SOURCES = ("review", "log")


class MalformedMessage(ValueError):
    """A queued message that is not one (docs/chat-moderation.md)."""


@dataclass(frozen=True)
class QueuedMessage:
    id: str
    room_arn: str
    user_id: str
    content: str
    sent_at: str
    source: str
    attributes: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_body(cls, body: Mapping[str, Any]) -> QueuedMessage:
        if not isinstance(body, Mapping):
            raise MalformedMessage("the queued message is not a JSON object")
        try:
            request = ReviewRequest.from_event(
                {
                    "MessageId": body.get("id"),
                    "RoomArn": body.get("roomArn"),
                    "Content": body.get("content"),
                    "Attributes": body.get("attributes") or {},
                    "Sender": {"UserId": body.get("userId")},
                }
            )
            sent_at = iso_time(parse_time(str(body.get("sentAt"))))
        except (MalformedReview, ValueError) as error:
            raise MalformedMessage(str(error)) from None
        source = body.get("source")
        if source not in SOURCES:
            raise MalformedMessage(f"source must be one of {', '.join(SOURCES)}")
        return cls(
            request.message_id,
            request.room_arn,
            request.user_id,
            request.content,
            sent_at,
            source,
            request.attributes,
        )

    def as_context(self) -> dict[str, str]:
        return {
            "id": self.id,
            "roomArn": self.room_arn,
            "userId": self.user_id,
            "content": self.content,
            "sentAt": self.sent_at,
        }


class DeepPass:
    def __init__(
        self,
        *,
        settings: ChatSettings,
        policy: Policy,
        min_confidence: float,
        store: ChatStore,
        comprehend,
        rekognition,
        rooms: ViewerRooms,
        incidents: ChatIncidents,
        clock: Callable[[], datetime],
        fetch: Callable[..., bytes] | None = None,  # images.fetch
        # the room's channel's policy's toxicity thresholds (None: the stage's)
        toxicity_for: Callable[[str], Mapping[str, float] | None] = lambda room_arn: None,
    ) -> None:
        self._toxicity_for = toxicity_for
        self._settings = settings
        self._policy = policy
        self._min_confidence = min_confidence
        self._store = store
        self._comprehend = comprehend
        self._rekognition = rekognition
        self._rooms = rooms
        self._incidents = incidents
        self._clock = clock
        self._fetch = fetch or images.fetch

    def moderate(self, message: QueuedMessage) -> dict[str, Any]:
        """What was decided, as the idempotency record keeps it."""
        now = self._clock()
        self._store.keep_as_context(
            message.as_context(),
            int((now + timedelta(minutes=self._settings.context_minutes)).timestamp()),
        )
        ban = self._store.ban_in_force(message.room_arn, message.user_id, now)
        if ban is not None:  # let through by the room's fallback, or sent just before
            reason = "sent while banned" if ban["kind"] == BAN else "sent while timed out"
            self._remove(message, f"A message was removed: {reason}.")
            return {"decision": "removed", "reason": reason, "incidentId": None}
        flagged = self._violation(message)
        if flagged is None:
            return {"decision": "clean"}
        self._remove(message, f"A message was removed: {flagged.reason}.")
        outcome = self._incidents.record(flagged)
        logger.info(
            "chat message removed",
            extra={
                "room": message.room_arn,
                "incident": outcome.incident_id,
                "why": flagged.reason,
            },
        )
        return {
            "decision": "removed",
            "reason": flagged.reason,
            "incidentId": outcome.incident_id,
            "strikes": outcome.strikes,
            "timedOutUntil": outcome.timed_out_until,
        }

    def _violation(self, message: QueuedMessage) -> FlaggedMessage | None:
        texts = [message.content, *message.attributes.values()]
        now = self._clock()
        terms = [t["term"] for t in self._store.terms(message.room_arn, now)]
        term = blocked_term(texts, terms)
        if term is not None:
            return self._flagged(message, "a blocked term", [("Blocked term", term, 100.0)], "term")
        allowed = self._settings.allowed_hosts
        outside = [link for link in links(texts) if not host_allowed(link.host, allowed)]
        if outside:
            host = outside[0].host or "an address"
            return self._flagged(message, f"a link to {host}", [("Link", host, 100.0)], "link")
        toxic = self._toxicity(message.content, message.room_arn)
        if toxic:
            names = ", ".join(label.lower().replace("_", " ") for _, label, _ in toxic)
            return self._flagged(message, names, toxic, "comprehend")
        return self._image_violation(message)

    def _toxicity(self, content: str, room_arn: str) -> list[tuple[str, str, float]]:
        """Comprehend's labels at or over their thresholds, strongest first."""
        if not content.strip():
            return []
        thresholds = self._toxicity_for(room_arn) or self._settings.toxicity
        response = self._comprehend.detect_toxic_content(
            TextSegments=[{"Text": part} for part in segments(content)], LanguageCode=LANGUAGE
        )
        found: dict[str, float] = {}
        for result in response.get("ResultList", []):
            for label in result.get("Labels", []):
                name, score = label.get("Name", ""), float(label.get("Score", 0.0)) * 100
                threshold = thresholds.get(name, thresholds.get(ANY_LABEL))
                if threshold is not None and score >= threshold:
                    found[name] = max(score, found.get(name, 0.0))
        ranked = sorted(found.items(), key=lambda item: -item[1])
        return [(name, name, score) for name, score in ranked]

    def _image_violation(self, message: QueuedMessage) -> FlaggedMessage | None:
        for url in images.image_urls(message.attributes):
            try:
                data = self._fetch(
                    images.check_url(url, self._settings.allowed_hosts),
                    max_bytes=self._settings.image_max_bytes,
                    timeout=self._settings.image_timeout_seconds,
                )
                detection = detect_moderation_labels(self._rekognition, data, self._min_confidence)
            except (images.Unfetchable, UnscannableImage) as error:
                why = f"an image that could not be checked ({error})"
                return self._flagged(
                    message, why, [("Unverifiable image", "image", 100.0)], "image"
                )
            verdict = self._policy.evaluate(detection.labels)
            if verdict.top_label is not None:
                labels = [(lb.category, lb.name, lb.confidence) for lb in verdict.by_category]
                reason = f"an image showing {verdict.top_label.name.lower()}"
                return self._flagged(message, reason, labels, "rekognition")
        return None

    def _flagged(self, message: QueuedMessage, reason: str, labels, source: str):
        return FlaggedMessage(
            id=message.id,
            room_arn=message.room_arn,
            user_id=message.user_id,
            content=message.content,
            sent_at=message.sent_at,
            reason=reason,
            labels=tuple(labels),
            source=source,
            attributes=dict(message.attributes),
        )

    def _remove(self, message: QueuedMessage, reason: str) -> None:
        self._rooms.delete_message(message.room_arn, message.id, reason)
        self._rooms.notice(message.room_arn, {"messageId": message.id, "reason": reason})


def segments(text: str) -> list[str]:
    """The text in pieces of at most SEGMENT_BYTES of UTF-8, at most 10 (Comprehend's limits;
    a chat message of 500 code points is at most 2 KB)."""
    parts, current = [], ""
    for char in text:
        if len((current + char).encode()) > SEGMENT_BYTES:
            parts.append(current)
            current = ""
        current += char
    return [*parts, current][:10]
