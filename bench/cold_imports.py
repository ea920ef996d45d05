"""Where a cold start's time goes: `python -X importtime` of a function's cold child, each
module's cost beyond what its floor imports too, grouped by package."""

from __future__ import annotations

import pathlib
import statistics
import subprocess
import sys
from collections import defaultdict

ROOT = pathlib.Path(__file__).resolve().parent.parent


def command(mode: str, function: str, arg: str | None, *python: str) -> list[str]:
    args = [arg] if mode == "app" and arg else []
    return [sys.executable, *python, "-m", "bench.cold_child", mode, function, *args]


def lambda_env(env: dict[str, str], function: str) -> dict[str, str]:
    """What Lambda adds for one function: its name as Chalice names it (app-stage-function;
    the API's handler: app-stage)."""
    name = "ivs-moderation-bench" + ("" if function == "api" else f"-{function}")
    return {**env, "AWS_LAMBDA_FUNCTION_NAME": name}


# Import costs are summed by package: the first prefix a module starts with, else its
# top-level package. These are the ones a function may import and not need.
GROUPS = (
    "aws_lambda_powertools.utilities.idempotency",
    "aws_lambda_powertools.utilities.data_classes",
    "aws_lambda_powertools.utilities",
    "aws_lambda_powertools.logging",
    "aws_lambda_powertools.metrics",
    "aws_lambda_powertools",
    "chalicelib.api",
    "chalicelib.frames.change",
    "chalicelib.frames",
    "chalicelib.core.validation",
    "chalicelib.incidents",
    "chalicelib.rules",
    "chalicelib",
    "chalice.app",
    "chalice",
)
# Modules some function imports and may not need: their cost, with what they pull in.
HEAVY = (
    "chalice",
    "aws_lambda_powertools.logging",
    "aws_lambda_powertools.metrics",
    "aws_lambda_powertools.utilities.idempotency",
    "chalicelib.dependencies",
    "chalicelib.handlers",
    "chalicelib.api",
    "chalicelib.api.auth",
    "chalicelib.api.dashboard",
    "chalicelib.api.incidents",
    "chalicelib.core.validation",
    "chalicelib.frames.moderator",
    "chalicelib.frames.change",
    "chalicelib.incidents",
    "jwt",
    "cryptography",
    "PIL",
)


def _group(module: str) -> str:
    for prefix in GROUPS:
        if module == prefix or module.startswith(prefix + "."):
            return prefix
    return module.split(".")[0]


def _matches(module: str, prefix: str) -> bool:
    return module == prefix or module.startswith(prefix + ".")


def _importtime(stderr: str) -> list[dict]:
    """`-X importtime`'s lines as a forest: each module with its self and cumulative time
    (ms) and the modules it imported first (printed before it, one level deeper)."""
    pending: list[dict] = []
    for line in stderr.splitlines():
        if not line.startswith("import time:") or "imported package" in line:
            continue
        self_us, cumulative_us, name = line.removeprefix("import time:").split("|")
        depth = len(name) - len(name.lstrip())
        children = []
        while pending and pending[-1]["depth"] > depth:
            children.insert(0, pending.pop())
        node = {"module": name.strip(), "depth": depth, "children": children}
        node["self"], node["cumulative"] = int(self_us) / 1000, int(cumulative_us) / 1000
        pending.append(node)
    return pending


def _importtime_run(env: dict[str, str], mode: str, function: str, arg: str | None) -> list:
    argv = command(mode, function, arg, "-X", "importtime")
    env = lambda_env(env, function)
    run = subprocess.run(argv, cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    return _importtime(run.stderr)


def _modules(roots: list[dict]) -> set[str]:
    found, todo = set(), list(roots)
    while todo:
        node = todo.pop()
        found.add(node["module"])
        todo += node["children"]
    return found


def _beyond(roots: list[dict], floor: set[str]) -> dict:
    """Import costs of modules the floor does not import: by package (self times), by heavy
    module (its own and that of what it brought in first, the floor's excepted), and the
    heavy modules that came in at the first event (after app.py's import)."""
    by_package: dict[str, float] = defaultdict(float)
    heavy: dict[str, float] = defaultdict(float)
    at_event: set[str] = set()

    def extra(node: dict, outer: frozenset, after_app: bool) -> float:
        own = 0.0 if node["module"] in floor else node["self"]
        if own:
            by_package[_group(node["module"])] += own
        mine = {p for p in HEAVY if _matches(node["module"], p)}
        if after_app and mine:
            at_event.update(mine)
        cost = own + sum(extra(c, outer | mine, after_app) for c in node["children"])
        for prefix in mine - outer:  # counted once, where the first module of it came in
            heavy[prefix] += cost
        return cost

    seen_app = False
    for root in roots:  # the top level, in order: app.py, then the first event's imports
        extra(root, frozenset(), seen_app)
        seen_app = seen_app or root["module"] == "app"
    return {
        "total": sum(by_package.values()),
        "by_package": by_package,
        "heavy": heavy,
        "at_event": at_event,
    }


def import_costs(env: dict[str, str], function: str, arg: str | None, runs: int = 3) -> dict:
    """The first event and the floor under `-X importtime`, `runs` times each (medians
    kept), counting only modules the floor does not import: what the app's cold start pays
    beyond the floor's. Each heavy module's cost (ms, with what it brought in first), each
    package's own import time (ms, its modules' self times summed), and which heavy modules
    came in at the first event, not with app.py."""
    floor = set().union(*(_modules(_importtime_run(env, "floor", function, None)) for _ in "ab"))
    done = [_beyond(_importtime_run(env, "app", function, arg), floor) for _ in range(runs)]

    def medians(key: str) -> dict[str, float]:
        names = {name for run in done for name in run[key]}
        values = {n: statistics.median(run[key].get(n, 0.0) for run in done) for n in names}
        return {n: round(v, 1) for n, v in sorted(values.items(), key=lambda kv: -kv[1]) if v}

    return {
        "beyond_floor_ms": round(statistics.median(run["total"] for run in done), 1),
        "heavy_ms": medians("heavy"),
        "by_package_ms": medians("by_package"),
        "at_first_event": sorted(set.union(*(run["at_event"] for run in done))),
    }
