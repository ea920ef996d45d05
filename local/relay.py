"""Lambda's part in the local stack: every event handler of the app, invoked as Lambda would.

The stack (local/stack.py) reads the handlers from the app (`app.app.event_sources`), as
`chalice deploy` does, creates their queues on moto, and hands this relay the routes. The
relay calls the production handlers, unchanged, in a pool of threads (concurrently, at
least once), with a Lambda context named as the deployed function would be.

on_cw_event (EventBridge invokes the function asynchronously): the app's own rule on moto's
EventBridge targets a queue of the function's own, standing in for Lambda's internal queue.
  - A failed invoke is tried again, twice (MAX_ATTEMPTS = 3 in all, as Lambda does), after
    RETRY_DELAYS: Lambda waits about 1 minute, then 2; here 2 seconds, then 4.
  - When the last attempt fails, Lambda's invocation record (condition RetriesExhausted)
    goes to the function's on-failure destination, the failed-frames queue, and the event
    is done. What even that cannot take goes to the function's dead-letter queue, with the
    attributes Lambda gives a DLQ message, and is logged as an error.
on_sqs_message (an event source mapping): up to the handler's batch size (10 at most per
receive, SQS's limit) is received and passed as Lambda's SQS event; the messages are
deleted when the handler returns. A failed batch stays in the queue and is received again
after SQS_RETRY_SECONDS (in AWS: after the queue's visibility timeout), until the queue's
redrive policy moves it to its dead-letter queue.

Every dead-letter queue is watched, and a message arriving in one is logged as an error:
nothing vanishes silently. Queues hold a message invisible for 6 minutes while it is
handled (local/resources.py), so no event runs twice at once; a failure is made visible
again sooner, as above.

@app.schedule (a rate): invoked on its rate (local/schedules.py).

Not played: the function timeout (an invoke runs to its end), the maximum event age, and
per-function concurrency (all handlers share the pool of workers).

With `--invoke-port`, the relay also serves Lambda's Invoke API (local/invoke.py), how IVS
chat and CloudWatch Logs call the app's pure functions; asynchronous invokes run in its pool.
Run by local/stack.py with the stage's environment: `python -m local.relay ROUTES_JSON`.
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import threading
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import boto3
from chalice import Chalice

from local.dead_letters import send_to_dead_letter_queue, watch_dead_letter_queues
from local.invoke import Invoker, serve
from local.lambda_payloads import invocation_record, lambda_context, sqs_record
from local.routes import AsyncRoute, Function, QueueRoute, Routes
from local.schedules import ticking

log = logging.getLogger("local.relay")

MAX_ATTEMPTS = 3  # Lambda: an asynchronous invoke is retried twice
RETRY_DELAYS = (2, 4)  # seconds before the 2nd and 3rd attempts; Lambda: ~60 and ~120
SQS_RETRY_SECONDS = 2  # a failed batch is received again after this
RECEIVE_WAIT_SECONDS = 1  # long polling; also how soon a stop is noticed


# --- the relay ---------------------------------------------------------------------------


class Relay:
    """Receives from every route's queue and invokes the app's handlers as Lambda would."""

    def __init__(
        self,
        app: Chalice,
        routes: Routes,
        sqs: Any,
        *,
        workers: int = 16,
        retry_delays: tuple[int, ...] = RETRY_DELAYS,
        sqs_retry_seconds: int = SQS_RETRY_SECONDS,
    ) -> None:
        handlers = [route.function.handler for route in (*routes.events, *routes.queues)]
        missing = [name for name in handlers if name not in app.handler_map]
        if missing:
            raise ValueError(f"the app has no handler named {', '.join(missing)}")
        self._handlers = app.handler_map  # Chalice's wrapped handlers, middleware included
        self._routes = routes
        self._sqs = sqs
        self._workers = workers
        self._retry_delays = retry_delays
        self._sqs_retry_seconds = sqs_retry_seconds
        self._slots = threading.Semaphore(workers)
        self._pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="invoke")

    def run(self, stopping: threading.Event, servers: tuple[Any, ...] = ()) -> None:
        """Relay until `stopping` is set; then stop `servers` (the Invoke API, which submits
        to the pool) and finish the invokes under way."""
        dead_letters = (self._sqs, self._routes, stopping)
        threads = [threading.Thread(target=watch_dead_letter_queues, args=dead_letters)]
        for route in self._routes.events:
            threads.append(threading.Thread(target=self._receive_events, args=(route, stopping)))
            log.info("%s <- rule %s (queue %s)", route.function.name, route.rule, route.queue_url)
        for route in self._routes.queues:
            threads.append(threading.Thread(target=self._receive_batches, args=(route, stopping)))
            log.info("%s <- queue %s", route.function.name, route.queue_url)
        for schedule in self._routes.schedules:  # local/schedules.py
            threads.append(ticking(schedule, self._handler(schedule.function), self, stopping))
        for thread in threads:
            thread.start()
        log.info("ready: %d workers", self._workers)
        for thread in threads:
            thread.join()
        for server in servers:
            server.shutdown()
        self._pool.shutdown(wait=True)

    def _handler(self, function: Function) -> Callable[..., Any]:
        return self._handlers[function.handler]

    def _receive(self, queue_url: str, count: int, attributes: list[str]) -> list[dict]:
        try:
            return self._sqs.receive_message(
                QueueUrl=queue_url,
                MaxNumberOfMessages=count,
                WaitTimeSeconds=RECEIVE_WAIT_SECONDS,
                MessageSystemAttributeNames=attributes,
                MessageAttributeNames=["All"],
            ).get("Messages", [])
        except Exception:
            log.exception("receiving from %s failed; trying again", queue_url)
            return []

    def submit(self, work: Callable[..., None], *args: Any) -> None:
        self._slots.acquire()

        def run() -> None:
            try:
                work(*args)
            except Exception:
                log.exception("the relay failed; the message comes back after its visibility")
            finally:
                self._slots.release()

        self._pool.submit(run)

    # --- asynchronous invokes (on_cw_event) ----------------------------------------------

    def _receive_events(self, route: AsyncRoute, stopping: threading.Event) -> None:
        while not stopping.is_set():
            for message in self._receive(route.queue_url, 10, ["ApproximateReceiveCount"]):
                self.submit(self._invoke, route, message)

    def _invoke(self, route: AsyncRoute, message: dict[str, Any]) -> None:
        function = route.function
        attempt = int(message["Attributes"]["ApproximateReceiveCount"])
        request_id = message["MessageId"]  # the same for every attempt, as in Lambda
        try:
            event = self._event(message["Body"])
        except ValueError as error:
            send_to_dead_letter_queue(self._sqs, route, message, f"not an event: {error}")
            return
        if attempt > MAX_ATTEMPTS:  # an earlier attempt never finished (the relay stopped?)
            send_to_dead_letter_queue(
                self._sqs, route, message, f"received {attempt} times; no attempt finished"
            )
            return
        try:
            self._handler(function)(event, lambda_context(function, request_id))
        except Exception as error:
            if attempt < MAX_ATTEMPTS:
                delay = self._retry_delays[attempt - 1]
                log.warning(
                    "%s failed (attempt %d of %d) on event %s: %s: %s; retried in %d s",
                    function.name, attempt, MAX_ATTEMPTS, _event_id(event),
                    type(error).__name__, error, delay,
                )  # fmt: skip
                self._sqs.change_message_visibility(
                    QueueUrl=route.queue_url,
                    ReceiptHandle=message["ReceiptHandle"],
                    VisibilityTimeout=delay,
                )
                return
            self._give_up(route, message, event, error, attempt)
            return
        self._delete(route.queue_url, message)

    def _give_up(
        self,
        route: AsyncRoute,
        message: dict[str, Any],
        event: Any,
        error: Exception,
        attempts: int,
    ) -> None:
        """Lambda's end of a failed asynchronous invoke: the record to the destination."""
        function = route.function
        record = invocation_record(
            event,
            error,
            attempts=attempts,
            request_id=message["MessageId"],
            function_arn=function.arn,
        )
        failure = f"{type(error).__name__}: {error}"
        if route.on_failure_url:
            try:
                self._sqs.send_message(
                    QueueUrl=route.on_failure_url, MessageBody=json.dumps(record)
                )
            except Exception as send_error:
                failure += f"; the on-failure destination refused it: {send_error}"
            else:
                log.error(
                    "%s failed %d times on event %s (%s): invocation record sent to %s",
                    function.name, attempts, _event_id(event), failure, route.on_failure_url,
                )  # fmt: skip
                self._delete(route.queue_url, message)
                return
        send_to_dead_letter_queue(self._sqs, route, message, failure)

    def _event(self, body: str) -> Any:
        event = json.loads(body)
        # moto's EventBridge leaves `account` out of what it delivers to an SQS target (its
        # default input template lacks it); EventBridge always sends it, and Chalice's
        # CloudWatchEvent needs it.
        if isinstance(event, dict) and "detail-type" in event:
            event.setdefault("account", self._routes.account)
        return event

    # --- event source mappings (on_sqs_message) ------------------------------------------

    def _receive_batches(self, route: QueueRoute, stopping: threading.Event) -> None:
        while not stopping.is_set():
            messages = self._receive(route.queue_url, min(route.batch_size, 10), ["All"])
            if messages:
                self.submit(self._invoke_batch, route, messages)

    def _invoke_batch(self, route: QueueRoute, messages: list[dict[str, Any]]) -> None:
        function = route.function
        records = [sqs_record(m, route.queue_arn, self._routes.region) for m in messages]
        try:
            self._handler(function)(
                {"Records": records}, lambda_context(function, str(uuid.uuid4()))
            )
        except Exception as error:
            receives = max(int(m["Attributes"]["ApproximateReceiveCount"]) for m in messages)
            log.warning(
                "%s failed on a batch of %d (received up to %d times): %s: %s; "
                "received again in %d s",
                function.name, len(messages), receives, type(error).__name__, error,
                self._sqs_retry_seconds,
            )  # fmt: skip
            self._sqs.change_message_visibility_batch(
                QueueUrl=route.queue_url,
                Entries=[
                    {
                        "Id": str(index),
                        "ReceiptHandle": m["ReceiptHandle"],
                        "VisibilityTimeout": self._sqs_retry_seconds,
                    }
                    for index, m in enumerate(messages)
                ],
            )
            return
        self._sqs.delete_message_batch(
            QueueUrl=route.queue_url,
            Entries=[
                {"Id": str(index), "ReceiptHandle": m["ReceiptHandle"]}
                for index, m in enumerate(messages)
            ],
        )

    def _delete(self, queue_url: str, message: dict[str, Any]) -> None:
        self._sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])


def _event_id(event: Any) -> str:
    return str(event.get("id")) if isinstance(event, dict) else "?"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("routes", help="the routes file local/stack.py writes")
    parser.add_argument("--workers", type=int, default=16, help="concurrent invokes")
    parser.add_argument("--invoke-port", type=int, help="serve Lambda's Invoke API on this port")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s relay %(levelname)s %(message)s")
    with open(args.routes) as routes_file:
        routes = Routes.from_json(routes_file.read())
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    signal.signal(signal.SIGINT, lambda *_: stopping.set())
    import app  # after the environment is set: the rules and settings read it

    relay = Relay(app.app, routes, boto3.client("sqs"), workers=args.workers)
    servers = ()
    if args.invoke_port:
        invoker = Invoker.for_routes(app.app, routes, relay.submit, RETRY_DELAYS, stopping)
        servers = (serve(invoker, "127.0.0.1", args.invoke_port),)
    relay.run(stopping, servers)


if __name__ == "__main__":
    main()
