"""Connections to engines: one httpx transport whose connection pool is split into shards.

httpcore 1.0's pool finds a connection for a request by scanning all of its connections and,
for each idle one, counting the idle ones again: the work per request grows with the square of
the connections open. At 64 concurrent calls to one engine that scan is most of a function's
CPU (bench/README.md, "overhead"); a user's bare forwarder pays it too. Several small pools
pay it on a few connections each.

Each request goes to the shard with the fewest requests in flight, the first such shard on a
tie: at low concurrency every request goes to the first shard, whose connections stay warm;
under load the calls spread evenly. A request is in flight until its response is closed
(read to the end, or left), or until it fails.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable
from typing import Any

import httpx

__all__ = ["SHARDS", "ShardedTransport"]

# With 16, 64 concurrent calls keep about 4 connections a shard (bench/perf/overhead.py measures it).
SHARDS = 16


class ShardedTransport(httpx.AsyncBaseTransport):
    """``shards`` httpx transports made with ``options`` (limits, verify, ...), used as one."""

    def __init__(self, shards: int = SHARDS, **options: Any) -> None:
        if shards < 1:
            raise ValueError("a sharded transport needs at least one shard")
        self._shards = [httpx.AsyncHTTPTransport(**options) for _ in range(shards)]
        self.in_flight = [0] * shards

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        index = self.in_flight.index(min(self.in_flight))
        self.in_flight[index] += 1
        try:
            response = await self._shards[index].handle_async_request(request)
        except BaseException:  # cancelled too: the slot is free again
            self.in_flight[index] -= 1
            raise
        response.stream = _Released(response.stream, lambda: self._release(index))
        return response

    @property
    def shards(self) -> tuple[httpx.AsyncHTTPTransport, ...]:
        return tuple(self._shards)

    def _release(self, index: int) -> None:
        self.in_flight[index] -= 1

    async def aclose(self) -> None:
        for shard in self._shards:
            await shard.aclose()


class _Released(httpx.AsyncByteStream):
    """A response's body that calls ``release`` once, when it is closed."""

    def __init__(self, stream: Any, release: Callable[[], None]) -> None:
        self._stream = stream
        self._release: Callable[[], None] | None = release

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for part in self._stream:
            yield part

    async def aclose(self) -> None:
        try:
            await self._stream.aclose()
        finally:
            if self._release is not None:
                release, self._release = self._release, None
                release()
