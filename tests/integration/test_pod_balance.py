"""Pod pools over real engines: OllamaPeers (and llama-servers) on 127.0.0.2, .3, ... sharing one port.

Only DNS is a stand-in (tests/support/fake_resolver.py): the pods are real servers, the
engines, the engine pool and its failover are the product's own.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import socket
import threading
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from localfn.engine.base import ChatRequest, ChatResult, Message
from localfn.engine.embedded import LlamaServer
from localfn.engine.pool import EnginePool
from localfn.metrics import Metrics
from localfn.runtime import Runtime
from localfn.settings import BackendSettings, Settings
from tests.support.asgi_server import serve_in_thread
from tests.support.fake_resolver import FakeResolver
from tests.support.ollama_peer import OllamaPeer

PODS = ("127.0.0.2", "127.0.0.3", "127.0.0.4")
PODS_HOST = "gpu-ready.localfn.svc.cluster.local"  # what the chart renders; only the FakeResolver reads it
SYSTEM = "You answer in one word."


def shared_port(hosts: tuple[str, ...]) -> tuple[int, list[socket.socket]]:
    """A port bound (not yet listening) on every one of ``hosts``: one Service port, one pod per address."""
    while True:
        first = socket.socket()
        first.bind((hosts[0], 0))
        port = first.getsockname()[1]
        sockets = [first]
        try:
            for host in hosts[1:]:
                sock = socket.socket()
                sockets.append(sock)
                sock.bind((host, port))
        except OSError:  # taken on another address: try another port
            for sock in sockets:
                sock.close()
            continue
        return port, sockets


@pytest.fixture
def peers(tiny_server: LlamaServer) -> Iterator[tuple[int, dict[str, OllamaPeer]]]:
    """An OllamaPeer in front of the tiny model on each pod address, all on one port."""
    port, sockets = shared_port(PODS)
    upstream = tiny_server.url.removesuffix("/v1")
    by_address = {address: OllamaPeer(upstream, {"tiny:latest": "tiny"}, upstream_connections=2) for address in PODS}
    with contextlib.ExitStack() as stack:
        for peer, sock in zip(by_address.values(), sockets, strict=True):
            stack.enter_context(serve_in_thread(peer, sock))
        yield port, by_address
    assert all(peer.violations == [] for peer in by_address.values())


def gpu_pool(port: int, kind: str = "ollama", balance: str = "least-load", path: str = "") -> BackendSettings:
    return BackendSettings(name="gpu", kind=kind, url=f"http://{PODS_HOST}:{port}{path}", model="tiny", balance=balance)


@contextlib.asynccontextmanager
async def engine_pool(settings: Settings, resolver: FakeResolver) -> AsyncIterator[tuple[EnginePool, Metrics]]:
    """The runtime's engine pool over ``settings.engines``, with ``resolver`` for DNS; and its metrics."""
    runtime = Runtime(settings, resolver=resolver)
    try:
        yield runtime.pool, runtime.metrics
    finally:
        await runtime.aclose()


def request(n: int, system: str = SYSTEM) -> ChatRequest:
    return ChatRequest(messages=(Message("system", system), Message("user", f"question {n}")), max_tokens=3, temperature=0)


async def run(pool: EnginePool, count: int, concurrency: int, system: str = SYSTEM) -> list[ChatResult]:
    """``count`` calls, ``concurrency`` at a time; any failure fails the test."""
    limit = asyncio.Semaphore(concurrency)

    async def one(n: int) -> ChatResult:
        async with limit:
            return await pool.chat(request(n, system))

    return await asyncio.gather(*(one(n) for n in range(count)))


def chats(peer: OllamaPeer) -> int:
    return sum(1 for path, _ in peer.requests if path == "/api/chat")


async def test_two_equal_pods_each_serve_40_to_60_percent(peers) -> None:
    port, by_address = peers
    settings = Settings(engines=[gpu_pool(port)])
    async with engine_pool(settings, FakeResolver(*PODS[:2])) as (pool, _):
        results = await run(pool, 300, 16)
    assert {r.backend for r in results} == {"gpu"}
    shares = [chats(by_address[a]) / 300 for a in PODS[:2]]
    assert sum(chats(by_address[a]) for a in PODS[:2]) == 300
    assert all(0.4 <= share <= 0.6 for share in shares), shares


async def test_the_fast_pod_takes_most_when_the_other_is_slow(peers) -> None:
    port, by_address = peers
    slow, fast = (by_address[a] for a in PODS[:2])
    slow.delay_s = 1.0  # five times the fast one's latency at this concurrency
    settings = Settings(engines=[gpu_pool(port)])
    async with engine_pool(settings, FakeResolver(*PODS[:2])) as (pool, _):
        await run(pool, 200, 16)
    assert chats(fast) + chats(slow) == 200
    assert chats(fast) >= 0.75 * 200, (chats(fast), chats(slow))


async def test_no_ready_pod_sends_everything_to_the_cpu_pool_until_a_pod_appears(peers, tiny_server: LlamaServer) -> None:
    port, by_address = peers
    resolver = FakeResolver()
    cpu = BackendSettings(name="cpu", kind="openai", url=tiny_server.url, model="tiny")
    settings = Settings(engines=[gpu_pool(port), cpu], pod_refresh_s=0.2)
    async with engine_pool(settings, resolver) as (pool, metrics):
        empty = await run(pool, 40, 8)
        assert {r.backend for r in empty} == {"cpu"}
        assert metrics.registry.get_sample_value("localfn_engine_failovers_total", {"backend": "gpu", "reason": "no-capacity"}) == 40
        # A pod turns ready: every call made after the next look-up reaches it (no failure cool-down to wait out).
        resolver.addresses_now = [PODS[0]]
        seen_by = len(resolver.lookups)
        after: list[tuple[bool, str]] = []
        async with asyncio.timeout(30):
            while sum(1 for looked, _ in after if looked) < 10:
                looked = len(resolver.lookups) > seen_by
                after.append((looked, (await pool.chat(request(len(after)))).backend))
                await asyncio.sleep(0.02)
    assert {backend for looked, backend in after if looked} == {"gpu"}
    assert chats(by_address[PODS[0]]) >= 10
    assert metrics.registry.get_sample_value("localfn_engine_failovers_total", {"backend": "gpu", "reason": "engine-unavailable"}) is None


async def test_a_pool_with_no_pod_still_shows_the_demand_that_should_wake_it(peers) -> None:
    port, by_address = peers
    cpu_peer = by_address[PODS[2]]
    cpu = BackendSettings(name="cpu", kind="ollama", url=f"http://{PODS[2]}:{port}", model="tiny")
    async with engine_pool(Settings(engines=[gpu_pool(port), cpu]), FakeResolver()) as (pool, metrics):

        def gauge(kind: str, backend: str) -> float:
            return metrics.registry.get_sample_value(f"localfn_engine_{kind}", {"backend": backend}) or 0.0

        cpu_peer.hold = threading.Event()
        calls = [asyncio.create_task(pool.chat(request(n))) for n in range(4)]
        while gauge("in_flight", "cpu") < 4:  # every call has reached the CPU pool (pytest's timeout bounds this)
            await asyncio.sleep(0.01)
        during = (gauge("demand", "gpu"), gauge("in_flight", "gpu"), gauge("demand", "cpu"))
        cpu_peer.hold.set()
        results = await asyncio.gather(*calls)
    assert during == (4, 0, 0)
    assert {r.backend for r in results} == {"cpu"}
    assert (gauge("demand", "gpu"), gauge("in_flight", "cpu")) == (0, 0)


async def test_equal_prompts_go_to_one_pod_while_it_is_within_the_bound(peers) -> None:
    port, by_address = peers
    prompts = [f"You write the badge text for course {i}." for i in range(6)]
    settings = Settings(engines=[gpu_pool(port, balance="prefix")])
    async with engine_pool(settings, FakeResolver(*PODS)) as (pool, _):
        for prompt in prompts:  # one at a time: every pod is within the bound
            await run(pool, 5, 1, system=prompt)
        owners = {
            prompt: {
                a
                for a, peer in by_address.items()
                for path, body in peer.requests
                if path == "/api/chat" and body["messages"][0]["content"] == prompt
            }
            for prompt in prompts
        }
        assert all(len(pods) == 1 for pods in owners.values()), owners
        assert len(set().union(*owners.values())) > 1
        # A burst of one prompt: its pod takes its bounded share, the next pods on the ring the rest.
        for peer in by_address.values():
            peer.delay_s = 0.05
            peer.requests.clear()
        await run(pool, 48, 16, system=prompts[0])
    served = Counter({a: chats(peer) for a, peer in by_address.items()})
    (owner,) = owners[prompts[0]]
    # Its owner is asked first every time and takes at least an even share; the bound made it share.
    assert served[owner] >= 48 / len(PODS), served
    assert served[owner] < 48, served


async def start_pod(tiny_model: Path, host: str, port: int) -> LlamaServer:
    server = LlamaServer(tiny_model, name="tiny", ctx_size=2048, parallel=2, host=host, port=port, max_restarts=0)
    await server.start()
    return server


async def test_a_pod_killed_mid_run_fails_no_request(tiny_model: Path) -> None:
    port, sockets = shared_port(PODS[:2])
    for sock in sockets:
        sock.close()  # llama-server binds the port itself
    servers = [await start_pod(tiny_model, address, port) for address in PODS[:2]]
    try:
        settings = Settings(engines=[gpu_pool(port, kind="openai", path="/v1")])
        async with engine_pool(settings, FakeResolver(*PODS[:2])) as (pool, _):
            done = 0

            async def counted(n: int) -> ChatResult:
                nonlocal done
                result = await pool.chat(request(n))
                done += 1
                if done == 40:
                    os.kill(servers[0].pid or 0, signal.SIGKILL)
                return result

            limit = asyncio.Semaphore(8)

            async def one(n: int) -> ChatResult:
                async with limit:
                    return await counted(n)

            results = await asyncio.gather(*(one(n) for n in range(160)))
        killed = servers[0]._process
        assert killed is not None and killed.returncode == -signal.SIGKILL
    finally:
        for server in servers:
            await server.stop()
    assert len(results) == 160 and {r.backend for r in results} == {"gpu"}
