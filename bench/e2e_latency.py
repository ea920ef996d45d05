"""End-to-end alert latency and handler memory on the local stack.

What it measures: for 1, 10 and 100 simulated IVS channels, the time from a violating
thumbnail being written to the recording bucket (the monotonic clock just before
`put_object`) to the `incident-opened` STREAM_MODERATION event it causes arriving on the
moderators' chat WebSocket (matched by the event's `latestFrameKey`); and the peak resident
memory (`VmHWM`) of the relay, the process that runs the production Lambda handler.

The room hears of incidents, not frames: a violating frame that joins an open incident
announces nothing. So that every measured frame is the first of an episode, each frame is
written under a recording (a stream session) of its own; the channel's previous incident,
of an earlier session, is then resolved as stream-ended, and that event is counted apart
(`followups`), not as a duplicate.

How: it starts the local stack headless on free 127.0.0.1 ports (`local.headless`, as
tests/e2e/conftest.py does), signs in as the moderator (moto's Cognito,
USER_PASSWORD_AUTH), gets a chat token from `POST /chat-token` (local/stack_client.py, as
the end-to-end tests do) and holds ONE WebSocket listener on the room. After one warm-up
frame (the handler's cold start, not counted), for each channel count it takes fresh
12-character channel ids and writes one frame per channel per `interval` for `seconds`,
the channels spread evenly over the interval (not in lock-step), from a thread pool so
that the rate holds. Every frame is a distinct 320x180 JPEG (channel and frame number
drawn on it), pre-rendered before the writing period, whose labels (Weapon Violence, 94%)
are declared to the emulator by the SHA-256 of its bytes just before it is written. After
the writing period it waits up to `STRAGGLER_SECONDS` for late events, then reports
p50/p95, how many frames were written and how many events came back (each written frame
must give exactly one event: losses, duplicates and unexpected events are counted, never
dropped), the achieved write rate, and the relay's VmHWM. The stack is stopped at the end,
also on errors.

To tell where time goes, each run also records, per channel count: the relay's own
`frame moderated` log lines (write -> handler finished, matched through the event's
`decisionId`), the handler's EMF `RekognitionLatency`, the rule queue's depth (sampled
every second), `put_object` times, and the CPU used by each stack process.

    .venv/bin/python -m bench.e2e_latency --channels 1 10 100 --seconds 20 [--output FILE]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import hashlib
import io
import json
import logging
import math
import os
import pathlib
import secrets
import shutil
import string
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import wait as wait_for_futures
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import aiohttp
import requests
from PIL import Image, ImageDraw

from local import events, stack_client
from local.headless import HeadlessStack

ROOT = pathlib.Path(__file__).resolve().parents[1]
log = logging.getLogger("bench.e2e_latency")

LABELS = [{"Name": "Weapon Violence", "Confidence": 94}]
EVENT_NAME = "STREAM_MODERATION"
TARGET_CHANNELS = 100  # the p95 target applies at this many channels
TARGET_P95_MS = 1000.0
STRAGGLER_SECONDS = 10.0
MAX_CHANNELS = 1000  # bounds: every loop here is finite in count and time
MAX_SECONDS = 600.0
MAX_WRITERS = 64
QUEUE_SAMPLE_SECONDS = 1.0
DRAIN_SECONDS = 30.0  # between channel counts, for the rule queue to empty
ALPHANUMERIC = string.ascii_letters + string.digits
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


# --- the moderators' WebSocket ---------------------------------------------------------------


class ChatListener:
    """One WebSocket on the moderators' room, in its own thread: when each event arrived."""

    def __init__(self, endpoint: str, token: str) -> None:
        self._endpoint = endpoint
        self._token = token
        self._lock = threading.Lock()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._main, name="chat-listener", daemon=True)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._ws: aiohttp.ClientWebSocketResponse | None = None
        self.arrivals: dict[str, list[float]] = {}  # thumbnailKey -> monotonic arrival times
        self.decision_keys: dict[str, str] = {}  # incidentId -> the frame that opened it
        self.followups = 0  # other incident events (the previous session's incident ending)
        self.other_frames: list[dict[str, Any]] = []  # ERROR frames, other events
        self.error: str | None = None
        self.closed_at: float | None = None

    def start(self, timeout: float = 15.0) -> None:
        self._thread.start()
        if not self._ready.wait(timeout) or self._ws is None:
            raise RuntimeError(f"the chat WebSocket did not connect: {self.error or 'timed out'}")

    def stop(self) -> None:
        if self._loop is not None and self._ws is not None and self.closed_at is None:
            with contextlib.suppress(Exception):
                asyncio.run_coroutine_threadsafe(self._ws.close(), self._loop).result(5)
        self._thread.join(10)

    def received(self, key: str) -> bool:
        with self._lock:
            return key in self.arrivals

    def first_arrival(self, key: str) -> float | None:
        with self._lock:
            times = self.arrivals.get(key)
            return times[0] if times else None

    def snapshot(self) -> tuple[dict[str, list[float]], dict[str, str]]:
        """(thumbnailKey -> arrival times, decisionId -> thumbnailKey), copied."""
        with self._lock:
            arrivals = {key: list(times) for key, times in self.arrivals.items()}
            return arrivals, dict(self.decision_keys)

    def _main(self) -> None:
        asyncio.run(self._listen())

    async def _listen(self) -> None:
        self._loop = asyncio.get_running_loop()
        try:
            async with (
                aiohttp.ClientSession() as session,
                session.ws_connect(self._endpoint, protocols=[self._token]) as ws,
            ):
                self._ws = ws
                self._ready.set()
                async for message in ws:  # ends when the socket closes (stop() closes it)
                    arrived = time.monotonic()
                    if message.type is aiohttp.WSMsgType.TEXT:
                        self._record(arrived, json.loads(message.data))
        except Exception as error:  # reported: a lost listener shows as lost events
            self.error = repr(error)
        finally:
            self.closed_at = time.monotonic()
            self._ready.set()

    def _record(self, arrived: float, frame: dict[str, Any]) -> None:
        with self._lock:
            attributes = frame.get("Attributes", {})
            if frame.get("Type") == "EVENT" and frame.get("EventName") == EVENT_NAME:
                if attributes.get("type") != "incident-opened":
                    self.followups += 1
                    return
                key = attributes.get("latestFrameKey", "")
                self.arrivals.setdefault(key, []).append(arrived)
                self.decision_keys[attributes.get("incidentId", "")] = key
            else:
                self.other_frames.append(frame)


# --- frames ----------------------------------------------------------------------------------


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


# --- what the processes use ----------------------------------------------------------------


def vm_kib(pid: int, field_name: str) -> int | None:
    """A `Vm*` line of /proc/<pid>/status, in kB (KiB); None if the process is gone."""
    with contextlib.suppress(OSError):
        for line in pathlib.Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field_name}:"):
                return int(line.split()[1])
    return None


def cpu_seconds(pid: int) -> float | None:
    """User + system CPU time of a process (all its threads) so far."""
    with contextlib.suppress(OSError, IndexError, ValueError):
        fields = pathlib.Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLOCK_TICKS
    return None


def drain(info: dict[str, Any], seconds: float) -> int:
    """Wait up to `seconds` for the rule queue to empty; how many messages are left."""
    sqs = stack_client.client(info, "sqs")
    deadline = time.monotonic() + seconds
    left = sum(stack_client.queue_depth(sqs, info["queue_url"]))
    while left and time.monotonic() < deadline:
        time.sleep(1)
        left = sum(stack_client.queue_depth(sqs, info["queue_url"]))
    return left


class QueueSampler:
    """The rule queue's depth every QUEUE_SAMPLE_SECONDS, in a thread, until stopped."""

    def __init__(self, info: dict[str, Any]) -> None:
        self._sqs = stack_client.client(info, "sqs")
        self._url = info["queue_url"]
        self._stopping = threading.Event()
        self._thread = threading.Thread(target=self._run, name="queue-sampler", daemon=True)
        self.visible: list[int] = []
        self.in_flight: list[int] = []

    def __enter__(self) -> QueueSampler:
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stopping.set()
        self._thread.join(10)

    def _run(self) -> None:
        limit = time.monotonic() + MAX_SECONDS + 60
        while not self._stopping.is_set() and time.monotonic() < limit:
            with contextlib.suppress(Exception):
                visible, in_flight = stack_client.queue_depth(self._sqs, self._url)
                self.visible.append(visible)
                self.in_flight.append(in_flight)
            self._stopping.wait(QUEUE_SAMPLE_SECONDS)


@dataclass
class RelayLog:
    """What the handler logged: when each decision finished, and Rekognition's latency."""

    finished: dict[str, float] = field(default_factory=dict)  # incidentId -> epoch seconds
    rekognition: list[tuple[float, float]] = field(default_factory=list)  # (epoch s, ms)
    failures: list[float] = field(default_factory=list)  # "invoke failed" lines, epoch s

    @classmethod
    def read(cls, path: pathlib.Path) -> RelayLog:
        parsed = cls()
        if not path.exists():
            return parsed
        for line in path.read_text(errors="replace").splitlines():
            if "invoke failed" in line:
                with contextlib.suppress(ValueError):
                    stamp = datetime.strptime(line[:23], "%Y-%m-%d %H:%M:%S,%f")
                    parsed.failures.append(stamp.astimezone().timestamp())
            if not line.startswith("{"):
                continue
            try:
                record = json.loads(line)
            except ValueError:
                continue
            if record.get("message") == "frame moderated" and record.get("incidentId"):
                stamp = datetime.strptime(record["timestamp"], "%Y-%m-%d %H:%M:%S,%f%z")
                parsed.finished.setdefault(record["incidentId"], stamp.timestamp())
            elif "RekognitionLatency" in record and "_aws" in record:
                at = record["_aws"]["Timestamp"] / 1000
                parsed.rekognition.extend((at, value) for value in record["RekognitionLatency"])
        return parsed


# --- statistics and rows ---------------------------------------------------------------------


def percentile(values: Iterable[float], q: float) -> float | None:
    """The q-th percentile, linear between closest ranks (numpy's default); None if empty."""
    ordered = sorted(values)
    if not ordered:
        return None
    position = (len(ordered) - 1) * q / 100
    low = math.floor(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def rounded(value: float | None, digits: int = 1) -> float | None:
    return None if value is None else round(value, digits)


def spread(values: Sequence[float]) -> dict[str, float | None]:
    return {
        "p50": rounded(percentile(values, 50)),
        "p95": rounded(percentile(values, 95)),
        "max": rounded(max(values, default=None)),
        "count": len(values),
    }


def row(
    benchmark: str,
    metric: str,
    value: float | None,
    unit: str,
    *,
    target: str | None = None,
    met: bool | None = None,
    baseline: float | None = None,
    baseline_name: str | None = None,
) -> dict[str, Any]:
    ratio = None
    if baseline and value is not None:
        ratio = round(value / baseline, 3)
    return {
        "benchmark": benchmark,
        "metric": metric,
        "value": value,
        "unit": unit,
        "baseline": baseline,
        "baseline_name": baseline_name,
        "ratio": ratio,
        "target": target,
        "met": met,
    }


def channels_label(count: int) -> str:
    return f"{count} channel" if count == 1 else f"{count} channels"


# --- one channel count -----------------------------------------------------------------------


@dataclass
class Run:
    channels: int
    interval: float
    frames: list[Frame]
    started: float  # monotonic, the first scheduled write
    writes_done: float  # monotonic, when the last put_object returned
    ended: float  # monotonic, after the stragglers' wait
    started_wall: float
    ended_wall: float
    queue_visible: list[int]
    queue_in_flight: list[int]
    cpu: dict[str, float | None]
    relay_hwm_kib: int | None
    queue_left: int | None = None  # messages left in the rule queue after the wait

    @property
    def written(self) -> list[Frame]:
        return [frame for frame in self.frames if frame.written_at is not None]


def run_count(
    info: dict[str, Any],
    listener: ChatListener,
    channels: Sequence[str],
    seconds: float,
    interval: float,
) -> Run:
    count = len(channels)
    per_channel = max(1, int(seconds / interval + 1e-9))
    prepared = time.monotonic()
    frames = make_frames(info, channels, per_channel, secrets.token_hex(4))
    log.info(
        "%s: %d frames rendered in %.1f s; writing for %.0f s",
        channels_label(count),
        len(frames),
        time.monotonic() - prepared,
        per_channel * interval,
    )
    workers = min(MAX_WRITERS, max(4, count))
    writer = Writer(info, workers)
    pids = {name: int(pid) for name, pid in info["pids"].items()} | {"bench": os.getpid()}
    cpu_before = {name: cpu_seconds(pid) for name, pid in pids.items()}
    started_wall = time.time()
    start = time.monotonic() + 0.5
    position = {channel: index for index, channel in enumerate(channels)}
    for frame in frames:  # channel i writes at i/count of the interval, then every interval
        offset = interval * position[frame.channel] / count
        frame.due = start + offset + frame.sequence * interval
    frames.sort(key=lambda frame: frame.due)

    with QueueSampler(info) as sampler, ThreadPoolExecutor(workers, "writer") as pool:
        futures = []
        for frame in frames:
            delay = frame.due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            futures.append(pool.submit(writer.write, frame))
        wait_for_futures(futures, timeout=STRAGGLER_SECONDS + 30)
        writes_done = time.monotonic()
        deadline = writes_done + STRAGGLER_SECONDS
        pending = [frame.key for frame in frames if frame.written_at is not None]
        while pending and time.monotonic() < deadline:
            pending = [key for key in pending if not listener.received(key)]
            time.sleep(0.1)
        time.sleep(0.5)  # a duplicate right behind the first arrival is still counted

    ended = time.monotonic()
    cpu_after = {name: cpu_seconds(pid) for name, pid in pids.items()}
    wall = max(ended - start, 1e-9)
    cpu = {
        name: (None if before is None or after is None else round(100 * (after - before) / wall))
        for name, before, after in ((n, cpu_before[n], cpu_after[n]) for n in pids)
    }
    return Run(
        channels=count,
        interval=interval,
        frames=frames,
        started=start,
        writes_done=writes_done,
        ended=ended,
        started_wall=started_wall,
        ended_wall=time.time(),
        queue_visible=sampler.visible,
        queue_in_flight=sampler.in_flight,
        cpu=cpu,
        relay_hwm_kib=vm_kib(int(info["pids"]["relay"]), "VmHWM"),
    )


def summarise(run: Run, listener: ChatListener, relay: RelayLog) -> dict[str, Any]:
    written = run.written
    keys = {frame.key for frame in run.frames}
    arrivals, decision_keys = listener.snapshot()
    # Counted: first arrivals up to the end of the stragglers' wait. Later ones are reported
    # as late (still lost for this count); every arrival after the first is a duplicate.
    in_time = {key: times[0] for key, times in arrivals.items() if times[0] <= run.ended}
    latencies = [
        (in_time[frame.key] - frame.written_at) * 1000
        for frame in written
        if frame.written_at is not None and frame.key in in_time
    ]
    lost = [frame.key for frame in written if frame.key not in in_time]
    late = [key for key in lost if key in arrivals]
    duplicates = sum(len(arrivals[key]) - 1 for key in keys if key in arrivals)
    unwritten_but_received = [
        frame.key for frame in run.frames if frame.written_at is None and frame.key in arrivals
    ]
    starts = sorted(f.written_at for f in written if f.written_at is not None)
    # n writes span n - 1 gaps of interval/channels: the rate is n / (span + one gap).
    gap = run.interval / run.channels
    period = (starts[-1] - starts[0] + gap) if starts else 0.0
    achieved = len(starts) / period if starts else 0.0
    lags = [(f.written_at - f.due) * 1000 for f in written if f.written_at is not None]

    # Where the time went: write -> the handler's "frame moderated" line -> the WebSocket.
    by_key = {frame.key: frame for frame in written}
    to_handler: list[float] = []
    # Negative by the handler's last step: its log line follows SendEvent and a table update.
    handler_to_socket: list[float] = []
    for decision_id, key in decision_keys.items():
        frame = by_key.get(key)
        finished = relay.finished.get(decision_id)
        if frame is None or finished is None:
            continue
        assert frame.written_wall is not None and frame.written_at is not None
        to_handler.append((finished - frame.written_wall) * 1000)
        handler_to_socket.append((arrivals[key][0] - frame.written_at) * 1000 - to_handler[-1])
    rekognition = [ms for at, ms in relay.rekognition if run.started_wall <= at <= run.ended_wall]
    failures = [at for at in relay.failures if run.started_wall <= at <= run.ended_wall]
    return {
        "channels": run.channels,
        "interval_s": run.interval,
        "frames_scheduled": len(run.frames),
        "frames_written": len(written),
        "write_errors": [f.error for f in run.frames if f.error is not None][:5],
        "write_error_count": sum(1 for f in run.frames if f.error is not None),
        "events_received": len(latencies),
        "events_lost": len(lost),
        "lost_but_arrived_later": len(late),
        "lost_keys": lost[:5],
        "duplicate_events": duplicates,
        "events_for_failed_writes": len(unwritten_but_received),
        "scheduled_rate_fps": round(run.channels / run.interval, 2),
        "achieved_rate_fps": round(achieved, 2),
        "write_period_s": round(period, 2),
        "schedule_lag_ms": spread(lags),
        "put_object_ms": spread([f.put_ms for f in written if f.put_ms is not None]),
        "latency_ms": spread(latencies),
        "write_to_handler_done_ms": spread(to_handler),
        "socket_arrival_minus_handler_done_ms": spread(handler_to_socket),
        "rekognition_latency_ms": spread(rekognition),
        "relay_invoke_failures": len(failures),
        "queue_visible_max": max(run.queue_visible, default=None),
        "queue_in_flight_max": max(run.queue_in_flight, default=None),
        "queue_left_after": run.queue_left,
        "cpu_percent": run.cpu,
        "relay_vmhwm_mb": rounded(None if run.relay_hwm_kib is None else run.relay_hwm_kib / 1024),
        "duration_s": round(run.ended - run.started, 1),
        "_latencies": [round(ms, 2) for ms in latencies],
    }


def rows_for(summary: dict[str, Any]) -> list[dict[str, Any]]:
    count = summary["channels"]
    label = channels_label(count)
    latency = summary["latency_ms"]
    p95 = latency["p95"]
    target, met = None, None
    if count == TARGET_CHANNELS:
        target, met = f"≤ {TARGET_P95_MS:.0f} ms", p95 is not None and p95 <= TARGET_P95_MS
    written, received = summary["frames_written"], summary["events_received"]
    exact = (
        received == written
        and summary["duplicate_events"] == 0
        and summary["events_for_failed_writes"] == 0
        and summary["write_error_count"] == 0
    )
    return [
        row(f"End-to-end latency, {label}", "p50", latency["p50"], "ms"),
        row(f"End-to-end latency, {label}", "p95", p95, "ms", target=target, met=met),
        row(
            f"End-to-end delivery, {label}",
            f"events received / {written} frames written "
            f"({summary['events_lost']} lost of which {summary['lost_but_arrived_later']} "
            f"arrived late, {summary['duplicate_events']} duplicate, "
            f"{summary['write_error_count']} write errors)",
            float(received),
            "events",
            target=f"= {written}, exactly one event per frame",
            met=exact,
        ),
        row(
            f"Write rate, {label}",
            "achieved",
            summary["achieved_rate_fps"],
            "frames/s",
            baseline=summary["scheduled_rate_fps"],
            baseline_name="scheduled",
        ),
    ]


# --- the benchmark ---------------------------------------------------------------------------


def warm_up(info: dict[str, Any], listener: ChatListener, taken: set[str]) -> float | None:
    """One frame through a cold handler (imports, clients), not counted; its latency."""
    [frame] = make_frames(info, channel_ids(1, taken), 1, "warm-up")
    Writer(info, 1).write(frame)
    if frame.written_at is None:
        raise RuntimeError(f"the warm-up frame could not be written: {frame.error}")
    deadline = time.monotonic() + 30
    while not listener.received(frame.key) and time.monotonic() < deadline:
        time.sleep(0.05)
    arrived = listener.first_arrival(frame.key)
    return None if arrived is None else (arrived - frame.written_at) * 1000


def measure(
    channel_counts: Sequence[int] = (1, 10, 100),
    seconds: float = 20.0,
    interval: float = 1.0,
    *,
    state_dir: pathlib.Path | None = None,
) -> dict[str, Any]:
    """returns {"rows": [row, ...], "latencies_ms": {"1": [...], "10": [...], "100": [...]},
    "peak_memory_mb": float}, plus "runs" (per count: what was written and received, and
    where the time went) and "warm_up_ms".

    `state_dir` keeps the stack's state and logs there (default: a temporary directory,
    removed at the end).
    """
    if not channel_counts or any(not 1 <= n <= MAX_CHANNELS for n in channel_counts):
        raise ValueError(f"channel counts must be 1 to {MAX_CHANNELS}")
    if not 0 < interval <= seconds <= MAX_SECONDS:
        raise ValueError(f"need 0 < interval <= seconds <= {MAX_SECONDS:.0f}")
    temporary = state_dir is None
    state = pathlib.Path(tempfile.mkdtemp(prefix="e2e-latency-")) if temporary else state_dir
    assert state is not None
    stack = HeadlessStack(state.resolve())
    listener: ChatListener | None = None
    began = time.monotonic()
    try:
        log.info("starting the local stack in %s", state)
        info = stack.start()
        log.info("stack ready in %.1f s", time.monotonic() - began)
        relay_pid = int(info["pids"]["relay"])
        idle_hwm = vm_kib(relay_pid, "VmHWM")
        listener = ChatListener(*stack_client.chat_connection(info))
        listener.start()
        taken: set[str] = set()
        warm = warm_up(info, listener, taken)
        log.info("warm-up frame: %s ms", None if warm is None else round(warm))
        runs = []
        for number, count in enumerate(channel_counts):
            run = run_count(info, listener, channel_ids(count, taken), seconds, interval)
            more = number + 1 < len(channel_counts)
            run.queue_left = drain(info, DRAIN_SECONDS if more else 0)
            if run.queue_left:
                log.warning(
                    "%d messages still queued after %s", run.queue_left, channels_label(count)
                )
            runs.append(run)
            log.info("%s done", channels_label(count))
        hwm = vm_kib(relay_pid, "VmHWM")
        relay = RelayLog.read(pathlib.Path(info["logs"]) / "relay.log")
        summaries = [summarise(run, listener, relay) for run in runs]
        if listener.error or listener.closed_at is not None:
            log.warning("the chat WebSocket closed during the run: %s", listener.error)
    finally:
        if listener is not None:
            listener.stop()
        stack.stop()
        if temporary:
            shutil.rmtree(state, ignore_errors=True)

    peak_mb = None if hwm is None else round(hwm / 1024, 1)
    rows = [r for summary in summaries for r in rows_for(summary)]
    rows.append(row("Relay (handler process) peak memory", "VmHWM", peak_mb, "MB"))
    latencies = {str(s["channels"]): s.pop("_latencies") for s in summaries}
    return {
        "rows": rows,
        "latencies_ms": latencies,
        "peak_memory_mb": peak_mb,
        "relay_idle_memory_mb": None if idle_hwm is None else round(idle_hwm / 1024, 1),
        "warm_up_ms": rounded(warm),
        "chat_frames_other": len(listener.other_frames) if listener else 0,
        "incident_followups": listener.followups if listener else 0,
        "chat_listener_error": listener.error if listener else None,
        "runs": summaries,
        "run_time_s": round(time.monotonic() - began, 1),
    }


# --- command line ----------------------------------------------------------------------------


def table(rows: Sequence[dict[str, Any]]) -> str:
    columns = ("benchmark", "metric", "value", "unit", "baseline", "ratio", "target", "met")

    def cell(value: Any) -> str:
        if value is None:
            return "-"
        if isinstance(value, float):
            return f"{value:g}" if abs(value) >= 1000 else f"{value:.1f}"
        return str(value)

    cells = [[cell(r.get(column)) for column in columns] for r in rows]
    widths = [max(len(c), *(len(line[i]) for line in cells)) for i, c in enumerate(columns)]
    lines = [" | ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True))]
    lines.append("-+-".join("-" * w for w in widths))
    lines += [" | ".join(c.ljust(w) for c, w in zip(line, widths, strict=True)) for line in cells]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--channels", type=int, nargs="+", default=[1, 10, 100])
    parser.add_argument("--seconds", type=float, default=20.0, help="writing period per count")
    parser.add_argument("--interval", type=float, default=1.0, help="seconds between frames")
    parser.add_argument("--output", type=pathlib.Path, help="write the JSON here (default stdout)")
    parser.add_argument("--state-dir", type=pathlib.Path, help="keep the stack's logs here")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", stream=sys.stderr)
    result = measure(args.channels, args.seconds, args.interval, state_dir=args.state_dir)
    text = json.dumps(result, indent=2, ensure_ascii=False)
    say: Callable[[str], None] = print
    if args.output is None:
        say = lambda line: print(line, file=sys.stderr)  # noqa: E731 - the JSON owns stdout
        print(text)
    else:
        args.output.write_text(text + "\n")
    say(table(result["rows"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
