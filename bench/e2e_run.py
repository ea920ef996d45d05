"""One channel count: its frames written on schedule, what came back, its summary and rows."""

from __future__ import annotations

import logging
import os
import secrets
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import wait as wait_for_futures
from dataclasses import dataclass
from typing import Any

from bench.e2e_figures import channels_label, rounded, row, spread
from bench.e2e_frames import Frame, Writer, make_frames
from bench.e2e_probes import QueueSampler, RelayLog, cpu_seconds, vm_kib
from bench.e2e_room import ChatListener

log = logging.getLogger("bench.e2e_latency")

TARGET_CHANNELS = 100  # the p95 target applies at this many channels
TARGET_P95_MS = 1000.0
STRAGGLER_SECONDS = 10.0
MAX_WRITERS = 64


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
