"""The benchmark suite: `make bench` (or `python -m bench.run`).

Prints one table and writes it to bench/results/ as results.json and results.md, with
latency.png, the distribution of end-to-end latencies on the local stack:

1. handler overhead per frame on zero-latency fakes, ours beside the reference port;
2. cold start of each Lambda function: importing the app and handling its first event,
   beside import boto3 + the clients that function builds, and its import costs;
3. AWS calls and cost per 1000 frames on replayed streams, with violating frames missed;
4. frame skipping on held-out real photographs: violating frames missed per object size,
   and Rekognition calls saved on clean frames (bench/skip.py, its own table too);
   the chat message review handler, warm, against its 200 ms budget (bench/chat_review.py);
5. end-to-end latency on the local stack at 1, 10 and 100 channels (a thumbnail every
   `--interval` seconds per channel, 5 by default), and the handler process's peak memory;
   and how soon a violating chat message is removed there (bench/e2e_chat.py).
"""

from __future__ import annotations

import argparse
import json
import pathlib
import platform
import time
from datetime import UTC, datetime

RESULTS = pathlib.Path(__file__).resolve().parent / "results"


def table(rows: list[dict]) -> str:
    """The rows as a Markdown table."""
    lines = [
        "| Benchmark | Metric | Ours | Baseline | Ratio | Target | Met |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    for row in rows:
        baseline = (
            f"{row['baseline']} {row['unit']} ({row['baseline_name']})"
            if row.get("baseline") is not None
            else ""
        )
        met = {True: "yes", False: "**no**", None: ""}[row.get("met")]
        ratio = f"{row['ratio']}×" if row.get("ratio") is not None else ""
        lines.append(
            f"| {row['benchmark']} | {row['metric']} | {row['value']} {row['unit']} | "
            f"{baseline} | {ratio} | {row.get('target') or ''} | {met} |"
        )
    return "\n".join(lines)


def plot(latencies: dict[str, list[float]], path: pathlib.Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(8, 4.5), dpi=110)
    for channels, values in latencies.items():
        if values:
            ordered = sorted(values)
            share = [(i + 1) / len(ordered) for i in range(len(ordered))]
            axis.plot(ordered, share, label=f"{channels} channel(s), n={len(ordered)}")
    axis.axvline(1000, color="grey", linestyle="--", linewidth=1, label="target p95 ≤ 1 s")
    axis.set_xlabel("thumbnail written → STREAM_MODERATION on the WebSocket (ms)")
    axis.set_ylabel("share of frames")
    axis.set_title("End-to-end latency on the local stack (CDF)")
    axis.grid(alpha=0.3)
    axis.legend()
    figure.tight_layout()
    figure.savefig(path)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller runs, for a quick look")
    parser.add_argument("--no-e2e", action="store_true", help="skip the local-stack latency")
    parser.add_argument(
        "--interval",
        type=float,
        default=5.0,
        help="seconds between a channel's thumbnails in the local-stack run (IVS: 1-60)",
    )
    args = parser.parse_args()

    from bench import chat_review, cold_start, overhead, scenarios, skip

    started = time.monotonic()
    results: dict = {"when": datetime.now(UTC).isoformat(timespec="seconds"), "rows": []}
    results["machine"] = f"{platform.machine()}, Python {platform.python_version()}"
    steps = [
        ("handler overhead", lambda: overhead.measure(100 if args.quick else 300)),
        ("cold start", lambda: cold_start.measure(5 if args.quick else 11)),
        ("replayed streams", scenarios.measure),
        ("frame skipping", lambda: skip.measure(*((15, 40) if args.quick else (80, 120)))),
        ("chat review", lambda: chat_review.measure(100 if args.quick else 400)),
    ]
    if not args.no_e2e:
        from bench import e2e_chat, e2e_latency

        steps.append(("chat removal", lambda: e2e_chat.measure(15 if args.quick else 40)))

        steps.append(
            (
                "local end-to-end latency",
                lambda: e2e_latency.measure(
                    seconds=10 if args.quick else 30, interval=args.interval
                ),
            )
        )
    sections = []  # a step's own table, printed after the main one
    for name, run in steps:
        print(f"running: {name} …", flush=True)
        outcome = run()
        results["rows"] += outcome["rows"]
        results[name] = {k: v for k, v in outcome.items() if k not in ("rows", "markdown")}
        if "markdown" in outcome:
            sections.append(outcome["markdown"])

    RESULTS.mkdir(exist_ok=True)
    markdown = "\n\n".join([table(results["rows"]), *sections])
    (RESULTS / "results.json").write_text(json.dumps(results, indent=2))
    (RESULTS / "results.md").write_text(
        f"# Benchmark results\n\n{results['when']}, {results['machine']}\n\n{markdown}\n"
    )
    latencies = results.get("local end-to-end latency", {}).get("latencies_ms", {})
    if latencies:
        plot(latencies, RESULTS / "latency.png")
    print()
    print(markdown)
    print(f"\nwritten to {RESULTS}/ in {time.monotonic() - started:.0f} s")


if __name__ == "__main__":
    main()
