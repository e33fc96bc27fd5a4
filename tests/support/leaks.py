"""Leak checks for an app served in the test's own event loop (`serve_in_loop`).

Two things must not outlive a request, whatever failed during it:
* asyncio tasks: none beyond those running when the check was set up (the server's own);
* connections to an engine: every socket this process holds open to the engine's port must be
  an idle keep-alive connection in the engine client's pool. A response left unclosed shows as
  a pool connection that is not idle; a connection the pool forgot without closing it, as a
  socket the pool does not account for. Sockets are read from the kernel (psutil), so a
  half-closed one (CLOSE_WAIT, the engine hung up but we never closed) still counts.
"""

from __future__ import annotations

import asyncio
from urllib.parse import urlsplit

import httpcore
import httpx
import psutil

from localfn.engine.transport import ShardedTransport

__all__ = ["LeakCheck"]

# The server's task for a request ends just after it has written the response (measured: within
# one loop turn); 0.1 s allows for that, and is shorter than any engine call, so work still
# running against the engine after the answer is caught, not waited for.
SETTLE_ROUNDS = 10
SETTLE_STEP_S = 0.01


class LeakCheck:
    """Set up when nothing is in flight; `assert_clean()` after the requests under test."""

    def __init__(self, client: httpx.AsyncClient, engine_url: str) -> None:
        self._baseline = asyncio.all_tasks()
        # The engine client's transport is localfn's sharded one; each shard keeps its httpcore pool on
        # httpx's default transport, and httpcore documents `connections`.
        transport = client._transport
        assert isinstance(transport, ShardedTransport), "the engine client must use localfn's sharded transport"
        self._transport = transport
        self._pools: list[httpcore.AsyncConnectionPool] = [shard._pool for shard in transport.shards]
        parts = urlsplit(engine_url)
        assert parts.hostname is not None and parts.port is not None, engine_url
        self._host, self._port = parts.hostname, parts.port
        self._origin = httpcore.Origin(parts.scheme.encode(), self._host.encode(), self._port)

    async def assert_clean(self) -> None:
        leftover = await self._leftover_tasks()
        assert not leftover, f"tasks left over: {sorted(task.get_name() + ' ' + repr(task.get_coro()) for task in leftover)}"
        pooled = [c for pool in self._pools for c in pool.connections]
        connections = [c for c in pooled if c.can_handle_request(self._origin) and not c.is_closed()]
        busy = [c.info() for c in connections if not c.is_idle()]
        assert not busy, f"engine connections still in use: {busy}"
        assert not any(self._transport.in_flight), f"requests still counted in flight per shard: {self._transport.in_flight}"
        sockets = self.open_sockets()
        assert len(sockets) == len(connections), f"open sockets to the engine {sockets}, idle pool connections {len(connections)}"

    def open_sockets(self) -> list[str]:
        """This process's TCP sockets to the engine's address, as 'local port state'."""
        return [
            f"{c.laddr.port} {c.status}"
            for c in psutil.Process().net_connections(kind="tcp")
            if c.raddr and (c.raddr.ip, c.raddr.port) == (self._host, self._port)
        ]

    async def _leftover_tasks(self) -> set[asyncio.Task[object]]:
        current = asyncio.current_task()
        for _ in range(SETTLE_ROUNDS):
            leftover = {t for t in asyncio.all_tasks() if t not in self._baseline and t is not current and not t.done()}
            if not leftover:
                break
            await asyncio.sleep(SETTLE_STEP_S)
        return leftover
