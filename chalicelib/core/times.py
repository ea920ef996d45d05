"""Times, one way: how the service writes them (`iso_time`: UTC, milliseconds, ``Z``, so
text sorts in time order), reads its own back (`parse_time`), and reads a client's
(`client_time`, `client_day`: refused in words when malformed, zoneless or out of bounds)."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any

from chalicelib.core.errors import BadRequest

# Times outside these bounds are refused: no window, offset or day arithmetic can overflow.
EARLIEST = datetime(2000, 1, 1, tzinfo=UTC)
LATEST = datetime(2100, 1, 1, tzinfo=UTC)


def iso_time(at: datetime) -> str:
    """UTC, millisecond precision, ``Z`` suffix: sorts as text in time order."""
    return at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{at.microsecond // 1000:03d}Z"


def parse_time(text: str) -> datetime:
    """An ISO-8601 time with a zone (``Z`` or an offset), in UTC."""
    return datetime.fromisoformat(text.replace("Z", "+00:00")).astimezone(UTC)


def expiry(now: datetime, days: int) -> int | None:
    """TTL attribute value (epoch seconds), or None to keep the item for good."""
    return int((now + timedelta(days=days)).timestamp()) if days > 0 else None


def day(at: datetime | date) -> str:
    """The UTC day of a time (or a day), YYYY-MM-DD: the partition of day indexes."""
    if isinstance(at, datetime):
        at = at.astimezone(UTC)
    return at.strftime("%Y-%m-%d")


# --- a client's times ---------------------------------------------------------------------


_ISO_TIME = re.compile(
    r"(?P<year>[0-9]{4})-(?P<month>[0-9]{2})-(?P<day>[0-9]{2})[Tt]"
    r"(?P<hour>[0-9]{2}):(?P<minute>[0-9]{2})(?::(?P<second>[0-9]{2})(?:\.(?P<fraction>[0-9]{1,9}))?)?"
    r"(?P<zone>[Zz]|(?P<sign>[+-])(?P<zone_hours>[0-9]{2}):(?P<zone_minutes>[0-9]{2}))?"
)
_DAY = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


def client_time(raw: Any, name: str) -> datetime:
    """An ISO-8601 (RFC 3339) time with its zone, from EARLIEST to LATEST, in UTC."""
    example = "e.g. 2026-11-21T10:00:00Z"
    match = _ISO_TIME.fullmatch(raw) if isinstance(raw, str) and len(raw) <= 40 else None
    if match is None:
        hint = " (in a URL, write + as %2B)" if isinstance(raw, str) and " " in raw else ""
        raise BadRequest(f"{name} must be an ISO-8601 time, {example}{hint}")
    if match["zone"] is None:
        raise BadRequest(f"{name} must say its time zone, {example}")
    bounds = f"{name} must be from {EARLIEST:%Y-%m-%d} to {LATEST:%Y-%m-%d}"
    if not EARLIEST.year <= int(match["year"]) <= LATEST.year:
        raise BadRequest(bounds)
    offset = timedelta(0)
    if match["sign"]:
        offset = timedelta(hours=int(match["zone_hours"]), minutes=int(match["zone_minutes"]))
        if match["sign"] == "-":
            offset = -offset
    try:
        value = datetime(
            int(match["year"]),
            int(match["month"]),
            int(match["day"]),
            int(match["hour"]),
            int(match["minute"]),
            int(match["second"] or 0),
            int((match["fraction"] or "0")[:6].ljust(6, "0")),
            tzinfo=timezone(offset),
        ).astimezone(UTC)
    except ValueError:  # month 13, 30 February, hour 24, an offset of a day or more
        raise BadRequest(f"{name} is not a time on the calendar, {example}") from None
    if not EARLIEST <= value <= LATEST:
        raise BadRequest(bounds)
    return value


def client_day(raw: Any, name: str) -> date:
    """A UTC day, YYYY-MM-DD, from EARLIEST to LATEST."""
    if not (isinstance(raw, str) and _DAY.fullmatch(raw)):
        raise BadRequest(f"{name} must be a day, YYYY-MM-DD")
    try:
        value = date.fromisoformat(raw)
    except ValueError:
        raise BadRequest(f"{name} is not a day on the calendar") from None
    if not EARLIEST.date() <= value <= LATEST.date():
        raise BadRequest(f"{name} must be from {EARLIEST:%Y-%m-%d} to {LATEST:%Y-%m-%d}")
    return value


def time_window(
    start: datetime | None,
    end: datetime | None,
    *,
    now: datetime,
    default_span: timedelta,
    max_span: timedelta | None = None,
    names: tuple[str, str] = ("from", "to"),
    span_hint: str = "",
) -> tuple[datetime, datetime]:
    """`start`..`end` (times from `client_time`), defaulting to the `default_span` before now."""
    end = end if end is not None else min(now, LATEST)
    start = start if start is not None else end - default_span
    if start > end:
        raise BadRequest(f"{names[0]} must not be after {names[1]}")
    if max_span is not None and end - start > max_span:
        days = max_span / timedelta(days=1)
        raise BadRequest(
            f"the window from {names[0]} to {names[1]} is at most {days:g} days{span_hint}"
        )
    return start, end
