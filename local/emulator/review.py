"""The message review handler of a chat room: IVS invokes it once per SendMessage.

When a room has a ``messageReviewHandler`` with a ``uri`` and the emulator has a Lambda
endpoint, the function is invoked (RequestResponse) with IVS's request
``{"Content", "MessageId", "RoomArn", "Attributes", "Sender": {"Attributes", "UserId",
"Ip"}}`` and has `REVIEW_BUDGET_SECONDS` (200 ms, IVS's fixed budget) to answer
``{"ReviewResult": "ALLOW"|"DENY", "Content", "Attributes"}``. ALLOW delivers the message,
with the answer's Content and Attributes when given (rewritten); DENY refuses it (ERROR
406, with the answer's ``Attributes.Reason`` if any). On a timeout, a connection error, a
status other than 200, an ``X-Amz-Function-Error`` or an invalid answer, the room's
``fallbackResult`` applies. Without a Lambda endpoint the fallback always applies, and no
call is made.

Every review that invoked the function is in the call log: service ``lambda``, operation
``Invoke``, outcome ``ok``, ``timeout``, ``error`` or ``invalid``, with ``result`` (the
result applied: ALLOW, DENY, or REWRITTEN for an ALLOW that changed the message) and
``latencyMs``.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from typing import Any

import aiohttp

from local.emulator.calls import CallLog
from local.emulator.lambdas import LambdaClient

logger = logging.getLogger("local.emulator")

REVIEW_BUDGET_SECONDS = 0.2
MAX_CONTENT_LENGTH = 500
RESULTS = frozenset({"ALLOW", "DENY"})


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    content: str
    attributes: dict[str, str]
    reason: str = ""  # a DENY's Attributes.Reason


class InvalidAnswer(Exception):
    pass


def parse_answer(body: bytes) -> dict[str, Any]:
    """The handler's answer, checked as IVS checks it (InvalidAnswer when it is not one)."""
    try:
        answer = json.loads(body)
    except ValueError:
        raise InvalidAnswer("not JSON") from None
    if not isinstance(answer, dict):
        raise InvalidAnswer("not a JSON object")
    if answer.get("ReviewResult") not in RESULTS:
        raise InvalidAnswer(f"ReviewResult {answer.get('ReviewResult')!r} is not ALLOW or DENY")
    content = answer.get("Content")
    if content is not None and (not isinstance(content, str) or len(content) > MAX_CONTENT_LENGTH):
        raise InvalidAnswer(f"Content must be a string of at most {MAX_CONTENT_LENGTH} characters")
    attributes = answer.get("Attributes")
    if attributes is not None and not (
        isinstance(attributes, dict)
        and all(isinstance(k, str) and isinstance(v, str) for k, v in attributes.items())
    ):
        raise InvalidAnswer("Attributes must map strings to strings")
    return answer


class Reviewer:
    def __init__(self, lambdas: LambdaClient, calls: CallLog) -> None:
        self._lambdas = lambdas
        self._calls = calls

    async def review(
        self,
        room: dict[str, Any],
        message_id: str,
        content: str,
        attributes: dict[str, str],
        sender: dict[str, Any],
    ) -> Verdict:
        """What happens to a message sent to `room` (its GetRoom data) by `sender`
        (``{"Attributes", "UserId", "Ip"}``)."""
        original = Verdict(True, content, attributes)
        handler = room.get("messageReviewHandler") or {}
        uri = handler.get("uri")
        if not uri:
            return original
        fallback = Verdict(handler.get("fallbackResult", "ALLOW") == "ALLOW", content, attributes)
        if not self._lambdas.endpoint:
            return fallback
        request = {
            "Content": content,
            "MessageId": message_id,
            "RoomArn": room["arn"],
            "Attributes": attributes,
            "Sender": sender,
        }
        started = time.monotonic()
        try:
            invocation = await self._lambdas.invoke(
                uri, request, "RequestResponse", REVIEW_BUDGET_SECONDS
            )
            if invocation.status != 200 or invocation.function_error:
                outcome, verdict = "error", fallback
                logger.warning(
                    "review handler %s answered %s %s: fallback",
                    uri,
                    invocation.status,
                    invocation.function_error or "",
                )
            else:
                answer = parse_answer(invocation.body)
                outcome, verdict = "ok", _verdict(answer, content, attributes)
        except TimeoutError:
            outcome, verdict = "timeout", fallback
            logger.warning("review handler %s did not answer within 200 ms: fallback", uri)
        except aiohttp.ClientError as error:
            outcome, verdict = "error", fallback
            logger.warning("review handler %s unreachable (%s): fallback", uri, error)
        except InvalidAnswer as error:
            outcome, verdict = "invalid", fallback
            logger.warning("review handler %s answered badly (%s): fallback", uri, error)
        latency_ms = round((time.monotonic() - started) * 1000, 1)
        rewritten = verdict.allowed and (verdict.content, verdict.attributes) != (
            content,
            attributes,
        )
        result = "REWRITTEN" if rewritten else "ALLOW" if verdict.allowed else "DENY"
        self._calls.record(
            "lambda",
            "Invoke",
            {"FunctionName": uri, "InvocationType": "RequestResponse", "Payload": request},
            outcome,
            result=result,
            latencyMs=latency_ms,
        )
        return verdict


def _verdict(answer: dict[str, Any], content: str, attributes: dict[str, str]) -> Verdict:
    given = answer.get("Attributes")
    if answer["ReviewResult"] == "DENY":
        return Verdict(False, content, attributes, (given or {}).get("Reason", ""))
    content = answer["Content"] if answer.get("Content") is not None else content
    return Verdict(True, content, given if given is not None else attributes)
