"""A real, throwaway Redis for tests: its own ``redis-server`` process on a free loopback port, nothing on disk.

The binary comes from Debian's ``redis-server`` package (scripts/setup.sh installs it for the tests);
the package's system service is never used. ``--save "" --appendonly no``: everything in it can be
recomputed, as in production. A test may stop the server and start it again on the same port,
which is how Redis going away and coming back looks to a client.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from tests.support.processes import free_port

__all__ = ["RedisServer", "redis_server"]

START_TIMEOUT_S = 20.0


@dataclass
class RedisServer:
    """A redis-server on 127.0.0.1:``port`` and a Unix socket in ``root``; its URLs carry no password."""

    port: int
    root: Path
    password: str | None = None
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    @property
    def socket_url(self) -> str:
        """The same server through its Unix socket."""
        return f"unix://{self.root / 'redis.sock'}?db=0"

    def start(self) -> None:
        binary = shutil.which("redis-server")
        if binary is None:
            pytest.fail("redis-server is missing: run `bash scripts/setup.sh test` (installs the 'redis-server' package)")
        command = [
            binary,
            "--port",
            str(self.port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(self.root),
            "--unixsocket",
            str(self.root / "redis.sock"),
            "--unixsocketperm",
            "700",
        ]
        if self.password is not None:
            command += ["--requirepass", self.password]
        with (self.root / "redis.log").open("ab") as log:
            self.process = subprocess.Popen(command, stdout=log, stderr=log)
        self._wait_ready()

    def stop(self) -> None:
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=START_TIMEOUT_S)
            self.process = None

    def command(self, *words: str) -> bytes:
        """One command over a plain socket (no client library), the raw reply's first line."""
        auth = ["AUTH", self.password] if self.password is not None else []
        with socket.create_connection(("127.0.0.1", self.port), timeout=START_TIMEOUT_S) as connection:
            for command in ([auth] if auth else []) + [list(words)]:
                connection.sendall(
                    b"".join([f"*{len(command)}\r\n".encode()] + [f"${len(w.encode())}\r\n{w}\r\n".encode() for w in command])
                )
                reply = connection.recv(65536)
        return reply.split(b"\r\n")[0]

    def _wait_ready(self) -> None:
        deadline = time.monotonic() + START_TIMEOUT_S
        while time.monotonic() < deadline:
            assert self.process is not None
            if self.process.poll() is not None:
                raise AssertionError(f"redis-server exited: {(self.root / 'redis.log').read_text()}")
            try:
                if self.command("PING") == b"+PONG":
                    return
            except OSError:
                pass
            time.sleep(0.05)
        raise AssertionError(f"redis-server on port {self.port} not ready after {START_TIMEOUT_S} s")


@contextmanager
def redis_server(password: str | None = None) -> Iterator[RedisServer]:
    """Start a redis-server, yield it, then stop it and remove its folder."""
    server = RedisServer(free_port(), Path(tempfile.mkdtemp(prefix="localfn-redis-")), password)
    try:
        server.start()
        yield server
    finally:
        server.stop()
        shutil.rmtree(server.root, ignore_errors=True)
