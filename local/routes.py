"""The routes the stack hands the relay: each event handler's Lambda function and its queues,
and the app's pure Lambda functions (`@app.lambda_function`), which only the Invoke API calls."""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from typing import Any


@dataclass(frozen=True)
class Function:
    """A Lambda function of the app, as `chalice deploy` would name and size it."""

    handler: str  # the handler's name in the app (`app.handler_map`)
    name: str  # <app_name>-<stage>-<handler>
    arn: str
    timeout_seconds: int
    memory_mb: int


@dataclass(frozen=True)
class AsyncRoute:
    """An on_cw_event handler: rule -> queue -> asynchronous invoke."""

    function: Function
    rule: str
    pattern: dict[str, Any]  # the rule's event pattern, the app's own
    queue_url: str
    dead_letter_url: str
    on_failure_url: str | None  # the on-failure destination (an SQS queue)


@dataclass(frozen=True)
class QueueRoute:
    """An on_sqs_message handler: its queue, read by an event source mapping."""

    function: Function
    queue_url: str
    queue_arn: str
    batch_size: int
    dead_letter_url: str


@dataclass(frozen=True)
class ScheduleRoute:
    """An @app.schedule handler: invoked every `seconds` (its rate), as EventBridge would."""

    function: Function
    seconds: int


@dataclass(frozen=True)
class Routes:
    region: str
    account: str
    events: tuple[AsyncRoute, ...]
    queues: tuple[QueueRoute, ...]
    unserved: tuple[str, ...] = ()  # handlers of other kinds (schedules, S3, SNS ...)
    functions: tuple[Function, ...] = ()  # @app.lambda_function: served by local/invoke.py
    schedules: tuple[ScheduleRoute, ...] = ()  # @app.schedule with a rate: local/relay.py

    def to_json(self) -> str:
        return json.dumps(asdict(self), indent=2)

    @classmethod
    def from_json(cls, text: str) -> Routes:
        data = json.loads(text)
        events = [{**r, "function": Function(**r["function"])} for r in data["events"]]
        queues = [{**r, "function": Function(**r["function"])} for r in data["queues"]]
        return cls(
            data["region"],
            data["account"],
            tuple(AsyncRoute(**r) for r in events),
            tuple(QueueRoute(**r) for r in queues),
            tuple(data["unserved"]),
            tuple(Function(**f) for f in data["functions"]),
            tuple(
                ScheduleRoute(Function(**r["function"]), r["seconds"])
                for r in data.get("schedules", [])
            ),
        )
