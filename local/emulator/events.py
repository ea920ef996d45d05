"""IVS's EventBridge events, put on a local EventBridge (moto) the way IVS puts them: best effort.

IVS sends `IVS Stream State Change` events (source `aws.ivs`) to the account's default bus
when a session is created and a stream starts or ends. AWS documents them as best effort:
they may arrive late, out of order or not at all, and GetStream is the truth. Here they
are sent in the order they happen, one PutEvents call at a time, from a background task:
no IVS call or admin request waits for EventBridge, and a failed PutEvents (or a failed
entry) is logged and dropped, as IVS would drop it.

Off unless the emulator is given an endpoint (``--events-endpoint``): the emulator's own
tests and a standalone emulator need no EventBridge.
"""

from __future__ import annotations

import asyncio
import json
import logging
from datetime import datetime
from typing import Any

import boto3
from botocore.config import Config

logger = logging.getLogger("local.emulator.events")

STREAM_STATE_CHANGE = "IVS Stream State Change"
# Waiting for the last events to go out when the emulator stops.
DRAIN_SECONDS = 5.0


def stream_state_change(
    channel_arn: str, channel_name: str, stream_id: str, event_name: str, at: datetime
) -> dict[str, Any]:
    """The PutEvents entry of an IVS Stream State Change (AWS: "Using EventBridge with IVS")."""
    detail = {"event_name": event_name, "channel_name": channel_name, "stream_id": stream_id}
    return {
        "Time": at,
        "Source": "aws.ivs",
        "DetailType": STREAM_STATE_CHANGE,
        "Resources": [channel_arn],
        "Detail": json.dumps(detail),
    }


class EventBus:
    """The default bus of the emulator's account, at `endpoint`; does nothing without one."""

    def __init__(self, endpoint: str | None, region: str) -> None:
        self.endpoint = endpoint
        self.sent = 0
        self.failed = 0
        self._queue: asyncio.Queue[dict[str, Any]] | None = None
        self._sender: asyncio.Task[None] | None = None
        self._client = None
        if endpoint:
            self._client = boto3.client(
                "events",
                endpoint_url=endpoint,
                region_name=region,
                aws_access_key_id="local",
                aws_secret_access_key="local",
                config=Config(connect_timeout=2, read_timeout=5, retries={"total_max_attempts": 2}),
            )

    def put(self, entry: dict[str, Any]) -> None:
        """Queue one entry for PutEvents; returns at once."""
        if self._queue is not None:
            self._queue.put_nowait(entry)

    async def start(self) -> None:
        if self._client is not None:
            self._queue = asyncio.Queue()
            self._sender = asyncio.create_task(self._send_forever(), name="eventbridge")

    async def close(self) -> None:
        """Send what is queued (for a few seconds at most), then stop."""
        if self._queue is None or self._sender is None:
            return
        try:
            await asyncio.wait_for(self._queue.join(), DRAIN_SECONDS)
        except TimeoutError:
            logger.warning("stopping with %d event(s) not sent", self._queue.qsize())
        self._sender.cancel()
        self._queue = None

    def snapshot(self) -> dict[str, Any]:
        return {"endpoint": self.endpoint, "sent": self.sent, "failed": self.failed}

    async def _send_forever(self) -> None:
        assert self._queue is not None
        while True:
            entry = await self._queue.get()
            try:
                await asyncio.to_thread(self._send, entry)
            finally:
                self._queue.task_done()

    def _send(self, entry: dict[str, Any]) -> None:
        what = f"{entry['DetailType']} {entry['Detail']} for {entry['Resources']}"
        try:
            response = self._client.put_events(Entries=[entry])
        except Exception as error:  # best effort: IVS does not retry for ever either
            self.failed += 1
            logger.warning("PutEvents to %s failed (%s); dropped %s", self.endpoint, error, what)
            return
        [result] = response["Entries"]
        if "ErrorCode" in result:
            self.failed += 1
            logger.warning("EventBridge refused %s: %s %s", what, result["ErrorCode"], result)
            return
        self.sent += 1
        logger.info("sent %s", what)
