"""Cold start of each Lambda function: a fresh Python process that imports the app and
handles that function's first event, beside its floor — a fresh process that imports boto3
and creates the clients that function's first event creates (bench/cold_child.py).

Both are timed from spawn to exit (interpreter start-up included in each), several times,
interleaved; the medians are compared. The app's own code (app.py, chalicelib/) is compiled
from source in each run, as in Lambda: a Chalice package ships it without bytecode and
/var/task is read-only (the children never write __pycache__). `--precompiled` measures
instead the app with its bytecode shipped (all bytecode cached in a scratch directory).

Then each function's first event, and its floor, run again under `python -X importtime`:
the import costs of the modules the floor does not import, summed by package and by heavy
module: what each function's cold path imports beyond boto3, and what it pays for each.

    python -m bench.cold_start [--runs N] [--function NAME ...] [--precompiled]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import pathlib
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from bench.cold_child import FUNCTIONS
from bench.harness import SETTINGS
from bench.scenes import frames

ROOT = pathlib.Path(__file__).resolve().parent.parent
TARGET = 1.2
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


@contextlib.contextmanager
def user_pool() -> Iterator[tuple[dict[str, str], str]]:
    """The user pool as the API's first request meets it: its JWKS served on 127.0.0.1
    (started before any timed run), and a moderator's RS256 ID token, signed here so that
    the child pays only for verifying it. Yields the settings that point there, and the token."""
    import jwt
    from cryptography.hazmat.primitives.asymmetric import rsa

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(key.public_key()))
    body = json.dumps({"keys": [{**jwk, "kid": "cold-1", "alg": "RS256", "use": "sig"}]})

    class Jwks(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body.encode())

        def log_message(self, *args) -> None:
            pass

    pool = SETTINGS["COGNITO_USER_POOL_ID"]
    now = int(time.time())
    claims = {
        "sub": "6b2f3c1e-4d5a-4e7b-9c8d-0a1b2c3d4e5f",
        "aud": SETTINGS["COGNITO_APP_CLIENT_IDS"],
        "iss": f"https://cognito-idp.{pool.split('_')[0]}.amazonaws.com/{pool}",
        "token_use": "id",
        "auth_time": now,
        "iat": now,
        "exp": now + 4 * 3600,
        "cognito:username": "maria",
        "cognito:groups": ["moderators"],
    }
    token = jwt.encode(claims, key, algorithm="RS256", headers={"kid": "cold-1"})
    server = ThreadingHTTPServer(("127.0.0.1", 0), Jwks)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        url = f"http://127.0.0.1:{server.server_address[1]}/{pool}/.well-known/jwks.json"
        yield {"COGNITO_JWKS_URL": url}, token
    finally:
        server.shutdown()
        server.server_close()


def _command(mode: str, function: str, arg: str | None, *python: str) -> list[str]:
    args = [arg] if mode == "app" and arg else []
    return [sys.executable, *python, "-m", "bench.cold_child", mode, function, *args]


def _lambda_env(env: dict[str, str], function: str) -> dict[str, str]:
    """What Lambda adds for one function: its name as Chalice names it (app-stage-function;
    the API's handler: app-stage)."""
    name = "ivs-moderation-bench" + ("" if function == "api" else f"-{function}")
    return {**env, "AWS_LAMBDA_FUNCTION_NAME": name}


def _run(env: dict[str, str], mode: str, function: str, arg: str | None = None) -> float:
    env = _lambda_env(env, function)
    started = time.perf_counter()
    subprocess.run(_command(mode, function, arg), cwd=ROOT, env=env, check=True)
    return (time.perf_counter() - started) * 1000


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
    command = _command(mode, function, arg, "-X", "importtime")
    env = _lambda_env(env, function)
    run = subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True, text=True)
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


def cached_app_bytecode() -> list[str]:
    """Bytecode of the app's own code left by other runs (tests, a shell): if any, the
    children read it, and a Chalice package's cold start is understated."""
    found = [*ROOT.glob("__pycache__/app.*.pyc"), *ROOT.glob("chalicelib/**/__pycache__/*.pyc")]
    return sorted(str(path.relative_to(ROOT)) for path in found)


def measure(
    runs: int = 9, functions: tuple[str, ...] = tuple(FUNCTIONS), precompiled: bool = False
) -> dict:
    samples: dict[str, dict[str, list[float]]] = {f: {"app": [], "floor": []} for f in functions}
    with (
        tempfile.NamedTemporaryFile(suffix=".jpg") as frame,
        tempfile.TemporaryDirectory() as pycache,
        user_pool() as (pool_settings, token),
    ):
        frame.write(frames("static camera", 1)[0][0])
        frame.flush()
        # What Lambda gives every function: a region, credentials, the stage's settings.
        env = {**os.environ, **SETTINGS, **pool_settings, "PYTHONDONTWRITEBYTECODE": "1"}
        if precompiled:  # the warm-up runs compile everything once, the others read it
            del env["PYTHONDONTWRITEBYTECODE"]
            env["PYTHONPYCACHEPREFIX"] = pycache
        args = {"api": token, "moderate_thumbnail": frame.name}
        for function in functions:  # warm the file cache: Lambda's disk is warm too
            _run(env, "app", function, args.get(function)), _run(env, "floor", function)
        for _ in range(runs):  # interleaved, so drift on the machine hits all alike
            for function in functions:
                samples[function]["app"].append(_run(env, "app", function, args.get(function)))
                samples[function]["floor"].append(_run(env, "floor", function))
        imports = {f: import_costs(env, f, args.get(f)) for f in functions}
    rows, figures = [], {}
    shipped = " (bytecode shipped)" if precompiled else ""
    for function in functions:
        app_median = statistics.median(samples[function]["app"])
        floor_median = statistics.median(samples[function]["floor"])
        ratio = app_median / floor_median
        figures[function] = {
            "median_ms": round(app_median),
            "floor_ms": round(floor_median),
            "ratio": round(ratio, 2),
            "met": ratio <= TARGET,
            "floor_clients": list(FUNCTIONS[function]),
        }
        rows.append(
            {
                "benchmark": f"Cold start, {function}: import, build clients, first event"
                + shipped,
                "metric": f"median of {runs}",
                "value": round(app_median),
                "unit": "ms",
                "baseline": round(floor_median),
                "baseline_name": f"import boto3 + {', '.join(FUNCTIONS[function])}",
                "ratio": round(ratio, 2),
                "target": f"≤ {TARGET}×",
                "met": ratio <= TARGET,
            }
        )
    cached = [] if precompiled else cached_app_bytecode()
    note = f"app code {'with its bytecode' if precompiled else 'compiled from source'}" + (
        f"; but {len(cached)} cached .pyc of it were read (figures understated)" if cached else ""
    )
    return {
        "rows": rows,
        "figures": figures,
        "samples_ms": samples,
        "imports": imports,
        "app_code": note,
        "cached_app_bytecode": cached,
        "markdown": markdown(figures, imports, runs, note),
    }


def markdown(figures: dict, imports: dict, runs: int, note: str, top: int = 12) -> str:
    """The per-function table, the heavy modules each imports, and the costliest packages."""
    lines = [
        f"Cold start per Lambda function (median of {runs}, {note}; floor: import boto3 + "
        "the same clients):",
        "",
        "| Function | Cold start | Floor | Ratio | Target | Met |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for function, f in figures.items():
        over = f["median_ms"] - round(TARGET * f["floor_ms"])
        met = "yes" if f["met"] else f"**no** (+{over} ms)"
        lines.append(
            f"| {function} | {f['median_ms']} ms | {f['floor_ms']} ms | {f['ratio']}× | "
            f"≤ {TARGET}× | {met} |"
        )
    functions = list(imports)
    header = ["| Module | " + " | ".join(functions) + " |", "| --- |" + " --- |" * len(functions)]

    def cell(function: str, key: str, name: str) -> str:
        ms = imports[function][key].get(name)
        star = "*" if name in imports[function]["at_first_event"] else ""
        return "" if ms is None else f"{ms:.1f}{star}"

    lines += [
        "",
        "Heavy modules on each cold path, ms beyond the floor (`-X importtime`, which "
        "inflates them; median of 3): each with what it brought in first, but for the "
        "modules the floor imports too; * at the first event, not with app.py; "
        "blank: not imported):",
        "",
        *header,
    ]
    for name in HEAVY:
        cells = [cell(function, "heavy_ms", name) for function in functions]
        if any(cells):
            lines.append(f"| {name} | " + " | ".join(cells) + " |")
    totals: dict[str, float] = defaultdict(float)
    for costs in imports.values():
        for name, ms in costs["by_package_ms"].items():
            totals[name] += ms
    lines += [
        "",
        f"Import time beyond the floor, the {top} costliest packages, ms (their modules' "
        "self times summed, but for the modules the floor imports too):",
        "",
        *header,
    ]
    for name in sorted(totals, key=lambda name: -totals[name])[:top]:
        cells = [f"{imports[f]['by_package_ms'].get(name, 0):.1f}" for f in functions]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    totals_row = " | ".join(f"{imports[f]['beyond_floor_ms']:.0f}" for f in functions)
    lines.append(f"| **all beyond the floor** | {totals_row} |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=9, help="runs of each (the median is kept)")
    parser.add_argument(
        "--function", action="append", choices=list(FUNCTIONS), help="only these (repeatable)"
    )
    parser.add_argument(
        "--precompiled", action="store_true", help="the app's bytecode shipped, not compiled"
    )
    parser.add_argument("--json", type=pathlib.Path, help="write the figures here too")
    args = parser.parse_args()
    outcome = measure(args.runs, tuple(args.function or FUNCTIONS), args.precompiled)
    print(outcome["markdown"])
    if args.json:
        args.json.write_text(json.dumps({k: v for k, v in outcome.items() if k != "markdown"}))


if __name__ == "__main__":
    main()
