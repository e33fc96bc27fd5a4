"""Run an ASGI app on a loopback port in a background thread, for tests that need a real socket."""

from __future__ import annotations

import contextlib
import socket
import threading
import time
from collections.abc import Iterator

import uvicorn
from starlette.types import ASGIApp

STARTUP_TIMEOUT_S = 10.0


@contextlib.contextmanager
def serve_in_thread(app: ASGIApp) -> Iterator[str]:
    """Serve `app` with uvicorn on 127.0.0.1 and yield its base URL; stop it on exit.

    Port 0 lets the kernel pick a free port atomically (no probe-then-bind race); the real
    port is read back from the listening socket once uvicorn has started.
    """
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=0,
        log_level="warning",
        lifespan="on",
        ws="none",
        # A test that leaves a stream open must not hang the shutdown.
        timeout_graceful_shutdown=5,
    )
    server = uvicorn.Server(config)
    # uvicorn only installs signal handlers in the main thread, so running it here is safe.
    thread = threading.Thread(target=server.run, name="asgi-test-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError("ASGI test server did not start")
        time.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    # `started` is set once the socket listens; one real connection proves it accepts.
    socket.create_connection(("127.0.0.1", port), timeout=STARTUP_TIMEOUT_S).close()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        thread.join(timeout=STARTUP_TIMEOUT_S)
