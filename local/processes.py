"""The stack's processes: its claim on the state directory and ports, and its children."""

from __future__ import annotations

import contextlib
import os
import pathlib
import signal
import socket
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass

import requests

from local.stage import ROOT


class StackError(Exception):
    """Something a person can fix: said in one line, no stack trace."""


@dataclass
class Ports:
    api: int
    moto: int
    emulator: int
    dynamodb: int
    invoke: int  # Lambda's Invoke API, served by the relay


def port_in_use(port: int) -> bool:
    with socket.socket() as probe:
        return probe.connect_ex(("127.0.0.1", port)) == 0


def claim(state: pathlib.Path, ports: Ports) -> pathlib.Path:
    """Refuse, in words, to start a second stack or to fight over a port; the pid file."""
    pid_file = state / "stack.pid"
    if pid_file.exists():
        pid = int(pid_file.read_text() or 0)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, 0)
            raise StackError(
                f"a local stack is already running (pid {pid}); stop it with Ctrl-C in its "
                f"terminal or `kill {pid}`, or use it: its endpoints are in {state}/stack.json"
            )
    for name, port in vars(ports).items():
        if port_in_use(port):
            raise StackError(f"port {port} (--{name}-port) is in use on 127.0.0.1; pick another")
    state.mkdir(parents=True, exist_ok=True)
    pid_file.write_text(str(os.getpid()))
    return pid_file


class Processes:
    """The stack's children, each in a session of its own with its log in `logs`."""

    def __init__(self, logs: pathlib.Path, say: Callable[[str], None]) -> None:
        self.logs = logs
        self.say = say
        self.running: list[tuple[str, subprocess.Popen]] = []

    def start(self, name: str, command: list[str], env: dict[str, str]) -> None:
        self.logs.mkdir(parents=True, exist_ok=True)
        with open(self.logs / f"{name}.log", "w") as out:
            process = subprocess.Popen(
                command,
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                stdin=subprocess.DEVNULL,
                start_new_session=True,  # Ctrl-C reaches the stack, which stops its children
            )
        self.running.append((name, process))

    def wait(self, name: str, ready: Callable[[], bool], timeout: float = 30) -> None:
        started = time.monotonic()
        process = dict(self.running)[name]
        while time.monotonic() - started < timeout:
            if process.poll() is not None:
                raise StackError(f"{name} exited ({process.returncode}):\n{self.tail(name)}")
            with contextlib.suppress(requests.RequestException, OSError):
                if ready():
                    self.say(f"  {name} ready ({time.monotonic() - started:.1f} s)")
                    return
            time.sleep(0.2)
        raise StackError(f"{name} was not ready after {timeout:.0f} s:\n{self.tail(name)}")

    def tail(self, name: str, lines: int = 15) -> str:
        text = (self.logs / f"{name}.log").read_text(errors="replace").splitlines()
        return "\n".join("    " + line for line in text[-lines:])

    def stop(self) -> None:
        """Each child in the reverse order of its start, one after the other: the relay and
        the simulator end before the services they call, so they log no refused calls."""
        deadline = time.monotonic() + 10
        for name, process in reversed(self.running):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                self.say(f"  {name} did not stop in time: killed")
        self.running.clear()
