"""The admin API under ``/_emulator/``: what a test or a developer sets up or inspects.

Only what no AWS API can do: declare an image's moderation labels and a text's toxicity,
inject faults, play an encoder, move the clock, subscribe Lambda functions to chat log
groups, and look at the state and the chat logs. JSON in and out; a refused request is
``{"message": ...}`` with 400 (bad input), 403, 404 or 409. Documented in README.md.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from functools import wraps
from typing import TYPE_CHECKING, Any

from aiohttp import web

from local.emulator.clock import rfc3339
from local.emulator.wire import AdminError

if TYPE_CHECKING:
    from local.emulator.app import Emulator

AdminHandler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def _answers(handler: AdminHandler) -> AdminHandler:
    """Refusals (AdminError, or ValueError for bad input) as JSON errors."""

    @wraps(handler)
    async def answered(request: web.Request) -> web.StreamResponse:
        try:
            return await handler(request)
        except AdminError as error:
            return web.json_response({"message": error.message}, status=error.status)
        except ValueError as error:
            return web.json_response({"message": str(error)}, status=400)

    return answered


async def _body(request: web.Request) -> Any:
    try:
        return await request.json()
    except ValueError:
        raise AdminError(400, "The body must be JSON") from None


def _string(body: Any, field: str) -> str:
    value = body.get(field) if isinstance(body, dict) else None
    if not isinstance(value, str) or not value:
        raise AdminError(400, f'Give "{field}" as a string')
    return value


def _number(body: Any, field: str) -> float:
    value = body.get(field) if isinstance(body, dict) else None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise AdminError(400, f'Give "{field}" as a number')
    return value


def admin_routes(emulator: Emulator) -> list[web.RouteDef]:
    admin = Admin(emulator)
    routes = [
        ("GET", "health", admin.health),
        ("GET", "state", admin.state),
        ("GET", "calls", admin.calls),
        ("GET", "labels", admin.labels),
        ("PUT", "labels", admin.declare_labels),
        ("DELETE", "labels", admin.forget_labels),
        ("GET", "toxicity", admin.toxicity),
        ("PUT", "toxicity", admin.declare_toxicity),
        ("DELETE", "toxicity", admin.forget_toxicity),
        ("GET", "logs", admin.logs),
        ("GET", "logs/subscriptions", admin.subscriptions),
        ("POST", "logs/subscriptions", admin.subscribe),
        ("DELETE", "logs/subscriptions", admin.unsubscribe),
        ("GET", "faults", admin.faults),
        ("PUT", "faults", admin.configure_faults),
        ("DELETE", "faults", admin.reset_faults),
        ("POST", "encoder/connect", admin.connect_encoder),
        ("POST", "encoder/disconnect", admin.disconnect_encoder),
        ("GET", "clock", admin.clock),
        ("POST", "clock", admin.advance_clock),
    ]
    return [
        web.route(method, f"/_emulator/{path}", _answers(handler))
        for method, path, handler in routes
    ]


class Admin:
    def __init__(self, emulator: Emulator) -> None:
        self._emulator = emulator

    async def health(self, request: web.Request) -> web.Response:
        emulator = self._emulator
        services = {service.name: sorted(service.operations) for service in emulator.services}
        return web.json_response(
            {
                "status": "ok",
                "region": emulator.region,
                "account": emulator.account,
                "services": services,
            }
        )

    async def state(self, request: web.Request) -> web.Response:
        emulator = self._emulator
        return web.json_response(
            {
                "now": rfc3339(emulator.clock.now()),
                "channels": emulator.ivs.snapshot(),
                "rooms": emulator.ivschat.snapshot(),
                "labels": emulator.rekognition.labels.snapshot(),
                "faults": emulator.faults.snapshot(),
                "events": emulator.events.snapshot(),
                "toxicity": emulator.comprehend.toxicity.snapshot(),
                "lambda": {"endpoint": emulator.lambdas.endpoint},
                "chatLogs": emulator.chat_logs.snapshot(),
            }
        )

    async def calls(self, request: web.Request) -> web.Response:
        """The AWS calls answered (`?service=ivs&operation=StopStream` to narrow)."""
        query = request.query
        found = self._emulator.calls.matching(query.get("service"), query.get("operation"))
        return web.json_response({"calls": found})

    async def labels(self, request: web.Request) -> web.Response:
        return web.json_response(self._emulator.rekognition.labels.snapshot())

    async def declare_labels(self, request: web.Request) -> web.Response:
        declared = self._emulator.rekognition.labels.declare(await _body(request))
        return web.json_response(declared)

    async def forget_labels(self, request: web.Request) -> web.Response:
        query = request.query
        self._emulator.rekognition.labels.forget(query.get("sha256"), query.get("key"))
        return web.Response(status=204)

    async def toxicity(self, request: web.Request) -> web.Response:
        return web.json_response(self._emulator.comprehend.toxicity.snapshot())

    async def declare_toxicity(self, request: web.Request) -> web.Response:
        declared = self._emulator.comprehend.toxicity.declare(await _body(request))
        return web.json_response(declared)

    async def forget_toxicity(self, request: web.Request) -> web.Response:
        query = request.query
        self._emulator.comprehend.toxicity.forget(query.get("text"), query.get("contains"))
        return web.Response(status=204)

    async def logs(self, request: web.Request) -> web.Response:
        """The chat log records kept for `?logGroupName=`, oldest first."""
        group = request.query.get("logGroupName")
        if not group:
            raise AdminError(400, "Give ?logGroupName=")
        events = self._emulator.chat_logs.events(group)
        return web.json_response({"logGroupName": group, "events": events})

    async def subscriptions(self, request: web.Request) -> web.Response:
        return web.json_response({"subscriptions": self._emulator.chat_logs.listed()})

    async def subscribe(self, request: web.Request) -> web.Response:
        return web.json_response(self._emulator.chat_logs.subscribe(await _body(request)))

    async def unsubscribe(self, request: web.Request) -> web.Response:
        query = request.query
        self._emulator.chat_logs.unsubscribe(query.get("logGroupName"), query.get("functionArn"))
        return web.Response(status=204)

    async def faults(self, request: web.Request) -> web.Response:
        return web.json_response(self._emulator.faults.snapshot())

    async def configure_faults(self, request: web.Request) -> web.Response:
        self._emulator.faults.configure(await _body(request))
        return web.json_response(self._emulator.faults.snapshot())

    async def reset_faults(self, request: web.Request) -> web.Response:
        self._emulator.faults.reset()
        return web.Response(status=204)

    async def connect_encoder(self, request: web.Request) -> web.Response:
        stream_key = _string(await _body(request), "streamKey")
        return web.json_response(self._emulator.ivs.connect_encoder(stream_key))

    async def disconnect_encoder(self, request: web.Request) -> web.Response:
        self._emulator.ivs.disconnect_encoder(_string(await _body(request), "channelArn"))
        return web.Response(status=204)

    async def clock(self, request: web.Request) -> web.Response:
        return web.json_response({"now": rfc3339(self._emulator.clock.now())})

    async def advance_clock(self, request: web.Request) -> web.Response:
        seconds = _number(await _body(request), "advanceSeconds")
        return web.json_response({"now": rfc3339(self._emulator.clock.advance(seconds))})
