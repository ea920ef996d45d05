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

The parts: bench/e2e_room.py (the WebSocket listener), bench/e2e_frames.py (the frames and
their writer), bench/e2e_probes.py (memory, CPU, the queue, the relay's log),
bench/e2e_run.py (one channel count, its summary and rows), bench/e2e_figures.py
(percentiles, rows, the text table); the stack's clients are local/stack_client.py's.
"""

from __future__ import annotations

import argparse
import json
import logging
import pathlib
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from typing import Any

from bench.e2e_figures import channels_label, rounded, row, table
from bench.e2e_frames import Writer, channel_ids, make_frames
from bench.e2e_probes import MAX_SECONDS, RelayLog, drain, vm_kib
from bench.e2e_room import ChatListener
from bench.e2e_run import rows_for, run_count, summarise
from local import stack_client
from local.headless import HeadlessStack

log = logging.getLogger("bench.e2e_latency")

MAX_CHANNELS = 1000  # bounds: every loop here is finite in count and time
DRAIN_SECONDS = 30.0  # between channel counts, for the rule queue to empty


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
