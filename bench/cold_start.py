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
import tempfile
import threading
import time
from collections import defaultdict
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from bench.cold_child import FUNCTIONS
from bench.cold_imports import HEAVY, ROOT, command, import_costs, lambda_env
from bench.harness import SETTINGS
from bench.scenes import frames

TARGET = 1.2


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


def _run(env: dict[str, str], mode: str, function: str, arg: str | None = None) -> float:
    env = lambda_env(env, function)
    started = time.perf_counter()
    subprocess.run(command(mode, function, arg), cwd=ROOT, env=env, check=True)
    return (time.perf_counter() - started) * 1000


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
