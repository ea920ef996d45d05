"""The emulator's clock: real UTC time plus an offset that the admin API can move forward.

Chat tokens live a minute and chat sessions up to three hours; tests and developers need
to see them expire without waiting. Every timestamp the emulator hands out or checks
comes from here, so advancing the clock expires tokens and ends sessions consistently.
"""

from __future__ import annotations

import asyncio
import contextlib
from datetime import UTC, datetime, timedelta


class Clock:
    def __init__(self) -> None:
        self._offset = timedelta()
        self._moved = asyncio.Event()

    def now(self) -> datetime:
        return datetime.now(UTC) + self._offset

    def advance(self, seconds: float) -> datetime:
        """Move time forward (never back) and wake everything waiting on a deadline."""
        if seconds < 0:
            raise ValueError("the clock only moves forward")
        self._offset += timedelta(seconds=seconds)
        moved, self._moved = self._moved, asyncio.Event()
        moved.set()
        return self.now()

    async def sleep_until(self, deadline: datetime) -> None:
        """Return once `now()` reaches `deadline`, whether by waiting or by `advance`."""
        while (remaining := (deadline - self.now()).total_seconds()) > 0:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._moved.wait(), remaining)


def rfc3339(moment: datetime) -> str:
    """UTC with milliseconds, as AWS writes timestamps: 2026-11-21T10:00:12.345Z."""
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")
