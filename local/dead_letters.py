"""The relay's dead-letter queues: an event sent to one as Lambda sends it; all of them watched."""

from __future__ import annotations

import logging
import threading
from typing import Any

from local.routes import AsyncRoute, Routes

log = logging.getLogger("local.relay")  # the relay's own log: what it sends here it logs

WATCH_SECONDS = 2.0  # how often the dead-letter queues are looked at


def send_to_dead_letter_queue(
    sqs: Any, route: AsyncRoute, message: dict[str, Any], reason: str
) -> None:
    """The event to the function's dead-letter queue, as Lambda sends it there; then off its
    own queue."""
    attributes = {
        "RequestID": {"DataType": "String", "StringValue": message["MessageId"]},
        "ErrorCode": {"DataType": "Number", "StringValue": "200"},
        "ErrorMessage": {"DataType": "String", "StringValue": reason[:1000]},
    }
    try:
        sqs.send_message(
            QueueUrl=route.dead_letter_url,
            MessageBody=message["Body"],
            MessageAttributes=attributes,
        )
    except Exception:
        log.critical(
            "DEAD LETTER NOT SENT: %s event %s stays in %s (%s)",
            route.function.name, message["MessageId"], route.queue_url, reason,
            exc_info=True,
        )  # fmt: skip
        return
    log.error(
        "DEAD LETTER: %s event %s sent to %s: %s",
        route.function.name, message["MessageId"], route.dead_letter_url, reason,
    )  # fmt: skip
    sqs.delete_message(QueueUrl=route.queue_url, ReceiptHandle=message["ReceiptHandle"])


def watch_dead_letter_queues(sqs: Any, routes: Routes, stopping: threading.Event) -> None:
    """Say, as an error, every time a dead-letter queue holds more than it did."""
    queues = {r.dead_letter_url: r.function.name for r in routes.events}
    queues.update({r.dead_letter_url: r.function.name for r in routes.queues})
    seen = dict.fromkeys(queues, 0)
    while not stopping.wait(WATCH_SECONDS):
        for url, function in queues.items():
            try:
                attributes = sqs.get_queue_attributes(
                    QueueUrl=url,
                    AttributeNames=[
                        "ApproximateNumberOfMessages",
                        "ApproximateNumberOfMessagesNotVisible",  # someone reading them
                    ],
                )["Attributes"]
                count = sum(int(number) for number in attributes.values())
            except Exception as error:
                log.warning("cannot look into dead-letter queue %s: %s", url, error)
                continue
            if count > seen[url]:
                log.error("DEAD-LETTER QUEUE %s (%s) holds %d message(s)", url, function, count)
            seen[url] = count
