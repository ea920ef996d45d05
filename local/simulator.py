"""The stream simulator: IVS channels going live and IVS auto-record writing their thumbnails.

For each channel of a scenario file it creates the channel (IVS CreateChannel on the
emulator), connects an "encoder" with the channel's stream key, and every interval writes a
generated JPEG under the real IVS key layout
``ivs/v1/<account>/<channel>/<y>/<m>/<d>/<h>/<mi>/<recording>/media/thumbnails/thumb<N>.jpg``.
Frames the scenario marks as violating have their labels declared to the emulator first,
since no model runs here. When a stream is stopped (StopStream) the channel stops writing;
like a real encoder it reconnects after a while, as a new recording, unless its stream key
was revoked.

With `--review-handler` and `--logging-configuration`, each channel also gets its viewers'
chat room, moderated as `make chat-rooms` sets it up in AWS (local/chat_rooms.py), and
viewers chat in it (local/chatters.py) unless `--no-chat` or the scenario says
`"chatters": false`.

Scenario file (JSON)::

    {"interval_seconds": 5, "reconnect_after_seconds": 15,
     "chatters": true, "chat_seed": 7, "chat_reconnect_after_seconds": 20,
     "channels": [{"name": "arena", "frames": ["clean", "clean", {"Weapon Violence": 93.5}]}]}

`frames` repeats; an entry is "clean" or the labels (leaf names and confidences) of a frame.
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import hashlib
import json
import logging
import os
import pathlib
import random
import signal
import string
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime

import boto3
import requests
from botocore.exceptions import ClientError

from local.chat_rooms import create_viewer_room
from local.chatters import chat_in_rooms
from local.footage import ForeignObject, Scene

log = logging.getLogger("local.simulator")


@dataclass
class Channel:
    name: str
    frames: list
    arn: str = ""
    stream_key: str = ""
    prefix: str = ""  # the current recording's key prefix
    sequence: int = 0
    live: bool = False
    stopped_at: float | None = None
    gave_up: bool = False
    written: int = field(default=0)
    room_arn: str = ""  # its viewers' chat room


class Simulator:
    def __init__(self, scenario: dict, bucket: str, emulator_url: str) -> None:
        self.interval = float(scenario.get("interval_seconds", 5))
        self.reconnect_after = float(scenario.get("reconnect_after_seconds", 15))
        self.channels = [
            Channel(c["name"], c.get("frames", ["clean"])) for c in scenario["channels"]
        ]
        self.chatters = bool(scenario.get("chatters", True))
        self.chat_seed = scenario.get("chat_seed", 0)
        self.chat_reconnect_after = float(scenario.get("chat_reconnect_after_seconds", 20))
        self.bucket = bucket
        self.emulator = emulator_url.rstrip("/")
        self.s3 = boto3.client("s3")
        self.ivs = boto3.client("ivs")

    def create_channels(self, review_arn: str = "", logging_arn: str = "") -> list[dict]:
        """The channels; with a review handler and logging, each one's viewers' room too."""
        ivschat = boto3.client("ivschat") if review_arn else None
        for channel in self.channels:
            response = self.ivs.create_channel(name=channel.name, latencyMode="LOW")
            channel.arn = response["channel"]["arn"]
            channel.stream_key = response["streamKey"]["value"]
            if ivschat is not None:
                channel.room_arn = create_viewer_room(
                    ivschat, channel.name, channel.arn,
                    review_arn=review_arn, logging_arn=logging_arn,
                )  # fmt: skip
        return [
            {
                "name": c.name,
                "channelArn": c.arn,
                **({"chatRoomArn": c.room_arn} if c.room_arn else {}),
            }
            for c in self.channels
        ]

    def run(self, stopping: threading.Event, chat_ws_url: str = "") -> None:
        """Broadcast until `stopping`; chatters in the rooms too, given their WebSocket."""
        threads = [
            threading.Thread(target=self._broadcast, args=(c, stopping), daemon=True)
            for c in self.channels
        ]
        rooms = {c.name: c.room_arn for c in self.channels if c.room_arn}
        if chat_ws_url and rooms and self.chatters:
            threads.append(
                threading.Thread(
                    target=self._chat, args=(rooms, chat_ws_url, stopping), daemon=True
                )
            )
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()

    def _chat(self, rooms: dict[str, str], ws_url: str, stopping: threading.Event) -> None:
        async def chat() -> None:
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            threading.Thread(
                target=lambda: (stopping.wait(), loop.call_soon_threadsafe(stop.set)), daemon=True
            ).start()
            create_token = boto3.client("ivschat").create_chat_token
            await chat_in_rooms(
                rooms, ws_url, create_token, stop,
                seed=self.chat_seed, reconnect_after=self.chat_reconnect_after,
            )  # fmt: skip

        log.info("viewers chat in %d rooms", len(rooms))
        asyncio.run(chat())

    def _broadcast(self, channel: Channel, stopping: threading.Event) -> None:
        stopping.wait(random.uniform(0, min(self.interval, 2)))  # not all in step
        while not stopping.is_set():
            try:
                self._tick(channel)
            except Exception:
                log.exception("%s: tick failed", channel.name)
            if channel.gave_up:
                return
            stopping.wait(self.interval)

    def _tick(self, channel: Channel) -> None:
        if not channel.live:
            if (
                channel.stopped_at is None
                or time.time() - channel.stopped_at >= self.reconnect_after
            ):
                self._connect(channel)
            return
        if not self._is_live(channel):
            log.info("%s: stream stopped; the encoder will try to reconnect", channel.name)
            channel.live, channel.stopped_at = False, time.time()
            return
        self._write_frame(channel)

    def _connect(self, channel: Channel) -> None:
        response = requests.post(
            f"{self.emulator}/_emulator/encoder/connect",
            json={"streamKey": channel.stream_key},
            timeout=5,
        )
        if response.status_code == 403:
            log.info("%s: stream key refused (revoked); the encoder gives up", channel.name)
            channel.gave_up = True
            return
        response.raise_for_status()
        started = datetime.now(UTC)
        recording = "".join(random.choices(string.ascii_letters + string.digits, k=12))
        account, channel_id = channel.arn.split(":")[4], channel.arn.rsplit("/", 1)[1]
        channel.prefix = (
            f"ivs/v1/{account}/{channel_id}/{started.year}/{started.month}/"
            f"{started.day}/{started.hour}/{started.minute}/{recording}"
        )
        channel.sequence, channel.live = 0, True
        log.info("%s: live, recording %s", channel.name, recording)

    def _is_live(self, channel: Channel) -> bool:
        try:
            self.ivs.get_stream(channelArn=channel.arn)
        except ClientError as error:
            if error.response["Error"]["Code"] == "ChannelNotBroadcasting":
                return False
            raise
        return True

    def _write_frame(self, channel: Channel) -> None:
        spec = channel.frames[channel.sequence % len(channel.frames)]
        labels = [] if spec == "clean" else [{"Name": n, "Confidence": c} for n, c in spec.items()]
        key = f"{channel.prefix}/media/thumbnails/thumb{channel.sequence}.jpg"
        image = thumbnail(channel.name, channel.sequence, violating=bool(labels))
        # Declared by the image's hash: the handler sends Rekognition the bytes it read.
        declaration = {"sha256": hashlib.sha256(image).hexdigest(), "labels": labels}
        requests.put(
            f"{self.emulator}/_emulator/labels", json=declaration, timeout=5
        ).raise_for_status()
        self.s3.put_object(Bucket=self.bucket, Key=key, Body=image, ContentType="image/jpeg")
        channel.sequence += 1
        channel.written += 1


# Each channel films one of these (kind, photograph) scenes (local/footage.py), by its name.
_CHANNEL_SCENES = (
    ("static", "coffee"),
    ("talking head", "astronaut"),
    ("static", "rocket"),
    ("slide", "chelsea"),
    ("talking head", "camera"),
    ("static", "motorcycle"),
)
_OBJECTS = ("astronaut", "rocket", "chelsea", "retina", "moon", "brick", "clock")


@functools.lru_cache(maxsize=64)
def _scene(name: str) -> Scene:
    digest = int(hashlib.sha256(name.encode()).hexdigest()[:8], 16)
    kind, photo = _CHANNEL_SCENES[digest % len(_CHANNEL_SCENES)]
    return Scene(kind, photo, (640, 360), seed=digest)


def thumbnail(name: str, sequence: int, *, violating: bool) -> bytes:
    """Frame `sequence` of channel `name`: a 640x360 JPEG of a real photograph filmed like a
    camera would (jitter, flicker, noise, JPEG), so clean frames are near-duplicates as on a
    real stream; a violating frame has a foreign object in view, a crop of another
    photograph covering 3% of the frame somewhere."""
    scene = _scene(name)
    obj = None
    if violating:
        rng = random.Random(f"{name}/{sequence}")
        source = rng.choice([photo for photo in _OBJECTS if photo != scene.photo_name])
        obj = ForeignObject(source, 0.03, rng.getrandbits(32))
    return scene.frame(sequence, obj)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scenario", type=pathlib.Path, required=True)
    parser.add_argument("--bucket", required=True)
    parser.add_argument("--emulator-url", required=True)
    parser.add_argument("--channels-out", type=pathlib.Path, required=True)
    parser.add_argument("--review-handler", default="", help="ARN: give each channel a room")
    parser.add_argument("--logging-configuration", default="", help="ARN, for the rooms")
    parser.add_argument("--no-chat", action="store_true", help="rooms, but nobody chats")
    parser.add_argument(
        "--chat-ws-url", default=os.environ.get("CHAT_MESSAGING_ENDPOINT", ""), help="WebSocket"
    )
    args = parser.parse_args()
    logging.basicConfig(level=logging.INFO, format="%(asctime)s simulator %(message)s")
    simulator = Simulator(json.loads(args.scenario.read_text()), args.bucket, args.emulator_url)
    channels = simulator.create_channels(args.review_handler, args.logging_configuration)
    args.channels_out.write_text(json.dumps(channels, indent=2))
    stopping = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stopping.set())
    signal.signal(signal.SIGINT, lambda *_: stopping.set())
    simulator.run(stopping, "" if args.no_chat else args.chat_ws_url)


if __name__ == "__main__":
    main()
