"""One local stack for all end-to-end and browser tests of a session."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from collections.abc import Iterator

import pytest
from stack_helpers import ROOT, free_port, stack_command


@pytest.fixture(scope="session")
def stack(tmp_path_factory) -> Iterator[dict]:
    state = tmp_path_factory.mktemp("stack")
    env = {k: v for k, v in os.environ.items() if not k.startswith("AWS_")}
    output = open(state / "launcher.log", "w")  # noqa: SIM115 - closed below
    command = stack_command(state, free_port(), free_port(), free_port(), free_port())
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=output, stderr=output)
    deadline = time.monotonic() + 120
    while not (state / "stack.json").exists():
        if process.poll() is not None or time.monotonic() > deadline:
            process.kill()
            logs = "\n".join(
                f"--- {path.name}\n{path.read_text()[-3000:]}"
                for path in sorted(state.rglob("*.log"))
            )
            pytest.fail(f"the local stack did not start:\n{logs}")
        time.sleep(0.2)
    info = json.loads((state / "stack.json").read_text())
    info["state_dir"] = str(state)
    yield info
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=30)
    output.close()
