"""One local stack for all end-to-end and browser tests of a session, and a quiet one.

`quiet_stack` runs no simulator: a test that makes a service fail for everyone (emulator
faults) uses it, so that the simulated streams' frames neither crowd its own out of the
relay nor fail in the other tests.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from stack_helpers import SCENARIO

from local.headless import HeadlessStack


def _running(state, scenario) -> Iterator[dict]:
    running = HeadlessStack(state, scenario=scenario)
    try:
        info = running.start()
    except RuntimeError as error:
        pytest.fail(str(error))
    yield info
    running.stop()


@pytest.fixture(scope="session")
def stack(tmp_path_factory) -> Iterator[dict]:
    yield from _running(tmp_path_factory.mktemp("stack"), SCENARIO)


@pytest.fixture(scope="module")
def quiet_stack(tmp_path_factory) -> Iterator[dict]:
    yield from _running(tmp_path_factory.mktemp("quiet-stack"), None)
