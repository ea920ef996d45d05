"""Cold start: a fresh Python process that imports the app and handles its first event,
beside the floor — a fresh process that imports boto3 and creates the same clients.

Both are timed from spawn to exit (interpreter start-up included in each), several times;
the medians are compared.
"""

from __future__ import annotations

import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import time

from bench.harness import SETTINGS
from bench.scenes import frames

ROOT = pathlib.Path(__file__).resolve().parent.parent


def _run(*args: str) -> float:
    env = {**os.environ, **SETTINGS}  # what Lambda gives both: a region, credentials, settings
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "bench.cold_child", *args], cwd=ROOT, env=env, check=True)
    return (time.perf_counter() - started) * 1000


def measure(runs: int = 9) -> dict:
    with tempfile.NamedTemporaryFile(suffix=".jpg") as frame:
        frame.write(frames("static camera", 1)[0][0])
        frame.flush()
        _run("app", frame.name), _run("floor")  # warm the file cache: Lambda's disk is warm too
        app_ms, floor_ms = [], []
        for _ in range(runs):  # interleaved, so drift on the machine hits both alike
            app_ms.append(_run("app", frame.name))
            floor_ms.append(_run("floor"))
    app_median, floor_median = statistics.median(app_ms), statistics.median(floor_ms)
    ratio = app_median / floor_median
    return {
        "rows": [
            {
                "benchmark": "Cold start: import, build clients, first event",
                "metric": "median",
                "value": round(app_median),
                "unit": "ms",
                "baseline": round(floor_median),
                "baseline_name": "import boto3 + same clients",
                "ratio": round(ratio, 2),
                "target": "≤ 1.2×",
                "met": ratio <= 1.2,
            }
        ],
        "samples_ms": {"app": app_ms, "floor": floor_ms},
    }
