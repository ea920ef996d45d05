"""The emulator's one aiohttp server, routed by protocol as AWS endpoints are.

- ``POST /`` with ``X-Amz-Target``: awsJson1_1 services (Rekognition, Comprehend).
- ``POST /<Operation>``: rest-json services, IVS and ivschat, told apart by the service in
  the SigV4 credential scope (``Credential=.../<region>/ivs/aws4_request``). Signatures
  are not verified: any credentials do. ``/tags/<arn>`` (POST, GET, DELETE): ivschat's
  TagResource, ListTagsForResource and UntagResource.
- ``GET /`` with ``Upgrade: websocket``: the IVS Chat Messaging API.
- ``/_emulator/...``: the admin API (admin.py).

Outbound, IVS's EventBridge events go to a local EventBridge when one is given (events.py);
chat review handlers and log subscriptions are invoked at a Lambda endpoint when one is
given (review.py, chatlogs.py), and chat logs are written to a CloudWatch Logs endpoint.
"""

from __future__ import annotations

import re

from aiohttp import web

from local.emulator.admin import admin_routes
from local.emulator.calls import CallLog
from local.emulator.chatlogs import ChatLogs
from local.emulator.clock import Clock
from local.emulator.comprehend import Comprehend
from local.emulator.events import EventBus
from local.emulator.faults import Faults
from local.emulator.ivs import Ivs
from local.emulator.ivschat import IvsChat
from local.emulator.lambdas import LambdaClient
from local.emulator.messaging import ChatMessaging
from local.emulator.rekognition import Rekognition
from local.emulator.review import Reviewer
from local.emulator.wire import AwsService, plain_error

# Inline images up to 5 MB arrive base64-encoded; a larger body must still reach
# Rekognition's ImageTooLargeException rather than aiohttp's 413.
MAX_REQUEST_BYTES = 32 * 1024 * 1024
_CREDENTIAL_SCOPE = re.compile(r"Credential=[^/\s,]+/\d{8}/[^/\s,]+/([^/\s,]+)/aws4_request")


def signing_service(authorization: str) -> str | None:
    """The service a SigV4 Authorization header was signed for."""
    match = _CREDENTIAL_SCOPE.search(authorization)
    return match.group(1) if match else None


class Emulator:
    """Every emulated service, and the shared clock and faults."""

    def __init__(
        self,
        region: str,
        account: str,
        s3_endpoint: str,
        events_endpoint: str | None = None,
        lambda_endpoint: str | None = None,
        logs_endpoint: str | None = None,
    ) -> None:
        self.region = region
        self.account = account
        self.clock = Clock()
        self.faults = Faults()
        self.calls = CallLog(self.clock)
        self.events = EventBus(events_endpoint, region)
        self.lambdas = LambdaClient(lambda_endpoint)
        self.chat_logs = ChatLogs(self.lambdas, self.calls, account, region, logs_endpoint)
        self.rekognition = Rekognition(self.faults, region, s3_endpoint)
        self.comprehend = Comprehend(self.faults)
        self.ivs = Ivs(self.faults, self.clock, region, account, self.events)
        self.ivschat = IvsChat(self.faults, self.clock, region, account, self.chat_logs)
        self.messaging = ChatMessaging(
            self.ivschat.redeem, self.clock, self.faults, Reviewer(self.lambdas, self.calls)
        )
        self.services: tuple[AwsService, ...] = (
            self.rekognition,
            self.comprehend,
            self.ivs,
            self.ivschat,
        )
        for service in self.services:
            service.calls = self.calls
        self._by_target: dict[str, AwsService] = {
            service.model.metadata["targetPrefix"]: service
            for service in (self.rekognition, self.comprehend)
        }
        self._by_scope: dict[str, AwsService] = {
            self.ivs.model.signing_name: self.ivs,
            self.ivschat.model.signing_name: self.ivschat,
        }

    async def aws_json(self, request: web.Request) -> web.Response:
        prefix, _, operation = request.headers.get("X-Amz-Target", "").partition(".")
        service = self._by_target.get(prefix)
        if service is None:
            return plain_error(400, "UnknownOperationException", f"Unknown target {prefix!r}")
        return await service.call(operation, await request.read())

    async def rest_json(self, request: web.Request) -> web.Response:
        scope = signing_service(request.headers.get("Authorization", ""))
        service = self._by_scope.get(scope or "")
        if service is None:
            message = f"Sign requests for one of {', '.join(self._by_scope)} (got {scope!r})"
            return plain_error(403, "MissingAuthenticationTokenException", message)
        return await service.call(request.match_info["operation"], await request.read())

    async def tags(self, request: web.Request) -> web.Response:
        """ivschat's TagResource (POST), ListTagsForResource (GET), UntagResource (DELETE)."""
        operation = _TAG_OPERATIONS[request.method]
        params: dict = {"resourceArn": request.match_info["arn"]}
        if request.method == "DELETE":
            params["tagKeys"] = request.query.getall("tagKeys", [])
        return await self.ivschat.call(operation, await request.read(), params)


_TAG_OPERATIONS = {"POST": "TagResource", "GET": "ListTagsForResource", "DELETE": "UntagResource"}


def create_app(
    region: str,
    account: str,
    s3_endpoint: str,
    events_endpoint: str | None = None,
    lambda_endpoint: str | None = None,
    logs_endpoint: str | None = None,
) -> web.Application:
    """The emulator for one region and account; Rekognition reads S3 from `s3_endpoint`;
    IVS puts its EventBridge events on `events_endpoint`'s default bus, if given; chat
    review handlers and log subscriptions are invoked at `lambda_endpoint` (without it a
    review handler always takes its fallback); chat logs are also written to
    `logs_endpoint` (CloudWatch Logs), if given."""
    emulator = Emulator(
        region, account, s3_endpoint, events_endpoint, lambda_endpoint, logs_endpoint
    )
    app = web.Application(client_max_size=MAX_REQUEST_BYTES)
    app.add_routes(admin_routes(emulator))
    app.add_routes(
        [
            web.get("/", emulator.messaging.connect),
            web.post("/", emulator.aws_json),
            web.post("/{operation}", emulator.rest_json),
            *(web.route(method, "/tags/{arn:.+}", emulator.tags) for method in _TAG_OPERATIONS),
        ]
    )

    async def close_chat_connections(app: web.Application) -> None:
        await emulator.messaging.close_all()

    async def start_events(app: web.Application) -> None:
        await emulator.events.start()
        await emulator.lambdas.start()
        await emulator.chat_logs.start()

    async def send_last_events(app: web.Application) -> None:
        await emulator.events.close()
        await emulator.chat_logs.close()
        await emulator.lambdas.close()

    app.on_startup.append(start_events)
    app.on_shutdown.append(close_chat_connections)
    app.on_cleanup.append(send_last_events)
    return app
