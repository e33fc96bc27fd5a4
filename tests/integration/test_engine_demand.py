"""The demand and in-flight gauges an autoscaler reads, scraped from a real /metrics.

Demand is counted for the first engine in the pool order, whichever engine serves; in-flight
for the engine that serves. Both must be back at 0 however the work ends. Engines are real:
the Ollama peer (streaming) in front of the tiny llama-server, and a closed port for a GPU
pool with no pods. The peer holds each generation until the test lets it go, so the gauges
are read while the call is surely under way.
"""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import httpx

from localfn.engine.embedded import LlamaServer
from localfn.settings import Settings
from tests.support.http_checks import Scrape
from tests.support.localfn_app import backend, make_settings, serve_client
from tests.support.ollama_peer import OllamaPeer

REQUEST = {"mode": "context", "context": "word " * 300, "max_summary_tokens": 20}
BACKENDS = ("gpu", "cpu")
KINDS = ("demand", "in_flight")
GAUGES = {f"localfn_engine_{kind}" for kind in KINDS}


async def scrape(client: httpx.AsyncClient) -> Scrape:
    response = await client.get("/summarize/metrics")
    assert response.status_code == 200
    return Scrape.parse(response.text)


async def scrape_when(client: httpx.AsyncClient, ready: Callable[[Scrape], bool]) -> Scrape:
    """Scrape until ``ready`` holds: the request under way has reached its engine (pytest's timeout bounds it)."""
    while not ready(current := await scrape(client)):
        await asyncio.sleep(0.01)
    return current


def gauges(s: Scrape) -> dict[str, float]:
    """Every backend's demand and in-flight values, keyed "demand_gpu", "in_flight_cpu", ..."""
    return {f"{kind}_{name}": s.value(f"localfn_engine_{kind}", backend=name) for kind in KINDS for name in BACKENDS}


def only(**expected: float) -> dict[str, float]:
    """The gauges with these values and every other one at 0."""
    return {f"{kind}_{name}": expected.get(f"{kind}_{name}", 0.0) for kind in KINDS for name in BACKENDS}


def exported(s: Scrape) -> set[str]:
    """The demand and in-flight series present in a scrape (a gauge never touched is absent, not 0)."""
    return {f"{name.removeprefix('localfn_engine_')}_{dict(labels)['backend']}" for name, labels in s.values if name in GAUGES}


@asynccontextmanager
async def held(peer: OllamaPeer) -> AsyncIterator[threading.Event]:
    """The peer keeps every generation waiting until the block ends (or the test sets the event)."""
    peer.hold = threading.Event()
    try:
        yield peer.hold
    finally:
        peer.hold.set()


async def while_held(client: httpx.AsyncClient, peer: OllamaPeer, serving: str, request: dict = REQUEST) -> tuple[Scrape, httpx.Response]:
    """A scrape taken while the call is under way on ``serving`` (held by the peer), and the call's response."""
    async with held(peer) as release:
        call = asyncio.create_task(client.post("/summarize", json=request))
        during = await scrape_when(client, lambda s: s.value("localfn_engine_in_flight", backend=serving) > 0)
        release.set()
        return during, await call


def pools(gpu_url: str, cpu_url: str) -> Settings:
    return make_settings(backend("gpu", gpu_url, "tiny", kind="ollama"), backend("cpu", cpu_url, "tiny", kind="ollama"), cache_ttl_s=0)


async def test_a_served_call_counts_on_its_engine_while_it_streams_and_not_after(ollama_peer, closed_port_url: str) -> None:
    peer, url = ollama_peer
    async with serve_client(pools(url, closed_port_url)) as (client, _):
        during, response = await while_held(client, peer, "gpu")
        after = await scrape(client)
    assert response.status_code == 200 and response.json()["backend"] == "gpu"
    assert gauges(during) == only(demand_gpu=1, in_flight_gpu=1)
    assert gauges(after) == only()


async def test_demand_stays_on_a_gpu_pool_with_no_pods_while_the_cpu_pool_serves(ollama_peer, closed_port_url: str) -> None:
    """Failover, then a second call while the GPU engine cools down: demand still names the GPU."""
    peer, url = ollama_peer
    async with serve_client(pools(closed_port_url, url)) as (client, _):
        seen = []
        for tokens in (20, 21):
            during, response = await while_held(client, peer, "cpu", {**REQUEST, "max_summary_tokens": tokens})
            seen.append(during)
            assert response.status_code == 200 and response.json()["backend"] == "cpu"
        after = await scrape(client)
    assert after.value("localfn_engine_failovers_total", backend="gpu", reason="engine-unavailable") == 1
    assert [gauges(s) for s in seen] == [only(demand_gpu=1, in_flight_cpu=1)] * 2
    assert gauges(after) == only()


async def test_gauges_return_to_zero_when_every_engine_fails(ollama_peer, closed_port_url: str) -> None:
    peer, url = ollama_peer
    peer.fault = "error"
    async with serve_client(pools(url, closed_port_url)) as (client, _):
        during, response = await while_held(client, peer, "gpu")
        after = await scrape(client)
    assert response.status_code >= 500
    assert gauges(during) == only(demand_gpu=1, in_flight_gpu=1)
    assert gauges(after) == only()


async def test_gauges_return_to_zero_when_the_caller_goes_away(ollama_peer, closed_port_url: str) -> None:
    peer, url = ollama_peer
    async with serve_client(pools(url, closed_port_url)) as (client, _), held(peer):
        call = asyncio.create_task(client.post("/summarize", json=REQUEST))
        during = await scrape_when(client, lambda s: s.value("localfn_engine_in_flight", backend="gpu") > 0)
        call.cancel()
        await asyncio.gather(call, return_exceptions=True)
        after = await scrape(client)
    assert call.cancelled()
    assert gauges(during) == only(demand_gpu=1, in_flight_gpu=1)
    assert gauges(after) == only()


async def test_an_openai_engine_counts_too(tiny_server: LlamaServer, closed_port_url: str) -> None:
    """llama-server (not streamed) behind a GPU pool with no pods: the same two gauges, back at 0."""
    settings = make_settings(backend("gpu", closed_port_url, "tiny", kind="ollama"), backend("cpu", tiny_server.url, "tiny"), cache_ttl_s=0)
    async with serve_client(settings) as (client, _):
        response = await client.post("/summarize", json=REQUEST)
        after = await scrape(client)
    assert response.json()["backend"] == "cpu"
    assert exported(after) == {"demand_gpu", "in_flight_gpu", "in_flight_cpu"}
    assert gauges(after) == only()
