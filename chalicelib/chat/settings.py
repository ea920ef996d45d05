"""Chat moderation's settings, read from the stage's environment (docs/chat-moderation.md).

Apart from the stage's `Settings` so that the review handler reads only what it needs;
`ChatSettings.from_env` validates them all and names the variable at fault.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from chalicelib.core.config import ConfigError
from chalicelib.rules.toxicity import ANY_LABEL, TOXIC_LABELS

DEFAULTS = {
    "CHAT_TABLE": "",
    "CHAT_MESSAGES_QUEUE_URL": "",
    "CHAT_ALLOWED_HOSTS": "",
    "CHAT_TOXICITY_THRESHOLDS": "*=70",
    "CHAT_IMAGE_MAX_BYTES": "5242880",
    "CHAT_IMAGE_TIMEOUT_SECONDS": "3",
    "CHAT_STRIKE_WINDOW_HOURS": "24",
    "CHAT_STRIKE_TIMEOUT_AT": "3",
    "CHAT_STRIKE_TIMEOUT_MINUTES": "10",
    "CHAT_STRIKE_BAN_AT": "5",
    "CHAT_CONTEXT_MINUTES": "10",
}
_TABLE_NAME = re.compile(r"^[A-Za-z0-9_.-]{3,255}$")
_QUEUE_URL = re.compile(r"^https?://\S+/\d{12}/[A-Za-z0-9_-]{1,80}$")
_HOST = re.compile(r"^(\*\.)?([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9-]{1,63}(:\d{1,5})?$")


@dataclass(frozen=True)
class ChatSettings:
    table: str
    queue_url: str  # "" where nothing is queued from (every function but the review)
    allowed_hosts: tuple[str, ...]  # lower case; "*.example.com" matches its subdomains
    toxicity: Mapping[str, float]  # Comprehend label (or "*") -> score in percent
    image_max_bytes: int
    image_timeout_seconds: float
    strike_window_hours: int
    strike_timeout_at: int
    strike_timeout_minutes: int
    strike_ban_at: int
    context_minutes: int

    @classmethod
    def from_env(cls, environ: Mapping[str, str]) -> ChatSettings:
        env = {**DEFAULTS, **{k: v for k, v in environ.items() if k in DEFAULTS}}
        table = env["CHAT_TABLE"].strip()
        if not _TABLE_NAME.match(table):
            raise ConfigError(f"CHAT_TABLE={table!r} is not a DynamoDB table name")
        queue_url = env["CHAT_MESSAGES_QUEUE_URL"].strip()
        if queue_url and not _QUEUE_URL.match(queue_url):
            raise ConfigError(f"CHAT_MESSAGES_QUEUE_URL={queue_url!r} is not an SQS queue URL")
        timeout_at = _integer("CHAT_STRIKE_TIMEOUT_AT", env, 0, 100)
        ban_at = _integer("CHAT_STRIKE_BAN_AT", env, 0, 100)
        return cls(
            table=table,
            queue_url=queue_url,
            allowed_hosts=_hosts(env["CHAT_ALLOWED_HOSTS"]),
            toxicity=parse_toxicity(env["CHAT_TOXICITY_THRESHOLDS"]),
            image_max_bytes=_integer("CHAT_IMAGE_MAX_BYTES", env, 1024, 5 * 1024 * 1024),
            image_timeout_seconds=_integer("CHAT_IMAGE_TIMEOUT_SECONDS", env, 1, 10),
            strike_window_hours=_integer("CHAT_STRIKE_WINDOW_HOURS", env, 1, 24 * 90),
            strike_timeout_at=timeout_at,
            strike_timeout_minutes=_integer("CHAT_STRIKE_TIMEOUT_MINUTES", env, 1, 60 * 24 * 30),
            strike_ban_at=ban_at,
            context_minutes=_integer("CHAT_CONTEXT_MINUTES", env, 1, 60),
        )


def parse_toxicity(text: str) -> dict[str, float]:
    """``"*=70; PROFANITY=90"``: the score (percent) at which each label removes a message."""
    name = "CHAT_TOXICITY_THRESHOLDS"
    thresholds: dict[str, float] = {}
    for entry in (part.strip() for part in text.replace("\n", ";").split(";")):
        if not entry:
            continue
        label, sep, value = (part.strip() for part in entry.partition("="))
        label = label.upper()
        if not sep or (label not in TOXIC_LABELS and label != ANY_LABEL):
            known = ", ".join(TOXIC_LABELS)
            raise ConfigError(f"{name}: {entry!r} is not LABEL=SCORE, LABEL one of *, {known}")
        try:
            score = float(value)
        except ValueError:
            raise ConfigError(f"{name}: {value!r} is not a number") from None
        if not 0 < score <= 100 or label in thresholds:
            raise ConfigError(f"{name}: {label} must be given once, with a score in (0, 100]")
        thresholds[label] = score
    return thresholds


def _hosts(text: str) -> tuple[str, ...]:
    hosts = tuple(part.strip().lower() for part in re.split(r"[,;\s]+", text) if part.strip())
    for host in hosts:
        if not _HOST.match(host):
            raise ConfigError(f"CHAT_ALLOWED_HOSTS: {host!r} is not a host name (or *.domain)")
    return hosts


def _integer(name: str, env: Mapping[str, str], low: int, high: int) -> int:
    raw = env[name].strip()
    try:
        value = int(raw)
    except ValueError:
        raise ConfigError(f"{name}={raw!r} is not a whole number") from None
    if not low <= value <= high:
        raise ConfigError(f"{name}={raw!r} must be between {low} and {high}")
    return value
