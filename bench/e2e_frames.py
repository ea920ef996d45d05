"""The benchmark's frames (a distinct JPEG and recording each) and their writer, as IVS writes."""

from __future__ import annotations

import hashlib
import io
import secrets
import string
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import requests
from PIL import Image, ImageDraw

from local import events, stack_client

LABELS = [{"Name": "Weapon Violence", "Confidence": 94}]
ALPHANUMERIC = string.ascii_letters + string.digits


@dataclass
class Frame:
    channel: str
    sequence: int
    key: str
    body: bytes
    sha256: str
    due: float = 0.0  # monotonic: when the schedule says to write it
    written_at: float | None = None  # monotonic, just before put_object
    written_wall: float | None = None  # time.time() at the same moment
    put_ms: float | None = None
    error: str | None = None


def channel_ids(count: int, taken: set[str]) -> list[str]:
    ids: list[str] = []
    while len(ids) < count:  # bounded: collisions of 62**12 ids are vanishingly rare
        candidate = "".join(secrets.choice(ALPHANUMERIC) for _ in range(12))
        if candidate not in taken:
            taken.add(candidate)
            ids.append(candidate)
    return ids


def thumbnail_jpeg(channel: str, sequence: int, nonce: str) -> bytes:
    """A 320x180 JPEG that differs, in bytes and looks, for each channel and frame."""
    colour = hashlib.sha256(channel.encode()).digest()[:3]
    image = Image.new("RGB", (320, 180), (colour[0] % 200, colour[1] % 200, colour[2] % 200))
    draw = ImageDraw.Draw(image)
    x = 10 + (sequence * 23) % 250
    draw.ellipse((x, 65, x + 50, 115), fill=(235, 235, 235))
    draw.rectangle((0, 0, 319, 179), outline=(220, 20, 20), width=6)
    draw.text((14, 14), f"{channel}  frame {sequence}", fill=(255, 255, 255))
    draw.text((14, 156), f"bench {nonce}", fill=(255, 255, 255))
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=75)
    return buffer.getvalue()


def make_frames(
    info: dict[str, Any], channels: Sequence[str], per_channel: int, nonce: str
) -> list[Frame]:
    started = datetime.now(UTC)
    frames: list[Frame] = []
    for channel in channels:
        for sequence in range(per_channel):
            recording = "".join(secrets.choice(ALPHANUMERIC) for _ in range(12))  # a session each
            key = events.thumbnail_key(info["account"], channel, recording, sequence, started)
            body = thumbnail_jpeg(channel, sequence, nonce)
            digest = hashlib.sha256(body).hexdigest()
            frames.append(Frame(channel, sequence, key, body, digest))
    if len({frame.sha256 for frame in frames}) != len(frames):
        raise RuntimeError("two generated frames have the same bytes")
    return frames


class Writer:
    """Declares a frame's labels by SHA-256, then writes it as IVS auto-record would."""

    def __init__(self, info: dict[str, Any], workers: int) -> None:
        self._info = info
        # One attempt: a retried write could be a second object write (a second event).
        self._s3 = stack_client.client(
            info, "s3", max_pool_connections=workers, retries={"total_max_attempts": 1}
        )
        self._local = threading.local()

    def write(self, frame: Frame) -> None:
        try:
            session = getattr(self._local, "session", None)
            if session is None:
                session = self._local.session = requests.Session()
            stack_client.declare_labels(self._info, frame.sha256, LABELS, http=session)
            frame.written_wall = time.time()
            frame.written_at = time.monotonic()
            stack_client.put_frame(self._s3, self._info, frame.key, frame.body)
            frame.put_ms = (time.monotonic() - frame.written_at) * 1000
        except Exception as error:  # counted as a write error, never as a written frame
            frame.error = repr(error)
            frame.written_at = None
