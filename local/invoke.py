"""Lambda's Invoke API in the local stack: how IVS chat, CloudWatch Logs and the platform call
the app's functions.

    POST /2015-03-31/functions/{FunctionName}/invocations     (Lambda's REST path, boto3's)

served by the relay process (local/relay.py) on a port of its own, for every function of the
app: the pure Lambda functions (`@app.lambda_function`) first of all, and the event handlers'
functions too (Lambda lets anyone allowed invoke those). `FunctionName` is the function's
name as deployed (`ivs-moderation-local-review_chat_message`), its ARN or its partial ARN
(`123456789012:function:<name>`), with no qualifier or `$LATEST` (the only version here).
The handler runs unchanged, with a Lambda context named as the deployed function's.

`X-Amz-Invocation-Type`:
  - `RequestResponse` (the default): runs at once, in the request's thread; 200 and the
    handler's result as JSON. An exception is still 200, with `X-Amz-Function-Error:
    Unhandled` and the Python runtime's `{"errorMessage", "errorType", "requestId",
    "stackTrace"}`; a result that is not JSON is the runtime's `Runtime.MarshalError`.
  - `Event`: 202 at once; the invoke runs in the relay's pool, and a failure is tried again
    as the relay retries EventBridge's asynchronous invokes (3 attempts in all, after the
    same delays); then it is logged as an error and dropped (no on-failure destination).
  - `DryRun`: 204, nothing runs.
Errors as Lambda answers them (`x-amzn-ErrorType`, `{"Type": "User", "message"}`): an unknown
function or qualifier is 404 `ResourceNotFoundException`; a payload that is not JSON is 400
`InvalidRequestContentException`; over 6 MB is 413 `RequestTooLargeException`.

Not played: the function timeout, concurrency limits, `LogType: Tail`, client context.
"""

from __future__ import annotations

import decimal
import json
import logging
import re
import threading
import uuid
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, unquote, urlsplit

from local.lambda_payloads import error_payload, lambda_context
from local.routes import Function, Routes

log = logging.getLogger("local.relay")  # the relay's log: the invokes it runs

MAX_PAYLOAD_BYTES = 6 * 1024 * 1024  # Lambda: 6 MB for a synchronous invoke's request
_PATH = re.compile(r"^/2015-03-31/functions/(?P<name>[^/]+)/invocations$")
_ARN = re.compile(
    r"^(?:arn:aws:lambda:(?P<region>[a-z0-9-]+):)?(?:(?P<account>\d{12}):function:)?"
    r"(?P<name>[A-Za-z0-9_-]+)(?::(?P<qualifier>[^:]+))?$"
)
Submit = Callable[..., None]  # submit(work, *args): run work(*args) in the pool


def functions_of(routes: Routes) -> list[Function]:
    """Every function the Invoke API serves: the pure ones, then the event handlers'."""
    return [*routes.functions, *(r.function for r in (*routes.events, *routes.queues))]


@dataclass(frozen=True)
class Answer:
    status: int
    body: bytes = b""
    headers: tuple[tuple[str, str], ...] = ()


class Invoker:
    """Runs the app's handlers as Lambda's Invoke API does; `answer` is the HTTP side of it."""

    def __init__(
        self,
        handlers: Mapping[str, Callable[..., Any]],
        functions: Iterable[Function],
        *,
        region: str,
        account: str,
        submit: Submit,
        retry_delays: tuple[float, ...],
        stopping: threading.Event | None = None,
    ) -> None:
        self._functions = {f.name: f for f in functions}
        missing = [f.handler for f in self._functions.values() if f.handler not in handlers]
        if missing:
            raise ValueError(f"the app has no handler named {', '.join(missing)}")
        self._handlers = handlers
        self._region = region
        self._account = account
        self._submit = submit
        self._retry_delays = retry_delays
        self._stopping = stopping or threading.Event()

    @classmethod
    def for_routes(
        cls,
        app: Any,
        routes: Routes,
        submit: Submit,
        retry_delays: tuple[float, ...],
        stopping: threading.Event,
    ) -> Invoker:
        """The Invoke API of every function of `routes` (see `functions_of`), on `app`."""
        functions = functions_of(routes)
        log.info("Invoke API functions: %s", ", ".join(f.name for f in functions))
        return cls(
            app.handler_map, functions, region=routes.region, account=routes.account,
            submit=submit, retry_delays=retry_delays, stopping=stopping,
        )  # fmt: skip

    def answer(self, path: str, headers: Mapping[str, str], body: bytes) -> Answer:
        url = urlsplit(path)
        match = _PATH.match(url.path)
        if match is None:
            return _error(404, "UnknownOperationException", f"No operation at {url.path}")
        qualifier = parse_qs(url.query).get("Qualifier", [None])[0]
        function = self._find(unquote(match["name"]), qualifier)
        if isinstance(function, Answer):
            return function
        kind = headers.get("X-Amz-Invocation-Type") or "RequestResponse"
        if kind not in ("RequestResponse", "Event", "DryRun"):
            return _error(400, "InvalidParameterValueException", f"Invalid invocation type {kind}")
        if len(body) > MAX_PAYLOAD_BYTES:
            return _error(
                413,
                "RequestTooLargeException",
                f"Request must be smaller than {MAX_PAYLOAD_BYTES} bytes for the Invoke operation",
            )
        try:
            event = json.loads(body) if body.strip() else {}
        except ValueError as error:
            message = f"Could not parse request body into json: {error}"
            return _error(400, "InvalidRequestContentException", message)
        request_id = str(uuid.uuid4())
        ids = (("x-amzn-RequestId", request_id),)
        if kind == "DryRun":
            return Answer(204, headers=ids)
        if kind == "Event":
            self._submit(self._run_event, function, event, request_id, 1)
            return Answer(202, headers=ids)
        return self._run(function, event, request_id, ids)

    def _find(self, identifier: str, qualifier: str | None) -> Function | Answer:
        parts = _ARN.match(identifier)
        if parts is None:
            return _error(404, "ResourceNotFoundException", f"Function not found: {identifier}")
        region, account = parts["region"] or self._region, parts["account"] or self._account
        qualifiers = sorted({q for q in (parts["qualifier"], qualifier) if q})
        function = self._functions.get(parts["name"])
        if (
            function is not None
            and (region, account) == (self._region, self._account)
            and set(qualifiers) <= {"$LATEST"}
        ):
            return function
        arn = f"arn:aws:lambda:{region}:{account}:function:{parts['name']}"
        where = arn + "".join(f":{q}" for q in qualifiers)
        return _error(404, "ResourceNotFoundException", f"Function not found: {where}")

    def _call(self, function: Function, event: Any, request_id: str) -> Any:
        context = lambda_context(function, request_id)
        return self._handlers[function.handler](event, context)

    def _run(
        self, function: Function, event: Any, request_id: str, ids: tuple[tuple[str, str], ...]
    ) -> Answer:
        headers = (*ids, ("X-Amz-Executed-Version", "$LATEST"))
        try:
            result = self._call(function, event, request_id)
        except Exception as error:
            log.warning(
                "%s failed (invoke %s): %s: %s", function.name, request_id,
                type(error).__name__, error,
            )  # fmt: skip
            return _function_error(error_payload(error, request_id), headers)
        try:
            body = json.dumps(result, default=_number).encode()
        except (TypeError, ValueError) as error:
            payload = {
                "errorMessage": f"Unable to marshal response: {error}",
                "errorType": "Runtime.MarshalError",
                "requestId": request_id,
                "stackTrace": [],
            }
            return _function_error(payload, headers)
        return Answer(200, body, (*headers, ("Content-Type", "application/json")))

    def _run_event(self, function: Function, event: Any, request_id: str, attempt: int) -> None:
        attempts = len(self._retry_delays) + 1
        try:
            self._call(function, event, request_id)
        except Exception as error:
            failure = f"{type(error).__name__}: {error}"
            if attempt >= attempts:
                log.error(
                    "EVENT DROPPED: %s failed %d times on invoke %s (%s); it has no "
                    "on-failure destination", function.name, attempt, request_id, failure,
                )  # fmt: skip
                return
            delay = self._retry_delays[attempt - 1]
            log.warning(
                "%s failed (attempt %d of %d) on invoke %s: %s; retried in %s s",
                function.name, attempt, attempts, request_id, failure, delay,
            )  # fmt: skip
            retry = threading.Timer(delay, self._retry, (function, event, request_id, attempt + 1))
            retry.daemon = True
            retry.start()

    def _retry(self, function: Function, event: Any, request_id: str, attempt: int) -> None:
        if self._stopping.is_set():
            log.error("EVENT DROPPED: %s invoke %s: the relay stopped", function.name, request_id)
            return
        self._submit(self._run_event, function, event, request_id, attempt)


def _number(value: Any) -> Any:
    """The runtime's encoder takes Decimal (what boto3's DynamoDB resource returns)."""
    if isinstance(value, decimal.Decimal):
        return int(value) if value == value.to_integral_value() else float(value)
    raise TypeError(f"Object of type {type(value).__name__} is not JSON serializable")


def _function_error(payload: dict[str, Any], headers: tuple[tuple[str, str], ...]) -> Answer:
    return Answer(
        200,
        json.dumps(payload).encode(),
        (*headers, ("X-Amz-Function-Error", "Unhandled"), ("Content-Type", "application/json")),
    )


def _error(status: int, code: str, message: str) -> Answer:
    body = json.dumps({"Type": "User", "message": message}).encode()
    headers = (("x-amzn-ErrorType", code), ("Content-Type", "application/json"))
    return Answer(status, body, (*headers, ("x-amzn-RequestId", str(uuid.uuid4()))))


def serve(invoker: Invoker, host: str, port: int) -> ThreadingHTTPServer:
    """The Invoke API on host:port (0: any free port), served from a thread of its own until
    `server.shutdown()`."""

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            answer = invoker.answer(self.path, self.headers, self.rfile.read(length))
            self.send_response(answer.status)
            for name, value in answer.headers:
                self.send_header(name, value)
            self.send_header("Content-Length", str(len(answer.body)))
            self.end_headers()
            self.wfile.write(answer.body)

        def log_message(self, format: str, *args: Any) -> None:
            pass  # the invokes log themselves

    server = ThreadingHTTPServer((host, port), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, args=(0.2,), daemon=True).start()
    log.info("Invoke API on http://%s:%d", *server.server_address[:2])
    return server
