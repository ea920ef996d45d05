"""AWS wire protocols, so that boto3 cannot tell the emulator from the cloud.

The two protocols botocore's models declare for the emulated services:

- awsJson1_1 (Rekognition): ``POST /`` with ``X-Amz-Target: <prefix>.<Operation>``;
  errors are ``{"__type": code, "Message": ...}``.
- rest-json (IVS, ivschat): ``POST /<Operation>``; the success status comes from the
  model (200, or 204 for deletes); errors carry their code in ``x-amzn-ErrorType`` and the
  error shape's members in the body, with the status the model gives that error.

Every request takes the same path (`AwsService.call`): parse the JSON body, inject the
configured faults, validate it against the model, run the operation, encode the result.
"""

from __future__ import annotations

import abc
import base64
import binascii
import json
import logging
import secrets
import string
import uuid
from collections.abc import Awaitable, Callable
from functools import cache
from typing import Any, ClassVar

import botocore.session
from aiohttp import web
from botocore.model import NoShapeFoundError, ServiceModel

from local.emulator.calls import CallLog
from local.emulator.faults import Fault, Faults
from local.emulator.validation import Violation, describe, violations

logger = logging.getLogger("local.emulator")

Params = dict[str, Any]
Result = dict[str, Any] | None
Handler = Callable[[Params, str], Awaitable[Result]]

ALPHANUMERIC = string.ascii_letters + string.digits


def random_id(length: int = 12) -> str:
    """An identifier in AWS's usual alphabet: channel, room, message and event ids."""
    return "".join(secrets.choice(ALPHANUMERIC) for _ in range(length))


@cache
def service_model(name: str) -> ServiceModel:
    """botocore's own model of the service: the authority for shapes, errors and statuses."""
    return botocore.session.get_session().get_service_model(name)


class ApiError(Exception):
    """An AWS error response: its code, HTTP status and the error shape's members."""

    def __init__(self, code: str, status: int, fields: dict[str, Any]) -> None:
        super().__init__(f"{code}: {fields}")
        self.code = code
        self.status = status
        self.fields = fields


class AdminError(Exception):
    """An admin request refused: answered as ``{"message": ...}`` with `status`."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def plain_error(status: int, code: str, message: str) -> web.Response:
    """An error for a request that no emulated service claims."""
    return web.json_response(
        {"__type": code, "message": message}, status=status, headers={"x-amzn-ErrorType": code}
    )


class AwsService(abc.ABC):
    """One AWS service: its botocore model, its operations and its error conventions.

    Subclasses pick a protocol (`AwsJsonService`, `RestJsonService`), name the member
    that carries error messages, and fill `operations` with handlers that take the
    validated parameters and the request id and return the response members.
    """

    name: ClassVar[str]
    message_field: ClassVar[str]
    internal_error_code: ClassVar[str]
    # Members whose model pattern the service itself does not apply (a model quirk).
    unchecked_patterns: ClassVar[frozenset[str]] = frozenset()

    def __init__(self, faults: Faults) -> None:
        self.model = service_model(self.name)
        self.operations: dict[str, Handler] = {}
        self._faults = faults
        self.calls: CallLog | None = None  # the emulator's log of what it answered

    def error(self, code: str, message: str, status: int | None = None, **fields: Any) -> ApiError:
        """An error of this service; its status is the model's unless given."""
        return ApiError(
            code, status or self._modeled_status(code), {self.message_field: message, **fields}
        )

    def validation_error(self, found: list[Violation]) -> ApiError:
        return self.error("ValidationException", describe(found))

    def throttled(self, params: Params) -> ApiError:
        return self.error("ThrottlingException", "Rate exceeded")

    def internal_error(self, message: str) -> ApiError:
        return self.error(self.internal_error_code, message)

    async def call(
        self, operation: str, body: bytes, uri_params: Params | None = None
    ) -> web.Response:
        """Answer one request; `uri_params` are members bound in the path or query string."""
        request_id = str(uuid.uuid4())
        if uri_params:
            body = json.dumps({**self._parse_quietly(body), **uri_params}).encode()
        try:
            result = await self._run(operation, body, request_id)
        except ApiError as error:
            logger.info("%s %s -> %s %s", self.name, operation, error.status, error.code)
            self._log(operation, body, error.code)
            return self._error_response(error, request_id)
        except Exception:
            logger.exception("%s %s failed", self.name, operation)
            error = self.internal_error("The emulator failed: see its log")
            self._log(operation, body, error.code)
            return self._error_response(error, request_id)
        logger.info("%s %s -> ok", self.name, operation)
        self._log(operation, body, "ok")
        return self._response(operation, result, request_id)

    def _log(self, operation: str, body: bytes, outcome: str) -> None:
        if self.calls is None or operation == "DetectModerationLabels":  # images: not kept
            return
        self.calls.record(self.name, operation, self._parse_quietly(body), outcome)

    @staticmethod
    def _parse_quietly(body: bytes) -> Params:
        try:
            params = json.loads(body) if body.strip() else {}
        except ValueError:
            params = {}
        return params if isinstance(params, dict) else {}

    async def _run(self, operation: str, body: bytes, request_id: str) -> Result:
        handler = self.operations.get(operation)
        if handler is None:
            served = ", ".join(sorted(self.operations))
            message = (
                f"The {self.name} emulator does not implement {operation!r}; it serves {served}"
            )
            raise self.error("UnknownOperationException", message, status=400)
        params = self._parse(body)
        fault = await self._faults.inject(self.name)
        if fault is Fault.THROTTLE:
            raise self.throttled(params)
        if fault is Fault.ERROR:
            raise self.internal_error("Injected fault: internal error")
        found = [
            violation
            for violation in violations(self.model.operation_model(operation).input_shape, params)
            if not (
                violation.path in self.unchecked_patterns
                and violation.constraint.startswith("Member must satisfy regular expression")
            )
        ]
        if found:
            raise self.validation_error(found)
        return await handler(params, request_id)

    def _parse(self, body: bytes) -> Params:
        try:
            params = json.loads(body) if body.strip() else {}
        except ValueError as error:
            raise self.error("SerializationException", f"Malformed JSON: {error}", 400) from None
        if not isinstance(params, dict):
            raise self.error(
                "SerializationException", "The request body must be a JSON object", 400
            )
        return params

    def _modeled_status(self, code: str) -> int:
        try:
            shape = self.model.shape_for(code)
        except NoShapeFoundError:
            return 400
        return shape.metadata.get("error", {}).get("httpStatusCode", 400)

    @abc.abstractmethod
    def _response(self, operation: str, result: Result, request_id: str) -> web.Response: ...

    @abc.abstractmethod
    def _error_response(self, error: ApiError, request_id: str) -> web.Response: ...

    def project(self, shape_name: str, value: dict[str, Any]) -> dict[str, Any]:
        """The members of `value` that the model's `shape_name` has (e.g. a summary)."""
        members = self.model.shape_for(shape_name).members
        return {name: item for name, item in value.items() if name in members}

    def page(self, items: list[Any], params: Params, key: str, default_size: int) -> dict[str, Any]:
        """One page of a List* result, with a `nextToken` when more remain."""
        token = params.get("nextToken") or ""
        try:
            start = int(base64.b64decode(token, validate=True)) if token else 0
            if start < 0:
                raise ValueError(token)
        except (ValueError, binascii.Error):
            violation = Violation("nextToken", "Member must be a token from a previous call", token)
            raise self.validation_error([violation]) from None
        end = start + params.get("maxResults", default_size)
        result: dict[str, Any] = {key: items[start:end]}
        if end < len(items):
            result["nextToken"] = base64.b64encode(str(end).encode()).decode()
        return result


class AwsJsonService(AwsService):
    """awsJson1_1: ``POST /``, operation in ``X-Amz-Target``."""

    def _response(self, operation: str, result: Result, request_id: str) -> web.Response:
        return web.json_response(
            result or {},
            content_type="application/x-amz-json-1.1",
            headers={"x-amzn-RequestId": request_id},
        )

    def _error_response(self, error: ApiError, request_id: str) -> web.Response:
        return web.json_response(
            {"__type": error.code, **error.fields},
            status=error.status,
            content_type="application/x-amz-json-1.1",
            headers={"x-amzn-RequestId": request_id},
        )


class RestJsonService(AwsService):
    """rest-json: ``POST /<Operation>``, statuses from the model."""

    def _response(self, operation: str, result: Result, request_id: str) -> web.Response:
        headers = {"x-amzn-RequestId": request_id}
        status = self.model.operation_model(operation).http.get("responseCode", 200)
        if status == 204:
            return web.Response(status=204, headers=headers)
        return web.json_response(result or {}, status=status, headers=headers)

    def _error_response(self, error: ApiError, request_id: str) -> web.Response:
        headers = {"x-amzn-RequestId": request_id, "x-amzn-ErrorType": error.code}
        return web.json_response(error.fields, status=error.status, headers=headers)
