"""Throttling is retried by the app's real boto3 client, over real HTTP.

Stubber answers before botocore's retry logic runs, so it cannot show retries; here a
local HTTP server speaks Rekognition's JSON protocol, and the app's client reaches it
through AWS_ENDPOINT_URL_REKOGNITION, as it reaches any endpoint.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from support import VIOLENCE, decisions, thumbnail_key, written

THROTTLED = {"__type": "ThrottlingException", "message": "Rate exceeded"}
# A transient server error: retried like throttling, with a shorter backoff.
INTERNAL = {"__type": "InternalServerError", "message": "We encountered an internal error"}


class FakeRekognition:
    """Answers DetectModerationLabels: `fail` times with `error`, then with labels."""

    def __init__(self) -> None:
        self.fail = 0
        self.error = THROTTLED
        self.requests: list[dict] = []
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                fake.requests.append({"target": self.headers["X-Amz-Target"], "body": body})
                failed = len(fake.requests) <= fake.fail
                payload = json.dumps(fake.error if failed else VIOLENCE).encode()
                status = 400 if fake.error is THROTTLED else 500
                self.send_response(status if failed else 200)
                self.send_header("Content-Type", "application/x-amz-json-1.1")
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)

            def log_message(self, *args) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"


@pytest.fixture
def fake_rekognition(monkeypatch) -> Iterator[FakeRekognition]:
    fake = FakeRekognition()
    thread = threading.Thread(target=fake.server.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    monkeypatch.setenv("AWS_ENDPOINT_URL_REKOGNITION", fake.url)
    yield fake
    fake.server.shutdown()


def test_throttled_detection_is_retried_and_then_succeeds(client, fake_rekognition, ivschat):
    # GIVEN Rekognition throttles twice
    fake_rekognition.fail = 2
    ivschat.add_response("send_event", {"id": "AbCdEfGh1234"})
    key = thumbnail_key(5)

    # WHEN a thumbnail arrives
    result = client.lambda_.invoke("moderate_thumbnail", written(key)).payload

    # THEN the client retried on its own and the frame was moderated once
    assert len(fake_rekognition.requests) == 3
    assert {r["target"] for r in fake_rekognition.requests} == {
        "RekognitionService.DetectModerationLabels"
    }
    assert result["decision"] == "alert"
    assert len(decisions()) == 1


def test_an_error_that_persists_fails_the_invoke_after_five_attempts(client, fake_rekognition):
    fake_rekognition.fail = 100
    fake_rekognition.error = INTERNAL

    with pytest.raises(Exception, match="InternalServerError"):
        client.lambda_.invoke("moderate_thumbnail", written(thumbnail_key(5)))

    assert len(fake_rekognition.requests) == 5
    assert decisions() == []


def test_every_call_makes_its_five_attempts_under_sustained_errors(client, fake_rekognition):
    # botocore's own retry quota (500 tokens, 14 per non-throttling retry) would run dry
    # after ~35 retries: frames past the eighth would fail after a single attempt.
    fake_rekognition.fail = 10_000
    fake_rekognition.error = INTERNAL
    frames = 15

    for n in range(frames):
        with pytest.raises(Exception, match="InternalServerError"):
            client.lambda_.invoke("moderate_thumbnail", written(thumbnail_key(n)))

    assert len(fake_rekognition.requests) == frames * 5


def test_sustained_throttling_is_retried_five_times_per_call(client, fake_rekognition, monkeypatch):
    # Throttled retries cost 5 tokens: 100 frames' worth. Backoff sleeps are skipped here
    # (recorded instead), so the test runs in a second, not minutes.
    import botocore.endpoint

    slept: list[float] = []

    class Clock:
        @staticmethod
        def sleep(seconds: float) -> None:
            slept.append(seconds)

    monkeypatch.setattr(botocore.endpoint, "time", Clock)
    fake_rekognition.fail = 10_000
    frames = 110

    for n in range(frames):
        with pytest.raises(Exception, match="ThrottlingException"):
            client.lambda_.invoke("moderate_thumbnail", written(thumbnail_key(n)))

    assert len(fake_rekognition.requests) == frames * 5
    assert len(slept) == frames * 4
    assert max(slept) <= 20  # botocore's backoff cap
