"""The production handler from app.py, unchanged, wired to zero-latency fakes (bench/fakes.py).

`load_app()` imports app.py with a benchmark stage's settings; `Ours(fakes)` replaces its
lazily built AWS clients and decision table by the fakes, as the tests' Stubbers do, and
calls the handler as Lambda would (the Chalice event handler, its Powertools middleware,
idempotency included). Logs and metrics are formatted as in Lambda and written to
/dev/null, so their cost counts but the terminal stays readable.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

from bench.fakes import FakeAws
from local import events

REGION, ACCOUNT, BUCKET = "us-west-2", "123456789012", "bench-recordings"
ROOM = f"arn:aws:ivschat:{REGION}:{ACCOUNT}:room/BenchRoom01"
STARTED = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)  # the replayed streams' recordings
SETTINGS = {
    "AWS_ACCESS_KEY_ID": "bench",
    "AWS_SECRET_ACCESS_KEY": "bench",
    "AWS_DEFAULT_REGION": REGION,
    "AWS_REGION": REGION,
    "RECORDING_BUCKET": BUCKET,
    "DECISIONS_TABLE": "bench-decisions",
    "IDEMPOTENCY_TABLE": "bench-idempotency",
    "INCIDENTS_TABLE": "bench-incidents",
    "CHANNELS_TABLE": "bench-channels",
    "POLICIES_TABLE": "bench-policies",
    "FAILED_FRAMES_QUEUE": "bench-failed-frames",
    "CHAT_TABLE": "bench-chat",
    "CHAT_MESSAGES_QUEUE": "bench-chat-messages",
    "CHAT_MESSAGES_QUEUE_URL": f"https://sqs.{REGION}.amazonaws.com/{ACCOUNT}/bench-chat-messages",
    "MODERATION_ROOM_ARN": ROOM,
    "COGNITO_USER_POOL_ID": f"{REGION}_BenchPool1",
    "COGNITO_APP_CLIENT_IDS": "benchclient",
}
_devnull = open(os.devnull, "w")  # noqa: SIM115 - for the life of the process


@contextlib.contextmanager
def quiet() -> Iterator[None]:
    """Send the handler's logs and metrics to /dev/null (they are still formatted)."""
    with contextlib.redirect_stdout(_devnull):
        yield


def load_app():
    os.environ.update(SETTINGS)
    with quiet():
        import app
    # Powertools' logger keeps the stdout it found at import: point it at /dev/null too.
    app.logger.registered_handler.stream = _devnull
    return app


def thumbnail_key(channel: str, sequence: int) -> str:
    return events.thumbnail_key(ACCOUNT, channel, "RecBench0001", sequence, STARTED)


def object_created(key: str, second: int) -> dict:
    return events.object_created(
        key,
        bucket=BUCKET,
        account=ACCOUNT,
        region=REGION,
        etag=uuid.uuid4().hex,
        sequencer=uuid.uuid4().hex,
        time=f"2026-11-21T10:{second // 60 % 60:02d}:{second % 60:02d}Z",
        size=1,
    )


class Ours:
    """The production handler with every AWS dependency replaced by `fakes`."""

    def __init__(self, fakes: FakeAws, **settings: str) -> None:
        from chalice.local import LambdaContext

        self.app = load_app()
        os.environ.update(settings)
        from chalicelib import dependencies

        dependencies.reset()
        dependencies.aws_client = fakes.client
        # The service's clock follows the replayed stream: each event's time is "now" while
        # it is handled (so incidents' 30 s update interval is in stream time, not CPU time).
        self.now = datetime(2026, 11, 21, 10, 0, tzinfo=UTC)
        dependencies.now = lambda: self.now
        self.fakes = fakes
        self.context = LambdaContext("moderate_thumbnail", memory_size=512, max_runtime_ms=60_000)

    def handle(self, event: dict) -> dict:
        self.now = datetime.fromisoformat(event["time"].replace("Z", "+00:00"))
        with quiet():
            return self.app.moderate_thumbnail(event, self.context)


def write(fakes: FakeAws, key: str, image: bytes) -> None:
    fakes.s3.objects[(BUCKET, key)] = image
