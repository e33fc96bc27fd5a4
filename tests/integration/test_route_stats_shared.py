"""route-query's statistics through a real redis-server: the installation's totals read as the pod's own series would.

The two encodings of the same counts (Prometheus series in the pod, a hash of totals in Redis)
must give the same answer; tests/load/test_shared_state.py checks the sum over two real processes.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator

import pytest

from localfn.functions.route_query.cost import Spend, Usage
from localfn.functions.route_query.paths import Answer
from localfn.functions.route_query.stats import Outcome, RouteMetrics
from localfn.metrics import Metrics
from localfn.settings import Settings
from localfn.state import StateClient
from tests.support.redis_server import RedisServer, redis_server

OUTCOMES = [
    Outcome("simple", Answer("a", "m", "gpu", "local", Spend(Usage(12, 5), Usage(), Usage(12, 5))), 0.25, 0.0001, 0.002),
    Outcome("simple", Answer("a", "m", "gpu", "local", Spend(Usage(), Usage(), Usage(12, 5)), cached=True), 0.01, 0.0, 0.002),
    Outcome("moderate", Answer("b", "c", "cloud", "hybrid", Spend(Usage(40, 9), Usage(30, 20), Usage(90, 20))), 2.5, 0.004, 0.007),
    Outcome(
        "complex",
        Answer("c", "m", "gpu", "local", Spend(Usage(50, 30), Usage(), Usage(50, 30)), degraded_reason="no-cloud"),
        1.5,
        0.0002,
        0.003,
    ),
]


@pytest.fixture
def redis() -> Iterator[RedisServer]:
    with redis_server() as server:
        yield server


async def test_the_installation_totals_of_one_pod_read_as_its_own_series(redis: RedisServer) -> None:
    settings = Settings(state_url=redis.url, state_prefix=f"test-{uuid.uuid4().hex[:8]}", state_timeout_ms=2000)
    metrics = Metrics()
    client = StateClient(settings, metrics)
    shared, alone = RouteMetrics(metrics, client), RouteMetrics(Metrics())
    try:
        for outcome in OUTCOMES:
            await shared.record(outcome)
            await alone.record(outcome)
        installation = (await shared.snapshot()).model_dump()
    finally:
        await client.aclose()
    pod = (await alone.snapshot()).model_dump()
    assert (installation.pop("scope"), installation.pop("scope_reason")) == ("installation", None)
    assert (pod.pop("scope"), pod.pop("scope_reason")) == ("pod", "LOCALFN_STATE_URL is not set: this process's counts since it started")
    assert installation == {**pod, "cache_hits": 1}  # the pod counts cache hits where paths.py serves them, not here
    assert (installation["queries"], installation["degraded_reasons"]) == (4, {"no-cloud": 1})
