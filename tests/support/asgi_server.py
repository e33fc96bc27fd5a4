"""Run an ASGI app on a loopback port, for tests that need a real socket: in a background
thread (`serve_in_thread`), or in the test's own event loop (`serve_in_loop`), where the
test can see the app's asyncio tasks and connection pools."""

from __future__ import annotations

import asyncio
import contextlib
import socket
import threading
import time
from collections.abc import AsyncIterator, Iterator

import uvicorn
from starlette.types import ASGIApp

STARTUP_TIMEOUT_S = 10.0


def _server(app: ASGIApp) -> uvicorn.Server:
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
    return uvicorn.Server(config)


def _address(server: uvicorn.Server) -> tuple[str, int]:
    host, port = server.servers[0].sockets[0].getsockname()[:2]
    return host, port


def _url(server: uvicorn.Server) -> str:
    host, port = _address(server)
    return f"http://{host}:{port}"


@contextlib.contextmanager
def serve_in_thread(app: ASGIApp, sock: socket.socket | None = None) -> Iterator[str]:
    """Serve `app` with uvicorn on 127.0.0.1 and yield its base URL; stop it on exit.

    Port 0 lets the kernel pick a free port atomically (no probe-then-bind race); the real
    port is read back from the listening socket once uvicorn has started. `sock`, a bound
    socket that does not listen yet, serves on an address the test reserved beforehand (another
    loopback address such as 127.0.0.2 too: several servers on one port, as pods behind one Service).
    """
    server = _server(app)
    # uvicorn only installs signal handlers in the main thread, so running it here is safe.
    sockets = {"sockets": [sock]} if sock is not None else {}
    thread = threading.Thread(target=server.run, kwargs=sockets, name="asgi-test-server", daemon=True)
    thread.start()
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            server.should_exit = True
            raise RuntimeError("ASGI test server did not start")
        time.sleep(0.01)
    # `started` is set once the socket listens; one real connection proves it accepts.
    socket.create_connection(_address(server), timeout=STARTUP_TIMEOUT_S).close()
    try:
        yield _url(server)
    finally:
        server.should_exit = True
        thread.join(timeout=STARTUP_TIMEOUT_S)


@contextlib.asynccontextmanager
async def serve_in_loop(app: ASGIApp) -> AsyncIterator[str]:
    """Serve `app` with uvicorn as a task of the running event loop; yield its base URL.

    In the main thread uvicorn swaps in its own SIGINT/SIGTERM handlers while it serves and
    restores them on exit; pytest-timeout's SIGALRM is left alone.
    """
    server = _server(app)
    task = asyncio.create_task(server.serve(), name="asgi-test-server")
    async with asyncio.timeout(STARTUP_TIMEOUT_S):
        while not server.started:
            if task.done():
                task.result()  # uvicorn's start-up error, if it raised one
                raise RuntimeError("ASGI test server did not start")
            await asyncio.sleep(0.01)
    try:
        yield _url(server)
    finally:
        server.should_exit = True
        await task
