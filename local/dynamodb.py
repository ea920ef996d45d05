"""moto's server for DynamoDB, applying one request at a time, as DynamoDB applies each atomically.

    python -m local.dynamodb -H 127.0.0.1 -p 5102

moto's own WSGI app (every service, /moto-api/ too), served threaded by werkzeug as
`python -m moto.server` serves it, behind `one_at_a_time`. Without it moto's threaded server
does not apply TransactWriteItems atomically: it checks the conditions, then writes without
a lock, and undoes a cancelled transaction by restoring copies of its tables, so two
conditional transactions can both succeed, or a cancelled one can erase another's writes.
Requests are read in full before the lock is taken; only moto's work is serialised (which
the GIL mostly serialised already).
"""

from __future__ import annotations

import argparse
import io
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterable
from typing import Any

from moto.moto_server.werkzeug_app import (
    DomainDispatcherApplication,
    MotoRequestHandler,
    create_backend_app,
)
from werkzeug.serving import BaseWSGIServer, make_server

WSGIApp = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


def one_at_a_time(app: WSGIApp) -> WSGIApp:
    """`app`, applying one request at a time: the lock is held while the app runs and while
    its response body is produced (materialised, and closed, inside the lock)."""
    lock = threading.Lock()

    def serialised(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        body = _read_body(environ)  # a slow client holds no one else up
        environ["wsgi.input"] = io.BytesIO(body)
        environ["CONTENT_LENGTH"] = str(len(body))
        with lock:
            response = app(environ, start_response)
            try:
                return list(response)
            finally:
                close = getattr(response, "close", None)
                if close is not None:
                    close()

    return serialised


def _read_body(environ: dict[str, Any]) -> bytes:
    stream = environ["wsgi.input"]
    length = environ.get("CONTENT_LENGTH") or ""
    if length.isdigit():
        return stream.read(int(length))
    if environ.get("wsgi.input_terminated"):  # chunked: werkzeug ends the stream for us
        return stream.read()
    return b""


def moto_app() -> WSGIApp:
    """moto's app, as `python -m moto.server` builds it, applying one request at a time."""
    app = DomainDispatcherApplication(create_backend_app)
    app.debug = True  # type: ignore[attr-defined]  # as moto.server sets it
    return one_at_a_time(app)


def server(host: str, port: int) -> BaseWSGIServer:
    """A threaded werkzeug server for `moto_app()` (port 0: any free port); serve_forever()."""
    return make_server(host, port, moto_app(), threaded=True, request_handler=MotoRequestHandler)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-H", "--host", default="127.0.0.1")
    parser.add_argument("-p", "--port", type=int, default=5102)
    args = parser.parse_args(argv)
    os.environ.setdefault("MOTO_PORT", str(args.port))  # as moto.server does
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    running = server(args.host, args.port)
    print(f"moto (one request at a time) on http://{args.host}:{running.server_port}", flush=True)
    try:
        running.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        running.server_close()
    return 0


if __name__ == "__main__":
    sys.exit(main())
