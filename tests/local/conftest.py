"""The local stack's tests: one moto server per module that asks for it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from local_servers import moto_server


@pytest.fixture(scope="module")
def moto() -> Iterator[str]:
    with moto_server() as url:
        yield url
