"""localfn.engine.pods.PodPool: pods found by a resolver, picked by load, cooled one by one; none is no capacity."""

from __future__ import annotations

import asyncio
import random

import pytest

from localfn.engine.base import ChatRequest, Engine, Message
from localfn.engine.pods import DnsResolver, PodPool
from localfn.engine.pool import EnginePool
from localfn.errors import EngineTimeout, EngineUnavailable, NoCapacity
from localfn.metrics import Metrics
from localfn.settings import BackendSettings
from tests.support.fake_resolver import FakeResolver
from tests.support.scripted_engine import ScriptedEngine

REFRESH_S = 5.0
COOLDOWN_S = 30.0
TEXT = ChatRequest(messages=(Message("user", "hello"),))


def unavailable(address: str) -> EngineUnavailable:
    return EngineUnavailable(f"gpu at http://{address}:11434: cannot connect", backend="gpu")


class Pods:
    """A PodPool over ScriptedEngines, one per address, with the configs it built them from."""

    def __init__(
        self, resolver: FakeResolver, clock, scripts: dict[str, list], balance: str = "least-load", url: str = "http://gpu-headless:11434"
    ) -> None:
        self.engines = {address: ScriptedEngine(address, script) for address, script in scripts.items()}
        self.configs: list[BackendSettings] = []
        config = BackendSettings(name="gpu", kind="ollama", url=url, model="llama3.1:8b", balance=balance)
        self.pool = PodPool(
            config, self._make, resolver=resolver, refresh_s=REFRESH_S, cooldown_s=COOLDOWN_S, clock=clock, rng=random.Random(7)
        )

    def _make(self, config: BackendSettings) -> ScriptedEngine:
        self.configs.append(config)
        return self.engines[(config.url.host or "").strip("[]")]

    def served(self, address: str) -> int:
        return len(self.engines[address].requests)


def test_a_pod_pool_is_an_engine(clock) -> None:
    assert isinstance(Pods(FakeResolver(), clock, {}).pool, Engine)


async def test_each_pod_is_called_at_its_address_with_the_port_and_path_of_the_url(clock) -> None:
    pods = Pods(FakeResolver("10.0.0.7", "fd00::7"), clock, {"10.0.0.7": ["a"], "fd00::7": ["b"]}, url="http://gpu-headless:8000/v1")
    await pods.pool.health()
    assert sorted(str(c.url) for c in pods.configs) == ["http://10.0.0.7:8000/v1", "http://[fd00::7]:8000/v1"]
    assert {(c.name, c.model) for c in pods.configs} == {("gpu", "llama3.1:8b")}


async def test_no_pod_is_no_capacity_and_the_pool_goes_on_without_cooling_it(clock) -> None:
    resolver = FakeResolver()
    pods = Pods(resolver, clock, {"10.0.0.1": ["gpu answers"]})
    cpu = ScriptedEngine("cpu", ["cpu one", "cpu two"])
    metrics = Metrics()
    pool = EnginePool([pods.pool, cpu], metrics=metrics, cooldown_s=COOLDOWN_S, clock=clock)

    assert (await pool.chat(TEXT)).backend == "cpu"
    assert (await pool.chat(TEXT)).backend == "cpu"
    assert metrics.registry.get_sample_value("localfn_engine_failovers_total", {"backend": "gpu", "reason": "no-capacity"}) == 2
    # A pod appears: the first call after one refresh reaches it, though far less than a cool-down has passed.
    resolver.addresses_now = ["10.0.0.1"]
    clock.advance(REFRESH_S)
    assert (await pool.chat(TEXT)).content == "gpu answers"


async def test_pods_are_looked_up_once_per_refresh(clock) -> None:
    resolver = FakeResolver("10.0.0.1")
    pods = Pods(resolver, clock, {"10.0.0.1": ["1", "2", "3"]})
    await asyncio.gather(pods.pool.chat(TEXT), pods.pool.chat(TEXT))
    clock.advance(REFRESH_S - 0.1)
    await pods.pool.chat(TEXT)
    assert len(resolver.lookups) == 1
    assert resolver.lookups[0] == ("gpu-headless", 11434)


async def test_with_no_pod_the_pool_says_so(clock) -> None:
    pool = Pods(FakeResolver(), clock, {}).pool
    with pytest.raises(NoCapacity, match="no ready pod behind gpu-headless"):
        await pool.chat(TEXT)
    with pytest.raises(NoCapacity):
        await pool.models()
    assert await pool.count_tokens("x") is None
    health = await pool.health()
    assert (health.reachable, health.backend) == (False, "gpu")


async def test_a_failing_pod_is_skipped_and_the_call_goes_to_another(clock) -> None:
    pods = Pods(FakeResolver("10.0.0.1", "10.0.0.2"), clock, {"10.0.0.1": [], "10.0.0.2": []})
    bad = next(iter(pods.engines.values()))
    good = next(e for e in pods.engines.values() if e is not bad)
    bad.script.append(unavailable(bad.name))
    good.script.extend(["one", "two", "three"])
    # Whichever pod the first call picks, it ends on the good one; the bad one is then skipped.
    answers = [(await pods.pool.chat(TEXT)).content for _ in range(3)]
    assert answers == ["one", "two", "three"]
    assert len(bad.requests) == 1  # picked once (with this seed), then cooling


async def test_a_cooled_pod_is_picked_again_after_the_cooldown(clock) -> None:
    pods = Pods(FakeResolver("10.0.0.1", "10.0.0.2"), clock, {"10.0.0.1": [unavailable("10.0.0.1"), "back"], "10.0.0.2": ["ok"]})
    pods.engines["10.0.0.2"].script.extend(["ok"] * 10)
    for _ in range(4):  # until the first pod has failed once (the picks are random)
        await pods.pool.chat(TEXT)
        if pods.served("10.0.0.1"):
            break
    assert pods.served("10.0.0.1") == 1
    for _ in range(4):
        await pods.pool.chat(TEXT)
    assert pods.served("10.0.0.1") == 1  # cooling
    clock.advance(COOLDOWN_S)
    pods.engines["10.0.0.2"].script.clear()  # the second pod would fail the test if picked
    pods.engines["10.0.0.2"].script.append(unavailable("10.0.0.2"))
    assert (await pods.pool.chat(TEXT)).content == "back"


async def test_when_every_pod_fails_the_pool_cools_the_whole_engine(clock) -> None:
    pods = Pods(FakeResolver("10.0.0.1", "10.0.0.2"), clock, {"10.0.0.1": [unavailable("10.0.0.1")], "10.0.0.2": [unavailable("10.0.0.2")]})
    cpu = ScriptedEngine("cpu", ["cpu one", "cpu two"])
    pool = EnginePool([pods.pool, cpu], metrics=Metrics(), cooldown_s=COOLDOWN_S, clock=clock)
    assert (await pool.chat(TEXT)).backend == "cpu"
    assert (await pool.chat(TEXT)).backend == "cpu"  # gpu cooling: not called again (its scripts are empty)


async def test_every_pod_failing_is_one_error_naming_each(clock) -> None:
    pods = Pods(FakeResolver("10.0.0.1", "10.0.0.2"), clock, {"10.0.0.1": [unavailable("10.0.0.1")], "10.0.0.2": [unavailable("10.0.0.2")]})
    with pytest.raises(EngineUnavailable, match="no pod could answer") as caught:
        await pods.pool.chat(TEXT)
    assert "10.0.0.1" in caught.value.detail and "10.0.0.2" in caught.value.detail


async def test_a_timeout_is_raised_at_once_not_repeated_on_another_pod(clock) -> None:
    timeout = EngineTimeout("gpu: no answer in time", backend="gpu")
    pods = Pods(FakeResolver("10.0.0.1", "10.0.0.2"), clock, {"10.0.0.1": [timeout], "10.0.0.2": [timeout]})
    with pytest.raises(EngineTimeout):
        await pods.pool.chat(TEXT)
    assert pods.served("10.0.0.1") + pods.served("10.0.0.2") == 1


async def test_a_failed_look_up_keeps_the_pods_known_before(clock) -> None:
    resolver = FakeResolver("10.0.0.1")
    pods = Pods(resolver, clock, {"10.0.0.1": ["one", "two"]})
    await pods.pool.chat(TEXT)
    resolver.failure = OSError("DNS server unreachable")
    clock.advance(REFRESH_S)
    assert (await pods.pool.chat(TEXT)).content == "two"
    assert len(resolver.lookups) == 2


async def test_a_look_up_that_never_answers_keeps_the_pods_known_before(clock) -> None:
    class Silent(FakeResolver):
        """DNS that stops answering after its first look-up."""

        async def addresses(self, host: str, port: int) -> list[str]:
            if self.lookups:
                await asyncio.Event().wait()
            return await super().addresses(host, port)

    engine = ScriptedEngine("10.0.0.1", ["one", "two"])
    config = BackendSettings(name="gpu", kind="ollama", url="http://gpu-headless:11434", model="m", balance="least-load")
    pool = PodPool(config, lambda _: engine, resolver=Silent("10.0.0.1"), refresh_s=0.05, cooldown_s=COOLDOWN_S, clock=clock)
    await pool.chat(TEXT)
    clock.advance(1)
    assert (await pool.chat(TEXT)).content == "two"  # after waiting at most refresh_s for the look-up


async def test_a_vanished_pod_gets_no_more_calls(clock) -> None:
    resolver = FakeResolver("10.0.0.1", "10.0.0.2")
    pods = Pods(resolver, clock, {"10.0.0.1": ["x"] * 20, "10.0.0.2": ["y"] * 20})
    await pods.pool.chat(TEXT)
    resolver.addresses_now = ["10.0.0.2"]
    clock.advance(REFRESH_S)
    before = pods.served("10.0.0.1")
    for _ in range(5):
        assert (await pods.pool.chat(TEXT)).content == "y"
    assert pods.served("10.0.0.1") == before
    assert pods.pool.addresses == ["10.0.0.2"]


async def test_calls_in_flight_are_counted_and_given_back_on_cancellation(clock) -> None:
    started, release = asyncio.Event(), asyncio.Event()

    class Waiting(ScriptedEngine):
        async def chat(self, request: ChatRequest):
            started.set()
            await release.wait()
            return await super().chat(request)

    pods = Pods(FakeResolver("10.0.0.1"), clock, {})
    pods.engines["10.0.0.1"] = Waiting("10.0.0.1", ["late"])
    call = asyncio.create_task(pods.pool.chat(TEXT))
    await started.wait()
    (pod,) = pods.pool._snapshot.pods
    assert pod.in_flight == 1
    call.cancel()
    with pytest.raises(asyncio.CancelledError):
        await call
    assert pod.in_flight == 0


async def test_prefix_mode_sends_one_system_prompt_to_one_pod(clock) -> None:
    addresses = [f"10.0.0.{i}" for i in range(1, 5)]
    pods = Pods(FakeResolver(*addresses), clock, {a: ["ok"] * 40 for a in addresses}, balance="prefix")
    prompts = [f"You write badges for course {i}." for i in range(8)]
    owners: dict[str, set[str]] = {p: set() for p in prompts}
    for _ in range(3):
        for prompt in prompts:
            request = ChatRequest(messages=(Message("system", prompt), Message("user", f"input {random.random()}")))
            await pods.pool.chat(request)
            owners[prompt].add(next(a for a, e in pods.engines.items() if e.requests and e.requests[-1] is request))
    assert all(len(pod) == 1 for pod in owners.values()), owners
    assert len(set().union(*owners.values())) > 1  # different prompts do spread


async def test_health_is_a_ready_pods_and_says_how_many_are_ready(clock) -> None:
    pods = Pods(FakeResolver("10.0.0.1", "10.0.0.2"), clock, {"10.0.0.1": [], "10.0.0.2": []})
    health = await pods.pool.health()
    assert health.ready and health.detail == "2 of 2 pods ready"


async def test_the_dns_resolver_lists_addresses_and_nothing_for_a_name_without_records() -> None:
    # The contract FakeResolver copies: sorted distinct addresses, [] for a name that does not exist (RFC 6761).
    resolver = DnsResolver()
    assert await resolver.addresses("localhost", 80) in (["127.0.0.1"], ["127.0.0.1", "::1"], ["::1"])
    assert await resolver.addresses("no-such-pods.invalid", 80) == []
