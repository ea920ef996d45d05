"""What the emulator was asked: every AWS call it answered, in order, with its parameters and
its outcome — so a test can count StopStream calls or the events sent to a room."""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from typing import Any

from local.emulator.clock import Clock, rfc3339

MAX_CALLS = 20_000  # the newest are kept


class CallLog:
    def __init__(self, clock: Clock) -> None:
        self._clock = clock
        self._calls: deque[dict[str, Any]] = deque(maxlen=MAX_CALLS)

    def record(
        self, service: str, operation: str, params: Mapping[str, Any], outcome: str, **details: Any
    ) -> None:
        """`outcome` is "ok" or the error code answered; `details` are added to the entry
        (outbound calls: the result applied, the latency)."""
        self._calls.append(
            {
                "at": rfc3339(self._clock.now()),
                "service": service,
                "operation": operation,
                "params": dict(params),
                "outcome": outcome,
                **details,
            }
        )

    def matching(self, service: str | None = None, operation: str | None = None) -> list[dict]:
        return [
            call
            for call in self._calls
            if service in (None, call["service"]) and operation in (None, call["operation"])
        ]
