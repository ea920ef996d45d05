"""The end-to-end benchmark's statistics and rows: percentiles, spreads, a row, the text table."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from typing import Any


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
