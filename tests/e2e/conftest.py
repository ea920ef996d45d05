"""One local stack for all end-to-end and browser tests of a session."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from stack_helpers import SCENARIO

from local.headless import HeadlessStack


@pytest.fixture(scope="session")
def stack(tmp_path_factory) -> Iterator[dict]:
    running = HeadlessStack(tmp_path_factory.mktemp("stack"), scenario=SCENARIO)
    try:
        info = running.start()
    except RuntimeError as error:
        pytest.fail(str(error))
    yield info
    running.stop()
