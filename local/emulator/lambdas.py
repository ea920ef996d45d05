"""Outbound calls to AWS Lambda's Invoke API, as IVS chat and CloudWatch Logs make them.

``POST {endpoint}/2015-03-31/functions/{FunctionName}/invocations``, the function name (an
ARN) percent-encoded as one path segment, with ``X-Amz-Invocation-Type`` RequestResponse
(the chat review handler: the answer is the function's result, 200) or Event (log
subscriptions: queued, 202). A function that raised answers 200 with an
``X-Amz-Function-Error`` header. Requests are not signed: the local Lambda runner does not
check signatures.
"""

from __future__ import annotations

import json
import time
import urllib.parse
from dataclasses import dataclass
from typing import Any

import aiohttp
from yarl import URL

INVOKE_PATH = "/2015-03-31/functions/{}/invocations"


def invoke_url(endpoint: str, function: str) -> URL:
    """The Invoke URL of `function` at `endpoint`, kept exactly as encoded here."""
    path = INVOKE_PATH.format(urllib.parse.quote(function, safe=""))
    return URL(endpoint.rstrip("/") + path, encoded=True)


@dataclass(frozen=True)
class Invocation:
    status: int
    function_error: str | None  # X-Amz-Function-Error, when the function failed
    body: bytes
    latency_ms: float


class LambdaClient:
    """One aiohttp session to the Lambda endpoint, opened and closed with the app."""

    def __init__(self, endpoint: str | None) -> None:
        self.endpoint = endpoint
        self._session: aiohttp.ClientSession | None = None

    async def start(self) -> None:
        if self.endpoint:
            self._session = aiohttp.ClientSession()

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None

    async def invoke(
        self, function: str, payload: Any, invocation_type: str, timeout_seconds: float
    ) -> Invocation:
        """Invoke `function` with `payload` (JSON); raises TimeoutError or aiohttp's
        ClientError when no answer comes within `timeout_seconds`."""
        if self.endpoint is None:
            raise RuntimeError("the emulator has no Lambda endpoint (--lambda-endpoint)")
        if self._session is None:  # the app has not started (or has stopped)
            raise aiohttp.ClientConnectionError("the Lambda client is not open")
        started = time.monotonic()
        async with self._session.post(
            invoke_url(self.endpoint, function),
            data=json.dumps(payload).encode(),
            headers={
                "Content-Type": "application/json",
                "X-Amz-Invocation-Type": invocation_type,
            },
            timeout=aiohttp.ClientTimeout(total=timeout_seconds),
        ) as response:
            body = await response.read()
        return Invocation(
            status=response.status,
            function_error=response.headers.get("X-Amz-Function-Error"),
            body=body,
            latency_ms=round((time.monotonic() - started) * 1000, 1),
        )
