"""The sharded engine transport against a real HTTP server: where requests go, and that every
way a request ends frees its place."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator

import httpx
import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from localfn.engine.transport import ShardedTransport
from tests.support.asgi_server import serve_in_thread


class Server:
    """Answers after ``?ms=``; remembers the client ports it saw (one per connection) and counts arrivals."""

    def __init__(self) -> None:
        self.ports: set[int] = set()
        self.arrived = 0
        self.lock = threading.Lock()

    async def slow(self, request: Request) -> Response:
        with self.lock:
            self.arrived += 1
            self.ports.add(request.client.port if request.client else 0)
        await asyncio.sleep(int(request.query_params.get("ms", "0")) / 1000)
        return PlainTextResponse("ok")

    async def endless(self, request: Request) -> Response:
        async def chunks() -> AsyncIterator[bytes]:
            while True:
                yield b"x" * 1024
                await asyncio.sleep(0.01)

        return StreamingResponse(chunks())


@pytest.fixture
def server() -> Iterator[tuple[Server, str]]:
    state = Server()
    app = Starlette(routes=[Route("/slow", state.slow), Route("/endless", state.endless)])
    with serve_in_thread(app) as url:
        yield state, url


async def test_one_request_at_a_time_keeps_to_the_first_shard_and_one_connection(server: tuple[Server, str]) -> None:
    state, url = server
    transport = ShardedTransport(shards=4)
    async with httpx.AsyncClient(transport=transport) as client:
        for _ in range(10):
            assert (await client.get(f"{url}/slow")).text == "ok"
    assert len(state.ports) == 1
    assert transport.in_flight == [0, 0, 0, 0]


async def test_concurrent_requests_spread_evenly_and_all_places_come_back(server: tuple[Server, str]) -> None:
    state, url = server
    transport = ShardedTransport(shards=4)
    async with httpx.AsyncClient(transport=transport) as client:
        calls = [asyncio.create_task(client.get(f"{url}/slow", params={"ms": 500})) for _ in range(32)]
        while state.arrived < 32:
            await asyncio.sleep(0.01)
        during = list(transport.in_flight)
        await asyncio.gather(*calls)
    assert during == [8, 8, 8, 8]
    assert transport.in_flight == [0, 0, 0, 0]


async def test_failed_cancelled_and_abandoned_requests_free_their_places(server: tuple[Server, str], closed_port_url: str) -> None:
    state, url = server
    transport = ShardedTransport(shards=2)
    async with httpx.AsyncClient(transport=transport) as client:
        with pytest.raises(httpx.ConnectError):
            await client.get(closed_port_url)
        slow = asyncio.create_task(client.get(f"{url}/slow", params={"ms": 5000}))
        while state.arrived < 1:
            await asyncio.sleep(0.01)
        slow.cancel()
        with pytest.raises(asyncio.CancelledError):
            await slow
        async with client.stream("GET", f"{url}/endless") as response:
            async for _ in response.aiter_bytes():
                break  # leave the endless body early
    assert transport.in_flight == [0, 0]


def test_a_transport_needs_a_shard() -> None:
    with pytest.raises(ValueError, match="at least one shard"):
        ShardedTransport(shards=0)
