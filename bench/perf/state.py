"""Shared state: what a Redis costs per request, and whether N processes then behave as one.

Three measurements, every function a `functions-framework` process from the runtime venv and
the store a real ``redis-server`` on loopback (tests/support/redis_server.py):

- Added latency: summarize with the store on and off (two processes, the same SlotPeer of
  short latency, cache on, each input new so every request claims, computes and stores),
  driven in turn ``TRIALS`` times at concurrency 1; added = on minus off, at p50 and p99.
- Engine calls: 1,000 summarize requests, 10 % of them distinct (each asked 10 times, in a
  fixed shuffled order), spread round-robin over 4 processes sharing the store, from 100
  clients. Shared, the engine must see one call per distinct input.
- Takeover: a CloudEvent delivered to process A, whose worker is killed (SIGKILL) while its
  engine call runs, then redelivered to B. B answers once A's lease has run out: takeover =
  B's answer time after the kill, minus the engine's fixed latency. Goal: at most lease + 1 s.
"""

from __future__ import annotations

import asyncio
import contextlib
import statistics
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any

import httpx
import psutil

from bench.perf.burst import bodies
from bench.perf.harness import Function, client, drive, engine_env, function, peer_stats, percentile, slot_peer
from bench.perf.options import Options
from bench.perf.record import Check, Result
from bench.perf.workload import summarize_request
from tests.support.redis_server import redis_server

NAME = "state"
TARGET_ADDED_P50_MS = 1.0
# Added latency: a short engine call, so the store's round trips are not lost in its noise.
ADDED_LATENCY_MS = 20.0
ADDED_REQUESTS = 200
TRIALS = 3
# Engine calls: as the burst benchmark, over 4 processes.
PROCESSES = 4
BURST_REQUESTS = 1000
BURST_CLIENTS = 100
BURST_SHARE = 0.10
BURST_LATENCY_MS = 250.0
# Takeover: the dead worker's call must still be running when it is killed.
LEASE_MS = 2000
TAKEOVER_LATENCY_MS = 3000.0
TARGET_TAKEOVER_SLACK_S = 1.0


@contextmanager
def functions(count: int, env: dict[str, str]) -> Iterator[list[Function]]:
    """``count`` summarize processes with the same settings."""
    with ExitStack() as stack:
        yield [stack.enter_context(function("summarize", env)) for _ in range(count)]


def state_errors(url: str) -> float:
    """localfn_state_errors_total of one process, over every op and reason."""
    text = httpx.get(f"{url}/metrics").text
    return sum(float(line.rsplit(" ", 1)[1]) for line in text.splitlines() if line.startswith("localfn_state_errors_total{"))


async def added_latency(off: str, on: str, requests: int) -> dict[str, Any]:
    """Per trial, the p50 and p99 (ms) of the store off and on; the medians over trials; on minus off."""
    found: dict[str, list[dict[int, float]]] = {"off": [], "on": []}
    async with client(1) as http:
        for trial in range(TRIALS):
            for way, url in (("off", off), ("on", on)):
                await drive(http, url, [summarize_request(-1 - trial)], concurrency=1)  # warm the connection
                start = 10_000 * (trial + 1)
                load = await drive(http, url, (summarize_request(start + i) for i in range(requests)), concurrency=1)
                found[way].append({p: percentile(load.latencies_s, p) * 1000 for p in (50, 99)})
    medians = {way: {p: statistics.median(t[p] for t in trials) for p in (50, 99)} for way, trials in found.items()}
    return {
        "per_trial_ms": found,
        "median_ms": medians,
        "added_p50_ms": medians["on"][50] - medians["off"][50],
        "added_p99_ms": medians["on"][99] - medians["off"][99],
    }


async def spread(urls: list[str], sent: list[dict[str, object]]) -> list[int]:
    """Every body once, body i to process i mod N, ``BURST_CLIENTS`` requests in flight; the statuses."""
    async with client(BURST_CLIENTS) as http:
        queue = iter(enumerate(sent))
        statuses: list[int] = []

        async def worker() -> None:
            for index, body in queue:
                statuses.append((await http.post(urls[index % len(urls)], json=body)).status_code)

        await asyncio.gather(*(worker() for _ in range(BURST_CLIENTS)))
    return statuses


def cloudevent(event_id: str) -> tuple[dict[str, str], dict[str, object]]:
    """A binary-mode summarize request event: its headers and data."""
    headers = {
        "ce-specversion": "1.0",
        "ce-type": "io.localfn.summarize.request",
        "ce-source": "/bench/state",
        "ce-id": event_id,
        "content-type": "application/json",
    }
    return headers, summarize_request(int(uuid.UUID(event_id).int % 1_000_000) + 100_000)


async def takeover(peer: str, a: Function, b: Function) -> float:
    """Seconds from killing A's worker mid-call until B answered the redelivery, minus the engine's latency."""
    headers, body = cloudevent(str(uuid.uuid4()))
    async with httpx.AsyncClient(timeout=120) as http:
        first = asyncio.create_task(http.post(a.url, headers=headers, json=body))
        before = peer_stats(peer)["calls"]
        while peer_stats(peer)["calls"] == before and peer_stats(peer)["in_flight"] == 0:
            await asyncio.sleep(0.01)
        worker = psutil.Process(a.process.pid).children()[0]  # gunicorn's worker; its master starts another
        worker.kill()
        killed = time.perf_counter()
        with contextlib.suppress(httpx.HTTPError):
            await first
        answer = await http.post(b.url, headers=headers, json=body)
        answered = time.perf_counter()
    if answer.status_code != 200:
        raise RuntimeError(f"the redelivery answered {answer.status_code}: {answer.text[:500]}")
    return answered - killed - TAKEOVER_LATENCY_MS / 1000


def run(options: Options) -> Result:
    added_requests = options.count(ADDED_REQUESTS, least=20)
    burst_requests = options.count(BURST_REQUESTS, least=2 * BURST_CLIENTS)
    sent = bodies(burst_requests, BURST_SHARE)
    distinct = len({body["context"] for body in sent})  # type: ignore[index]
    with redis_server() as redis:

        def shared(prefix: str, peer: str, **settings: object) -> dict[str, str]:
            return engine_env(peer, state_url=redis.url, state_prefix=prefix, **settings)

        with (
            slot_peer(slots=8, latency_ms=ADDED_LATENCY_MS) as peer,
            function("summarize", engine_env(peer)) as off,
            function("summarize", shared("added", peer)) as on,
        ):
            added = asyncio.run(added_latency(off.url, on.url, added_requests))
            added_errors = state_errors(on.url)

        with (
            slot_peer(slots=8, latency_ms=BURST_LATENCY_MS) as peer,
            functions(PROCESSES, shared("burst", peer, max_in_flight=BURST_CLIENTS)) as burst,
        ):
            statuses = asyncio.run(spread([fn.url for fn in burst], sent))
            calls = peer_stats(peer)["calls"]
            burst_errors = sum(state_errors(fn.url) for fn in burst)

        settings = {"state_lease_ms": LEASE_MS, "cache_ttl_s": 0}  # redelivery suppression alone
        with slot_peer(slots=8, latency_ms=TAKEOVER_LATENCY_MS) as peer, functions(2, shared("takeover", peer, **settings)) as (a, b):
            takeovers = [asyncio.run(takeover(peer, a, b)) for _ in range(TRIALS)]
    return Result(
        benchmark=NAME,
        parameters={
            "store": "redis-server on loopback (TCP), LOCALFN_STATE_TIMEOUT_MS=50 (default)",
            "added": {
                "engine_latency_ms": ADDED_LATENCY_MS,
                "requests_per_trial": added_requests,
                "trials": TRIALS,
                "concurrency": 1,
                "function": "summarize, cache on, every input new",
            },
            "engine_calls": {
                "processes": PROCESSES,
                "requests": burst_requests,
                "distinct_inputs": distinct,
                "clients": BURST_CLIENTS,
                "engine_latency_ms": BURST_LATENCY_MS,
            },
            "takeover": {
                "lease_ms": LEASE_MS,
                "engine_latency_ms": TAKEOVER_LATENCY_MS,
                "trials": TRIALS,
                "function": "summarize, LOCALFN_CACHE_TTL_S=0, binary CloudEvent",
            },
        },
        raw={
            "added": {**added, "state_errors": added_errors},
            "engine_calls": {
                "calls": calls,
                "distinct_inputs": distinct,
                "non_200": sum(s != 200 for s in statuses),
                "state_errors": burst_errors,
            },
            "takeover_s": [round(t, 3) for t in takeovers],
        },
        checks=[
            Check.at_most("added p50 per request, store on vs off", added["added_p50_ms"], TARGET_ADDED_P50_MS, "ms"),
            Check.info("added p99 per request, store on vs off", added["added_p99_ms"], "ms"),
            Check.at_most(f"engine calls / distinct inputs over {PROCESSES} processes", calls / distinct, 1),
            Check.at_most("requests not answered 200", sum(s != 200 for s in statuses), 0, "requests"),
            Check.at_most("worst redelivery takeover after a worker died", max(takeovers), LEASE_MS / 1000 + TARGET_TAKEOVER_SLACK_S, "s"),
        ],
    )
