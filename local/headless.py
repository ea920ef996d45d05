"""The local stack run headless on free ports, for the end-to-end tests and the benchmarks.

with HeadlessStack(state_dir, scenario=path) as info:   # info: the stack.json
    ...
"""

from __future__ import annotations

import contextlib
import json
import os
import pathlib
import signal
import socket
import subprocess
import sys
import time
from typing import Any

ROOT = pathlib.Path(__file__).resolve().parent.parent
START_SECONDS = 120.0
STOP_SECONDS = 30.0


def free_port() -> int:
    """A port nothing listens on, on 127.0.0.1."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def command(state: pathlib.Path, scenario: pathlib.Path | None = None) -> list[str]:
    """`python -m local.stack --headless` on five fresh ports, writing to `state`."""
    ports: set[int] = set()
    while len(ports) < 5:  # bounded: the OS hands out distinct free ports
        ports.add(free_port())
    api, moto, emulator, dynamodb, invoke = sorted(ports)
    simulator = ["--scenario", str(scenario)] if scenario else ["--no-simulator"]
    return [
        sys.executable, "-m", "local.stack", "--headless", *simulator,
        "--state-dir", str(state), "--api-port", str(api), "--moto-port", str(moto),
        "--emulator-port", str(emulator), "--dynamodb-port", str(dynamodb),
        "--invoke-port", str(invoke),
    ]  # fmt: skip


class HeadlessStack:
    """Starts the stack, waits for its stack.json, and stops it (and what it started)."""

    def __init__(self, state: pathlib.Path, scenario: pathlib.Path | None = None) -> None:
        self.state = state
        self.scenario = scenario
        self.process: subprocess.Popen[bytes] | None = None
        self.info: dict[str, Any] = {}

    def __enter__(self) -> dict[str, Any]:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def start(self) -> dict[str, Any]:
        # Nothing from the caller's shell may point the stack at a real account.
        env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
        self.state.mkdir(parents=True, exist_ok=True)
        with open(self.state / "launcher.log", "w") as output:
            self.process = subprocess.Popen(
                command(self.state, self.scenario),
                cwd=ROOT,
                env=env,
                stdout=output,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
            )
        stack_file = self.state / "stack.json"
        deadline = time.monotonic() + START_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(
                    f"the local stack exited ({self.process.returncode}):\n{self.logs()}"
                )
            with contextlib.suppress(FileNotFoundError, ValueError):
                self.info = json.loads(stack_file.read_text())
                self.info["state_dir"] = str(self.state)
                return self.info
            time.sleep(0.2)
        self.stop()
        raise RuntimeError(
            f"the local stack did not start in {START_SECONDS:.0f} s:\n{self.logs()}"
        )

    def logs(self, chars: int = 3000) -> str:
        return "\n".join(
            f"--- {path.name}\n{path.read_text(errors='replace')[-chars:]}"
            for path in sorted(self.state.rglob("*.log"))
        )

    def stop(self) -> None:
        """SIGTERM the launcher (it stops its children) and wait; kill what is left."""
        process = self.process
        if process is None or process.poll() is not None:
            return
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(STOP_SECONDS)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(5)
            for pid in self.info.get("pids", {}).values():  # its children: own sessions
                with contextlib.suppress(ProcessLookupError, PermissionError):
                    os.killpg(pid, signal.SIGKILL)
