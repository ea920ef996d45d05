"""Servers for tests of the local stack: moto and the emulator, each on a free local port.

Both run in background threads of the test process and are reached over real HTTP, the
way the production code reaches them: no mocks, no Stubber.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from contextlib import contextmanager

import boto3
from aiohttp import web
from moto.server import ThreadedMotoServer
from support import REGION


@contextmanager
def moto_server() -> Iterator[str]:
    """A moto server (S3, DynamoDB, ...) in this process; yields its endpoint URL."""
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def aws(service: str, endpoint: str, config=None):
    """A boto3 client of the test account on one of these servers (any credentials do)."""
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=REGION,
        aws_access_key_id="testing",
        aws_secret_access_key="testing",
        config=config,
    )


@contextmanager
def serve_app(app: web.Application) -> Iterator[str]:
    """Serve an aiohttp app from its own event loop thread; yields its base URL."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    runner = web.AppRunner(app, access_log=None)

    async def start() -> str:
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", 0).start()
        host, port = runner.addresses[0][:2]
        return f"http://{host}:{port}"

    try:
        yield asyncio.run_coroutine_threadsafe(start(), loop).result(timeout=10)
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(timeout=10)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(timeout=10)
        loop.close()
