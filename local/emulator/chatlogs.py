"""IVS chat logging to CloudWatch Logs, and the log group subscriptions moto cannot deliver.

A room whose ``loggingConfigurationIdentifiers`` name a configuration with a
``cloudWatchLogs`` destination logs every frame it delivers, MESSAGE and EVENT, as IVS
writes them: ``{"event_timestamp", "type", "version": "1.0", "payload"}`` in the log
stream ``aws/IVSChatLogs/1.0/room_<roomId>`` of the configured log group. A message that
its review denied is never delivered, so never logged.

Records are kept here (the newest `MAX_KEPT` per group, ``GET /_emulator/logs``), and every
`LOG_FLUSH_SECONDS` the new ones are

- written to CloudWatch Logs with PutLogEvents when the emulator has a logs endpoint (moto:
  the log group must exist, the stream is created), and
- sent to each subscription of their group (``POST /_emulator/logs/subscriptions``) as
  Lambda's CloudWatch Logs event, ``{"awslogs": {"data": base64(gzip(json))}}``, invoked
  with ``X-Amz-Invocation-Type: Event`` (a 202 is a delivery). moto's CloudWatch Logs
  stores subscription filters but cannot invoke a Lambda in server mode, hence this.

A failed delivery is retried `DELIVERY_ATTEMPTS` times in all, then logged as an error and
counted in ``/_emulator/state`` (``chatLogs.failed``); so is a failed PutLogEvents.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import gzip
import itertools
import json
import logging
from collections import defaultdict, deque
from datetime import datetime
from typing import Any

import aiohttp
import boto3
from botocore.config import Config

from local.emulator.calls import CallLog
from local.emulator.lambdas import LambdaClient
from local.emulator.wire import AdminError

logger = logging.getLogger("local.emulator.chatlogs")

LOG_FLUSH_SECONDS = 1.0
DELIVERY_ATTEMPTS = 3
RETRY_DELAY_SECONDS = 0.3
DELIVERY_TIMEOUT_SECONDS = 5.0
MAX_KEPT = 1000
STREAM_PREFIX = "aws/IVSChatLogs/1.0/room_"
DEFAULT_FILTER_NAME = "ivs-chat-logs"

Event = dict[str, Any]  # a CloudWatch Logs event: {"id", "timestamp", "message"}


def log_record(frame: dict[str, Any]) -> dict[str, Any]:
    """The chat logging record of a delivered MESSAGE or EVENT frame."""
    payload = {**frame, "RequestId": frame.get("RequestId", "")}
    if frame["Type"] == "MESSAGE":
        sender = frame["Sender"]
        payload["Sender"] = {"UserId": sender["UserId"], "Attributes": sender["Attributes"]}
    return {
        "event_timestamp": frame["SendTime"],
        "type": frame["Type"],
        "version": "1.0",
        "payload": payload,
    }


def subscription_event(
    owner: str, group: str, stream: str, filter_name: str, events: list[Event]
) -> dict[str, Any]:
    """What Lambda receives from a CloudWatch Logs subscription filter."""
    data = {
        "messageType": "DATA_MESSAGE",
        "owner": owner,
        "logGroup": group,
        "logStream": stream,
        "subscriptionFilters": [filter_name],
        "logEvents": events,
    }
    compressed = gzip.compress(json.dumps(data).encode())
    return {"awslogs": {"data": base64.b64encode(compressed).decode()}}


class ChatLogs:
    def __init__(
        self, lambdas: LambdaClient, calls: CallLog, account: str, region: str, logs_endpoint=None
    ) -> None:
        self._lambdas = lambdas
        self._calls = calls
        self._account = account
        self.logs_endpoint = logs_endpoint
        self.subscriptions: dict[tuple[str, str], str] = {}  # (group, function) -> filter
        self.delivered = 0  # log events sent to a subscription
        self.written = 0  # log events put to CloudWatch Logs
        self.failed = 0  # log events that could not be sent or written
        self._kept: dict[str, deque[Event]] = defaultdict(lambda: deque(maxlen=MAX_KEPT))
        self._pending: dict[tuple[str, str], list[Event]] = defaultdict(list)
        self._ids = itertools.count(1)
        self._flusher: asyncio.Task[None] | None = None
        self._client = None
        if logs_endpoint:
            self._client = boto3.client(
                "logs",
                endpoint_url=logs_endpoint,
                region_name=region,
                aws_access_key_id="local",
                aws_secret_access_key="local",
                config=Config(connect_timeout=2, read_timeout=5, retries={"total_max_attempts": 2}),
            )

    def record(self, room_id: str, groups: list[str], frame: dict[str, Any]) -> None:
        """Log a delivered frame of room `room_id` to each of `groups`."""
        moment = datetime.fromisoformat(frame["SendTime"].replace("Z", "+00:00"))
        message = json.dumps(log_record(frame), separators=(",", ":"), ensure_ascii=False)
        stream = f"{STREAM_PREFIX}{room_id}"
        for group in dict.fromkeys(groups):
            event = {
                "id": f"{next(self._ids):056d}",
                "timestamp": int(moment.timestamp() * 1000),
                "message": message,
            }
            self._kept[group].append({**event, "logStream": stream})
            self._pending[group, stream].append(event)

    def events(self, group: str) -> list[dict[str, Any]]:
        return list(self._kept.get(group, ()))

    def subscribe(self, body: Any) -> dict[str, Any]:
        if not self._lambdas.endpoint:
            raise AdminError(409, "The emulator has no --lambda-endpoint to deliver to")
        if not isinstance(body, dict):
            raise AdminError(400, 'Give {"logGroupName", "functionArn"}')
        fields = {
            name: body.get(name, DEFAULT_FILTER_NAME if name == "filterName" else None)
            for name in ("logGroupName", "functionArn", "filterName")
        }
        for name, value in fields.items():
            if not isinstance(value, str) or not value:
                raise AdminError(400, f'Give "{name}" as a non-empty string')
        self.subscriptions[fields["logGroupName"], fields["functionArn"]] = fields["filterName"]
        return fields

    def unsubscribe(self, group: str | None, function: str | None) -> None:
        for key in list(self.subscriptions):
            if group in (None, key[0]) and function in (None, key[1]):
                del self.subscriptions[key]

    def listed(self) -> list[dict[str, str]]:
        return [
            {"logGroupName": group, "functionArn": function, "filterName": name}
            for (group, function), name in self.subscriptions.items()
        ]

    def snapshot(self) -> dict[str, Any]:
        return {
            "logsEndpoint": self.logs_endpoint,
            "subscriptions": self.listed(),
            "pending": sum(len(events) for events in self._pending.values()),
            "delivered": self.delivered,
            "written": self.written,
            "failed": self.failed,
        }

    async def start(self) -> None:
        self._flusher = asyncio.create_task(self._flush_forever(), name="chat-logs")

    async def close(self) -> None:
        """Flush what is pending, then stop."""
        if self._flusher is not None:
            self._flusher.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._flusher
            self._flusher = None
        await self.flush()

    async def _flush_forever(self) -> None:
        while True:
            await asyncio.sleep(LOG_FLUSH_SECONDS)
            try:
                await self.flush()
            except Exception:
                logger.exception("flushing chat logs failed")

    async def flush(self) -> None:
        """Write and deliver every pending record, one batch per log stream."""
        batches, self._pending = self._pending, defaultdict(list)
        sends = []
        for (group, stream), events in batches.items():
            if self._client is not None:
                sends.append(asyncio.to_thread(self._write, group, stream, events))
            for (subscribed, function), name in list(self.subscriptions.items()):
                if subscribed == group:
                    sends.append(self._deliver(function, name, group, stream, events))
        await asyncio.gather(*sends)

    async def _deliver(
        self, function: str, name: str, group: str, stream: str, events: list[Event]
    ) -> None:
        event = subscription_event(self._account, group, stream, name, events)
        params = {"FunctionName": function, "InvocationType": "Event", "logGroup": group}
        problem = ""
        for attempt in range(1, DELIVERY_ATTEMPTS + 1):
            try:
                invocation = await self._lambdas.invoke(
                    function, event, "Event", DELIVERY_TIMEOUT_SECONDS
                )
                if invocation.status == 202:
                    self.delivered += len(events)
                    self._calls.record("lambda", "Invoke", params, "ok", events=len(events))
                    return
                problem = f"status {invocation.status}"
            except (TimeoutError, aiohttp.ClientError, RuntimeError) as error:
                problem = f"{type(error).__name__}: {error}"
            if attempt < DELIVERY_ATTEMPTS:
                await asyncio.sleep(RETRY_DELAY_SECONDS * attempt)
        self.failed += len(events)
        self._calls.record("lambda", "Invoke", params, "error", events=len(events))
        logger.error(
            "chat log delivery of %d event(s) of %s to %s failed %d times (%s): dropped",
            len(events),
            stream,
            function,
            DELIVERY_ATTEMPTS,
            problem,
        )

    def _write(self, group: str, stream: str, events: list[Event]) -> None:
        try:
            with contextlib.suppress(self._client.exceptions.ResourceAlreadyExistsException):
                self._client.create_log_stream(logGroupName=group, logStreamName=stream)
            self._client.put_log_events(
                logGroupName=group,
                logStreamName=stream,
                logEvents=[{"timestamp": e["timestamp"], "message": e["message"]} for e in events],
            )
        except Exception as error:
            self.failed += len(events)
            logger.error("PutLogEvents of %d event(s) to %s failed: %s", len(events), group, error)
            return
        self.written += len(events)
