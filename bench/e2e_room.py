"""The moderators' room on one WebSocket: when each incident-opened event arrived."""

from __future__ import annotations

import asyncio
import contextlib
import json
import threading
import time
from typing import Any

import aiohttp

EVENT_NAME = "STREAM_MODERATION"


class ChatListener:
    """One WebSocket on the moderators' room, in its own thread: when each event arrived."""

    def __init__(self, endpoint: str, token: str) -> None:
        self._endpoint = endpoint
        self._token = token
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._main, name="chat-listener", daemon=True)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self.arrivals: dict[str, list[float]] = {}  # thumbnailKey -> monotonic arrival times
        self.decision_keys: dict[str, str] = {}  # incidentId -> the frame that opened it
        self.followups = 0  # other incident events (the previous session's incident ending)
        self.other_frames: list[dict[str, Any]] = []  # ERROR frames, other events
        self.error: str | None = None
        self.closed_at: float | None = None

    def start(self, timeout: float = 15.0) -> None:
        self._thread.start()
        if not self._ready.wait(timeout) or self._ws is None:
            raise RuntimeError(f"the chat WebSocket did not connect: {self.error or 'timed out'}")

    def stop(self) -> None:
        if self._loop is not None and self._ws is not None and self.closed_at is None:
            with contextlib.suppress(Exception):
                asyncio.run_coroutine_threadsafe(self._ws.close(), self._loop).result(5)
        self._thread.join(10)

    def received(self, key: str) -> bool:
        with self._lock:
            return key in self.arrivals

    def first_arrival(self, key: str) -> float | None:
        with self._lock:
            times = self.arrivals.get(key)
            return times[0] if times else None

    def snapshot(self) -> tuple[dict[str, list[float]], dict[str, str]]:
        """(thumbnailKey -> arrival times, decisionId -> thumbnailKey), copied."""
        with self._lock:
            arrivals = {key: list(times) for key, times in self.arrivals.items()}
            return arrivals, dict(self.decision_keys)

    def _main(self) -> None:
        asyncio.run(self._listen())

    async def _listen(self) -> None:
        self._loop = asyncio.get_running_loop()
        try:
            async with (
                aiohttp.ClientSession() as session,
                session.ws_connect(self._endpoint, protocols=[self._token]) as ws,
            ):
                self._ws = ws
                self._ready.set()
                async for message in ws:  # ends when the socket closes (stop() closes it)
                    arrived = time.monotonic()
                    if message.type is aiohttp.WSMsgType.TEXT:
                        self._record(arrived, json.loads(message.data))
        except Exception as error:  # reported: a lost listener shows as lost events
            self.error = repr(error)
        finally:
            self.closed_at = time.monotonic()
            self._ready.set()

    def _record(self, arrived: float, frame: dict[str, Any]) -> None:
        with self._lock:
            attributes = frame.get("Attributes", {})
            if frame.get("Type") == "EVENT" and frame.get("EventName") == EVENT_NAME:
                if attributes.get("type") != "incident-opened":
                    self.followups += 1
                    return
                key = attributes.get("latestFrameKey", "")
                self.arrivals.setdefault(key, []).append(arrived)
                self.decision_keys[attributes.get("incidentId", "")] = key
            else:
                self.other_frames.append(frame)
