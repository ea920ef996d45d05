"""What the stack does during a run: its processes' memory and CPU, the queue, the relay's log."""

from __future__ import annotations

import contextlib
import json
import os
import pathlib
import threading
import time
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from local import stack_client

MAX_SECONDS = 600.0  # bounds the writing period (e2e_latency.measure) and the sampler
QUEUE_SAMPLE_SECONDS = 1.0
CLOCK_TICKS = os.sysconf("SC_CLK_TCK")


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
