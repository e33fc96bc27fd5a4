"""bench.scale: the real EnginePool and PodPool over simulated pods, on outcomes computable by hand."""

from __future__ import annotations

import pytest

from bench.scale.autoscaler import Scaler, Scraper
from bench.scale.clock import run
from bench.scale.cluster import StatefulSet
from bench.scale.parameters import KEDA, Speed, Tokens
from bench.scale.simulate import Policy, Pool, simulate
from localfn.metrics import Metrics

# One slot, no prefill cost worth counting, 10 tokens/s: a 20-token reply takes 2 s.
TOKENS = Tokens(prompt=0, completion=20)


def speed(*, parallel: int = 1, max_queue: int = 10, start_s: float = 60.0) -> Speed:
    return Speed("m", parallel=parallel, max_queue=max_queue, prefill_tps=1.0, single_tps=10.0, batch_tps=10.0 * parallel, start_s=start_s)


def test_one_pod_serves_requests_one_after_another() -> None:
    outcome = run(simulate(Policy("one", Pool(speed(), 1)), [0.0, 0.0, 0.0, 5.0], TOKENS, end_s=0.0))

    # Three at once queue behind the one slot: done at 2, 4, 6 s; the one at 5 s waits until 6, done at 8.
    assert sorted(outcome.latencies) == [2.0, 3.0, 4.0, 6.0]
    assert outcome.by_backend == {"gpu": 4}
    assert outcome.refused == 0


def test_a_full_queue_is_answered_503() -> None:
    outcome = run(simulate(Policy("one", Pool(speed(max_queue=1), 1)), [0.0, 0.0, 0.0], TOKENS, end_s=0.0))

    # One in the slot, one queued, the third finds maxQueue waiting: Ollama's 503, the function's too.
    assert sorted(outcome.latencies) == [2.0, 4.0]
    assert outcome.refused == 1
    assert outcome.failovers == {"gpu/engine-busy": 1}


def test_no_gpu_pod_sends_everything_to_the_cpu_pool_as_no_capacity() -> None:
    policy = Policy("cpu only", Pool(speed(), 0), Pool(speed(parallel=2), 1))

    outcome = run(simulate(policy, [0.0, 1.0, 2.0], TOKENS, end_s=0.0))

    assert outcome.by_backend == {"cpu": 3}
    assert outcome.refused == 0
    # Every call passed over the empty GPU pool through NoCapacity, never a cool-down after a failure.
    assert outcome.failovers == {"gpu/no-capacity": 3}


def test_keda_wakes_the_gpu_pool_and_traffic_moves_to_it() -> None:
    policy = Policy("keda", Pool(speed(start_s=60.0), 0, 2), Pool(speed(parallel=2), 1))
    # A request every 2 s for 10 minutes: demand wakes the GPU pool at a poll, ready 60 s later.
    arrivals = [2.0 * i for i in range(300)]

    outcome = run(simulate(policy, arrivals, TOKENS, end_s=0.0))

    assert outcome.refused == 0
    assert outcome.by_backend["cpu"] > 0
    assert outcome.by_backend["gpu"] > outcome.by_backend["cpu"]
    # The GPU pool was at 0 until the first poll (15 s) and ready a minute after it.
    first_ready = next(t for t, gpu, _ in outcome.timeline if gpu)
    assert 75.0 <= first_ready <= 75.0 + 60.0


@pytest.mark.parametrize(
    ("values", "expected"),
    [
        ([0.0], [0]),  # no demand: stays at zero
        ([1.0, 9.0], [1, 3]),  # activation to 1, then ceil(9 / 4) = 3
        ([9.0, 30.0], [1, 5]),  # up at most max(double, +4) a sync
        ([8.0, 8.0, 0.0, 0.0], [1, 2, 2, 2]),  # down waits for the stabilisation window
    ],
)
def test_the_autoscaler_follows_keda_and_the_hpa(values: list[float], expected: list[int]) -> None:
    async def main() -> list[int]:
        pods = StatefulSet("gpu", speed(), TOKENS, subnet=1)
        scaler = Scaler(pods, Scraper(Metrics(), KEDA.scrape_s), "localfn_engine_demand", 0, 8, 4.0, KEDA)
        counts = []
        for step, value in enumerate(values):
            now = step * KEDA.polling_s
            pods.scale(scaler.decide(value, now), now=now)
            counts.append(pods.replicas)
        return counts

    assert run(main()) == expected
