"""One policy through one day: the function's real ``EnginePool`` over real ``PodPool`` entries, on simulated pods.

A function's engine list is what the chart configures: the GPU pool (``balance:
least-load``, a headless Service of ready pods), then the CPU pool when the policy has one.
Every request calls ``EnginePool.chat`` as a capability does; its latency is arrival to
reply, and an ``EngineError`` is the function's 503. The pools' settings (pod refresh,
cool-down) are ``Settings``' defaults, and their clocks are the virtual loop's.
"""

from __future__ import annotations

import asyncio
import random
from dataclasses import dataclass, field

from bench.perf.harness import percentile
from bench.scale.autoscaler import Scaler, Scraper
from bench.scale.cluster import StatefulSet
from bench.scale.parameters import CPU, GPU, KEDA, Autoscaling, Speed, Tokens
from localfn.engine.base import ChatRequest, Engine, Message
from localfn.engine.pods import PodPool
from localfn.engine.pool import EnginePool
from localfn.errors import EngineError
from localfn.metrics import Metrics
from localfn.settings import BackendSettings, Settings

__all__ = ["Outcome", "Policy", "Pool", "simulate"]

REQUEST = ChatRequest(messages=(Message("system", "badge writer"), Message("user", "a course")), max_tokens=1200)


@dataclass(frozen=True)
class Pool:
    """One StatefulSet: fixed at ``low`` pods when ``high`` is None, else KEDA between them."""

    speed: Speed
    low: int
    high: int | None = None
    metric: str = "localfn_engine_demand"


@dataclass(frozen=True)
class Policy:
    name: str
    gpu: Pool
    cpu: Pool | None = None


@dataclass
class Outcome:
    policy: str
    latencies: list[float] = field(default_factory=list)
    refused: int = 0
    by_backend: dict[str, int] = field(default_factory=dict)
    pod_hours: dict[str, float] = field(default_factory=dict)
    failovers: dict[str, int] = field(default_factory=dict)  # "backend/reason" -> times, from the real counter
    timeline: list[tuple[float, int, int]] = field(default_factory=list)  # (s, ready GPU pods, ready CPU pods)

    def summary(self) -> dict[str, float | int | dict[str, int]]:
        """Counts, latencies (of at least two answered requests) and pod-hours, rounded for the record."""
        return {
            "answered": len(self.latencies),
            "refused_503": self.refused,
            "p50_s": round(percentile(self.latencies, 50), 1),
            "p95_s": round(percentile(self.latencies, 95), 1),
            "max_s": round(max(self.latencies), 1),
            "by_backend": dict(sorted(self.by_backend.items())),
            "gpu_hours": round(self.pod_hours.get("gpu", 0.0), 2),
            "cpu_pod_hours": round(self.pod_hours.get("cpu", 0.0), 2),
            "failovers": dict(sorted(self.failovers.items())),
        }


async def simulate(
    policy: Policy, arrivals: list[float], tokens: Tokens, *, config: Autoscaling = KEDA, end_s: float = 86400.0, seed: int = 1
) -> Outcome:
    """Run ``arrivals`` through ``policy`` until every request has its answer and ``end_s`` has come."""
    loop = asyncio.get_running_loop()
    metrics, settings = Metrics(), Settings()
    scraper = Scraper(metrics, config.scrape_s)
    # Pollers run until the loop ends (clock.run cancels them); the references keep them alive.
    background = [asyncio.create_task(scraper.run())]
    entries: list[Engine] = []
    sets: list[StatefulSet] = []
    for subnet, (name, pool) in enumerate((("gpu", policy.gpu), ("cpu", policy.cpu)), start=1):
        if pool is None:
            continue
        pods = StatefulSet(name, pool.speed, tokens, subnet=subnet)
        sets.append(pods)
        if pool.high is None:
            pods.scale(pool.low, now=loop.time(), ready_at_once=True)
        else:
            scaler = Scaler(pods, scraper, pool.metric, pool.low, pool.high, pool.speed.parallel, config)
            background.append(asyncio.create_task(scaler.run()))
        backend = BackendSettings(
            name=name, kind="ollama", url=f"http://ollama-{name}-ready.sim:11434", model=pool.speed.model, balance="least-load"
        )
        entries.append(
            PodPool(
                backend,
                pods.engine,
                resolver=pods.resolver,
                refresh_s=settings.pod_refresh_s,
                cooldown_s=settings.engine_cooldown_s,
                clock=loop.time,
                rng=random.Random(seed),
            )
        )
    engines = EnginePool(entries, metrics=metrics, cooldown_s=settings.engine_cooldown_s, clock=loop.time)
    outcome = Outcome(policy.name)
    background.append(asyncio.create_task(_watch(sets, outcome)))

    async def request(at: float) -> None:
        await asyncio.sleep(at - loop.time())
        try:
            result = await engines.chat(REQUEST)
        except EngineError:
            outcome.refused += 1
            return
        outcome.latencies.append(loop.time() - at)
        outcome.by_backend[result.backend] = outcome.by_backend.get(result.backend, 0) + 1

    await asyncio.gather(*(request(at) for at in arrivals))
    await asyncio.sleep(max(end_s - loop.time(), 0.0))
    outcome.pod_hours = {pods.name: pods.pod_seconds(loop.time()) / 3600 for pods in sets}
    outcome.failovers = _failovers(metrics)
    return outcome


def _failovers(metrics: Metrics) -> dict[str, int]:
    """``localfn_engine_failovers`` by backend and reason, as the function exported it."""
    return {
        f"{sample.labels['backend']}/{sample.labels['reason']}": int(sample.value)
        for metric in metrics.registry.collect()
        if metric.name == "localfn_engine_failovers"
        for sample in metric.samples
        if sample.name.endswith("_total")
    }


async def _watch(sets: list[StatefulSet], outcome: Outcome, period_s: float = 60.0) -> None:
    """Ready pods of each pool once a minute, for the plot."""
    loop = asyncio.get_running_loop()
    ready = {pods.name: pods for pods in sets}
    while True:
        gpu, cpu = ready.get("gpu"), ready.get("cpu")
        outcome.timeline.append((loop.time(), gpu.ready if gpu else 0, cpu.ready if cpu else 0))
        await asyncio.sleep(period_s)


def policies(peak: int = 4) -> list[Policy]:
    """The four the issue compares; ``peak`` GPU pods serve the burst (the chart's worked example: GPU 0-4, CPU 1-2)."""
    return [
        Policy("fixed 1 GPU", Pool(GPU, 1)),
        Policy(f"fixed {peak} GPU", Pool(GPU, peak)),
        Policy(f"KEDA GPU 0-{peak}, CPU 1-2", Pool(GPU, 0, peak), Pool(CPU, 1, 2, metric="localfn_engine_in_flight")),
        Policy(f"KEDA GPU 1-{peak}", Pool(GPU, 1, peak)),
    ]
