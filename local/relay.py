"""Lambda's part in the local stack: events from the rule's queue into the real handler.

EventBridge delivers to Lambda by an asynchronous invoke: concurrent, at least once, and
retried when the function fails. Here the app's own rule (on moto's EventBridge) targets
an SQS queue; this relay receives from it and calls the production handler from app.py,
unchanged, in a pool of threads. A message is deleted only when the handler returns, so a
failed event comes back after the queue's visibility timeout, and after three tries goes
to the dead-letter queue (see local/resources.py).

Run by local/stack.py with the stage's environment: `python -m local.relay QUEUE_URL`.
"""

from __future__ import annotations

import argparse
import json
import logging
import signal
import threading
from concurrent.futures import ThreadPoolExecutor

import boto3
from chalice.local import LambdaContext

log = logging.getLogger("local.relay")
FUNCTION = "moderate_thumbnail"


def relay(queue_url: str, workers: int, stopping: threading.Event) -> None:
    import app  # after the environment is set: the rule and settings read it

    handler = getattr(app, FUNCTION)
    sqs = boto3.client("sqs")
    pool = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="invoke")
    slots = threading.Semaphore(workers)
    log.info("ready: %d workers receiving from %s", workers, queue_url)

    def invoke(message: dict) -> None:
        try:
            event = json.loads(message["Body"])
            handler(event, LambdaContext(FUNCTION, memory_size=512, max_runtime_ms=60_000))
        except Exception:
            log.exception("invoke failed; the event will be retried")
        else:
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
        finally:
            slots.release()

    while not stopping.is_set():
        messages = sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=1
        ).get("Messages", [])
        for message in messages:
            slots.acquire()
            pool.submit(invoke, message)
    pool.shutdown(wait=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("queue_url")
    parser.add_argument("--workers", type=int, default=16, help="concurrent invokes")
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s relay %(message)s")
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    signal.signal(signal.SIGINT, lambda *_: stopping.set())
    relay(args.queue_url, args.workers, stopping)


if __name__ == "__main__":
    main()
