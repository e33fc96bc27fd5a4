"""Balance: how an engine entry over a pool of pods (``balance`` least-load or prefix) spreads calls.

Two SlotPeers, each its own process, share one port on 127.0.0.2 and 127.0.0.3: two pods
behind one headless Service. The runner drives the product's engine pool (``Runtime.pool``,
the same ``PodPool`` and ``EnginePool`` a function uses) with 16 calls in flight; only DNS is
a stand-in (``tests.support.fake_resolver``), since no name here resolves to two loopback
addresses. Three runs:

* even: two equal pods (S = 4, L = 100 ms each; bound 80 calls/s), least-load;
* uneven, least-load: one pod four times slower (L = 400 ms; bound 50 calls/s);
* uneven, prefix: the same pods, calls carrying 16 system prompts in turn.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from typing import Any
from urllib.parse import urlparse

from bench.perf.harness import peer_stats, percentile, slot_peer
from bench.perf.options import Options
from bench.perf.record import Check, Result
from localfn.engine.base import ChatRequest, Message
from localfn.runtime import Runtime
from localfn.settings import BackendSettings, Settings
from tests.support.fake_resolver import FakeResolver

NAME = "balance"
PODS = ("127.0.0.2", "127.0.0.3")
SLOTS = 4
FAST_MS, SLOW_MS = 100.0, 400.0
CLIENTS = 16
REQUESTS = 400
PROMPTS = 16
EVEN_SHARE = (0.4, 0.6)
FAST_SHARE_FLOOR = 0.7
THROUGHPUT_FLOOR = 0.9


@contextmanager
def pods(latencies_ms: tuple[float, float]) -> Iterator[list[str]]:
    """One SlotPeer per pod address, all on the first one's port; yields their URLs."""
    with ExitStack() as stack:
        first = stack.enter_context(slot_peer(slots=SLOTS, latency_ms=latencies_ms[0], host=PODS[0]))
        port = urlparse(first).port or 0
        rest = [
            stack.enter_context(slot_peer(slots=SLOTS, latency_ms=ms, host=host, port=port))
            for host, ms in zip(PODS[1:], latencies_ms[1:], strict=True)
        ]
        yield [first, *rest]


def request(n: int, prompts: int) -> ChatRequest:
    system = f"You write the badge for course {n % prompts}." if prompts else "You summarise."
    return ChatRequest(messages=(Message("system", system), Message("user", f"input {n}")))


async def drive(urls: list[str], balance: str, requests: int, prompts: int) -> dict[str, Any]:
    """``requests`` calls through the engine pool, ``CLIENTS`` at a time: latencies, wall time, and which pod got each prompt."""
    port = urlparse(urls[0]).port
    engine = BackendSettings(name="gpu", kind="ollama", url=f"http://gpu-ready.bench:{port}", model="bench:latest", balance=balance)
    runtime = Runtime(Settings(engines=[engine]), resolver=FakeResolver(*PODS))
    before = [peer_stats(url)["calls"] for url in urls]
    limit = asyncio.Semaphore(CLIENTS)
    latencies: list[float] = []

    async def one(n: int) -> None:
        async with limit:
            sent = time.perf_counter()
            await runtime.pool.chat(request(n, prompts))
            latencies.append(time.perf_counter() - sent)

    try:
        started = time.perf_counter()
        await asyncio.gather(*(one(n) for n in range(requests)))
        elapsed = time.perf_counter() - started
    finally:
        await runtime.aclose()
    calls = [peer_stats(url)["calls"] - b for url, b in zip(urls, before, strict=True)]
    return {"calls": calls, "elapsed_s": elapsed, "latencies": latencies}


def summary(run: dict[str, Any], bound_rps: float) -> dict[str, Any]:
    latencies = run["latencies"]
    total = sum(run["calls"])
    return {
        "calls_per_pod": run["calls"],
        "share_per_pod": [round(c / total, 3) for c in run["calls"]],
        "throughput_rps": round(len(latencies) / run["elapsed_s"], 2),
        "bound_rps": bound_rps,
        "p50_s": round(percentile(latencies, 50), 3),
        "p95_s": round(percentile(latencies, 95), 3),
    }


def run(options: Options) -> Result:
    requests = options.count(REQUESTS, least=4 * CLIENTS)
    even_bound = 2 * SLOTS / (FAST_MS / 1000)
    uneven_bound = SLOTS / (FAST_MS / 1000) + SLOTS / (SLOW_MS / 1000)
    with pods((FAST_MS, FAST_MS)) as urls:
        even = summary(asyncio.run(drive(urls, "least-load", requests, 0)), even_bound)
    with pods((FAST_MS, SLOW_MS)) as urls:
        least = summary(asyncio.run(drive(urls, "least-load", requests, 0)), uneven_bound)
        prefix = summary(asyncio.run(drive(urls, "prefix", requests, PROMPTS)), uneven_bound)
    low, high = EVEN_SHARE
    checks = [
        Check.at_least("even: smaller share", min(even["share_per_pod"]), low, unit="share"),
        Check.at_most("even: larger share", max(even["share_per_pod"]), high, unit="share"),
        Check.at_least("even: throughput / bound", even["throughput_rps"] / even_bound, THROUGHPUT_FLOOR),
        Check.at_least("uneven least-load: fast pod's share", least["share_per_pod"][0], FAST_SHARE_FLOOR, unit="share"),
        Check.at_least("uneven least-load: throughput / bound", least["throughput_rps"] / uneven_bound, THROUGHPUT_FLOOR),
        Check.info("uneven prefix: fast pod's share", prefix["share_per_pod"][0], "share"),
        Check.info("uneven prefix: throughput / bound", prefix["throughput_rps"] / uneven_bound, "x"),
    ]
    return Result(
        benchmark=NAME,
        parameters={
            "pods": list(PODS),
            "slots": SLOTS,
            "fast_ms": FAST_MS,
            "slow_ms": SLOW_MS,
            "clients": CLIENTS,
            "requests": requests,
            "prefix_prompts": PROMPTS,
        },
        raw={"even_least_load": even, "uneven_least_load": least, "uneven_prefix": prefix},
        checks=checks,
        notes=["bound = sum over pods of S / L: the most calls per second the pods can answer"],
    )
