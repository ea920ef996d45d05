"""Reading one environment variable: the helpers `core.config` (and chat's settings) build
their settings with. Each names the variable at fault in its ConfigError."""

from __future__ import annotations

import re
from collections.abc import Mapping


class ConfigError(ValueError):
    """A setting is missing or malformed; the message starts with its variable name."""


def required(name: str, env: Mapping[str, str], pattern: re.Pattern[str], what: str) -> str:
    value = env.get(name, "").strip()
    if not value:
        raise ConfigError(f"{name} is not set: it must be {what}")
    if not pattern.match(value):
        raise ConfigError(f"{name}={value!r} is not {what}")
    return value


def optional(name: str, env: Mapping[str, str], pattern: re.Pattern[str], what: str) -> str:
    value = env.get(name, "").strip()
    if value and not pattern.match(value):
        raise ConfigError(f"{name}={value!r} is not {what}")
    return value


def listed(value: str) -> tuple[str, ...]:
    return tuple(part.strip() for part in re.split(r"[,;]", value) if part.strip())


def number(
    name: str, env: Mapping[str, str], low: float, high: float, integer: bool = False
) -> float:
    raw = env[name].strip()
    try:
        value = int(raw) if integer else float(raw)
    except ValueError:
        kind = "a whole number" if integer else "a number"
        raise ConfigError(f"{name}={raw!r} is not {kind}") from None
    if not low <= value <= high:
        raise ConfigError(f"{name}={raw!r} must be between {low:g} and {high:g}")
    return value


def boolean(name: str, env: Mapping[str, str]) -> bool:
    raw = env[name].strip().lower()
    if raw in ("true", "1", "yes"):
        return True
    if raw in ("false", "0", "no", ""):
        return False
    raise ConfigError(f"{name}={env[name]!r} must be true or false")
