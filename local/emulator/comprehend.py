"""Amazon Comprehend DetectToxicContent, with declared scores instead of a model.

The wire protocol is awsJson1_1 (``X-Amz-Target: Comprehend_20171127.DetectToxicContent``,
SigV4 scope ``…/comprehend/aws4_request``): botocore's model lists smithy-rpc-v2-cbor first
and json second, and boto3 speaks json to it.

No model runs here. A text segment's scores are, in this order:

1. those declared for its exact text (admin ``PUT /_emulator/toxicity {"text", "labels"}``);
2. else the highest of every ``contains`` rule whose word or phrase it contains (case and
   accents folded, whole words: ``{"contains": "idiot"}`` matches "You IDIOT!");
3. else, for a word of `ABUSIVE_WORDS` (a built-in list, so that the local stack's abusive
   chatter is flagged without declarations), `ABUSIVE_SCORES`;
4. else `BASELINE_SCORE` for every label.

Labels not declared get `BASELINE_SCORE`; every result lists the seven labels, and its
Toxicity is the highest label score. Requests are checked as Comprehend checks them:
1 to 10 segments (InvalidRequestException), each at most 1 KB and 10 KB in all, counted
in UTF-8 bytes (TextSizeLimitExceededException), English only (UnsupportedLanguageException
for the model's other languages).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping
from typing import Any

from local.emulator.faults import Faults
from local.emulator.wire import AdminError, ApiError, AwsJsonService, Params

LABEL_NAMES = (
    "GRAPHIC",
    "HARASSMENT_OR_ABUSE",
    "HATE_SPEECH",
    "INSULT",
    "PROFANITY",
    "SEXUAL",
    "VIOLENCE_OR_THREAT",
)
SUPPORTED_LANGUAGES = frozenset({"en"})
MAX_SEGMENTS = 10
MAX_SEGMENT_BYTES = 1024
MAX_TOTAL_BYTES = 10 * 1024
BASELINE_SCORE = 0.01
# A handful of English insults: any of them, as a whole word, scores these.
ABUSIVE_WORDS = ("idiot", "moron", "loser", "stupid", "dumbass", "jerk", "scum", "trash")
ABUSIVE_SCORES: Mapping[str, float] = {
    "INSULT": 0.92,
    "PROFANITY": 0.81,
    "HARASSMENT_OR_ABUSE": 0.64,
}


def folded(text: str) -> str:
    """Lowercase without accents or compatibility forms: what rules are matched on."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def _contains(text: str, phrase: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(folded(phrase))}(?!\w)", folded(text)) is not None


def result_for(scores: Mapping[str, float]) -> dict[str, Any]:
    """One entry of ResultList: all seven labels, Toxicity their highest score."""
    labels = [{"Name": name, "Score": scores.get(name, BASELINE_SCORE)} for name in LABEL_NAMES]
    return {"Labels": labels, "Toxicity": max(label["Score"] for label in labels)}


class ToxicityDeclarations:
    """Scores declared per exact text and per contained word (admin: /_emulator/toxicity)."""

    def __init__(self) -> None:
        self.by_text: dict[str, dict[str, float]] = {}
        self.contains: dict[str, dict[str, float]] = {}

    def declare(self, body: Any) -> dict[str, Any]:
        """Apply ``{"text"|"contains": ..., "labels": {"INSULT": 0.91}}``."""
        if not isinstance(body, dict) or len({"text", "contains"} & set(body)) != 1:
            raise AdminError(400, 'give exactly one of "text" or "contains", and "labels"')
        key = "text" if "text" in body else "contains"
        value = body[key]
        if not isinstance(value, str) or not value.strip():
            raise AdminError(400, f"{key} must be a non-empty string")
        labels = _parse_scores(body.get("labels"))
        (self.by_text if key == "text" else self.contains)[value] = labels
        return {key: value, "labels": labels}

    def forget(self, text: str | None = None, contains: str | None = None) -> None:
        """Forget one declaration, or all of them when neither is named."""
        if text is None and contains is None:
            self.by_text.clear()
            self.contains.clear()
        if text is not None:
            self.by_text.pop(text, None)
        if contains is not None:
            self.contains.pop(contains, None)

    def scores(self, text: str) -> dict[str, float]:
        if text in self.by_text:
            return self.by_text[text]
        matched = [labels for phrase, labels in self.contains.items() if _contains(text, phrase)]
        if matched:
            return {name: max(m.get(name, BASELINE_SCORE) for m in matched) for name in LABEL_NAMES}
        if any(_contains(text, word) for word in ABUSIVE_WORDS):
            return dict(ABUSIVE_SCORES)
        return {}

    def snapshot(self) -> dict[str, Any]:
        return {
            "byText": dict(self.by_text),
            "contains": dict(self.contains),
            "defaultWords": list(ABUSIVE_WORDS),
        }


def _parse_scores(labels: Any) -> dict[str, float]:
    if not isinstance(labels, dict):
        raise AdminError(400, 'labels must be an object {"INSULT": 0.91, ...} ({} for clean)')
    for name, score in labels.items():
        if name not in LABEL_NAMES:
            raise AdminError(400, f"{name!r} is not one of {', '.join(LABEL_NAMES)}")
        if isinstance(score, bool) or not isinstance(score, int | float) or not 0 <= score <= 1:
            raise AdminError(400, f"{name}: the score must be a number between 0 and 1")
    return {name: float(score) for name, score in labels.items()}


class Comprehend(AwsJsonService):
    name = "comprehend"
    message_field = "Message"
    internal_error_code = "InternalServerException"

    def __init__(self, faults: Faults) -> None:
        super().__init__(faults)
        self.toxicity = ToxicityDeclarations()
        self.operations = {"DetectToxicContent": self.detect_toxic_content}

    # The model has no throttling error; Comprehend answers ThrottlingException 400, as its
    # API reference's common errors give it.
    def throttled(self, params: Params) -> ApiError:
        return self.error("ThrottlingException", "Rate exceeded", 400)

    async def detect_toxic_content(self, params: Params, request_id: str) -> dict[str, Any]:
        language = params["LanguageCode"]
        if language not in SUPPORTED_LANGUAGES:
            raise self.error(
                "UnsupportedLanguageException",
                f"DetectToxicContent does not support the language {language!r}; it supports "
                f"{', '.join(sorted(SUPPORTED_LANGUAGES))}",
            )
        texts = [segment["Text"] for segment in params["TextSegments"]]
        if len(texts) > MAX_SEGMENTS:
            raise self.error(
                "InvalidRequestException",
                f"TextSegments may hold at most {MAX_SEGMENTS} segments, got {len(texts)}",
                Reason="INVALID_DOCUMENT",
            )
        sizes = [len(text.encode()) for text in texts]
        if max(sizes) > MAX_SEGMENT_BYTES or sum(sizes) > MAX_TOTAL_BYTES:
            raise self.error(
                "TextSizeLimitExceededException",
                f"Input text size exceeds limit. Max length of each segment is "
                f"{MAX_SEGMENT_BYTES} bytes, of all segments {MAX_TOTAL_BYTES} bytes",
            )
        return {"ResultList": [result_for(self.toxicity.scores(text)) for text in texts]}
