"""localfn.engine.pool.EnginePool: ordered failover, cool-down, error kinds, vision routing, health cache."""

from __future__ import annotations

import pytest

from localfn.engine.base import ChatRequest, Engine, Message
from localfn.engine.pool import EnginePool
from localfn.errors import EngineBusy, EngineRejected, EngineTimeout, EngineUnavailable, ModelNotFound
from localfn.metrics import Metrics
from tests.support.scripted_engine import ScriptedEngine

TEXT = ChatRequest(messages=(Message("user", "hello"),))
IMAGE = ChatRequest(messages=(Message("user", "what is this?", images=(b"\xff\xd8jpeg",)),))
COOLDOWN_S = 30.0


def unavailable(name: str) -> EngineUnavailable:
    # Real backends start every detail with their name (see engine/http.py).
    return EngineUnavailable(f"{name}: cannot connect", backend=name)


def make_pool(*engines: ScriptedEngine, clock, metrics: Metrics | None = None, **kwargs) -> EnginePool:
    return EnginePool(engines, metrics=metrics or Metrics(), cooldown_s=COOLDOWN_S, clock=clock, **kwargs)


def failovers(metrics: Metrics, backend: str, reason: str) -> float | None:
    return metrics.registry.get_sample_value("localfn_engine_failovers_total", {"backend": backend, "reason": reason})


def test_the_scripted_engine_satisfies_the_engine_protocol() -> None:
    assert isinstance(ScriptedEngine("x"), Engine)


def test_a_pool_needs_an_engine(clock) -> None:
    with pytest.raises(ValueError):
        EnginePool([], metrics=Metrics(), clock=clock)


async def test_an_unavailable_engine_fails_over_to_the_next(clock) -> None:
    metrics = Metrics()
    gpu, cpu = ScriptedEngine("gpu", [unavailable("gpu")]), ScriptedEngine("cpu", ["hi"])
    result = await make_pool(gpu, cpu, clock=clock, metrics=metrics).chat(TEXT)

    assert (result.backend, result.content) == ("cpu", "hi")
    assert cpu.requests == [TEXT]
    assert failovers(metrics, "gpu", "engine-unavailable") == 1
    assert failovers(metrics, "cpu", "engine-unavailable") is None


async def test_a_failed_engine_is_not_tried_first_during_its_cooldown(clock) -> None:
    gpu, cpu = ScriptedEngine("gpu", [unavailable("gpu")]), ScriptedEngine("cpu", ["one", "two"])
    pool = make_pool(gpu, cpu, clock=clock)
    await pool.chat(TEXT)
    clock.advance(COOLDOWN_S - 1)

    assert (await pool.chat(TEXT)).backend == "cpu"
    assert len(gpu.requests) == 1  # skipped the second time


async def test_a_failed_engine_is_tried_first_again_after_its_cooldown(clock) -> None:
    gpu, cpu = ScriptedEngine("gpu", [unavailable("gpu"), "back"]), ScriptedEngine("cpu", ["one"])
    pool = make_pool(gpu, cpu, clock=clock)
    await pool.chat(TEXT)
    clock.advance(COOLDOWN_S)

    assert (await pool.chat(TEXT)).backend == "gpu"
    assert len(cpu.requests) == 1


async def test_when_every_engine_is_cooling_they_are_still_tried_in_order(clock) -> None:
    gpu = ScriptedEngine("gpu", [unavailable("gpu"), "gpu answers"])
    cpu = ScriptedEngine("cpu", [unavailable("cpu")])
    pool = make_pool(gpu, cpu, clock=clock)
    with pytest.raises(EngineUnavailable):
        await pool.chat(TEXT)

    result = await pool.chat(TEXT)  # both cooling: no outage, gpu first
    assert result.backend == "gpu"
    assert len(cpu.requests) == 1


async def test_the_pool_is_cooling_down_only_while_every_engine_is(clock) -> None:
    gpu, cpu = ScriptedEngine("gpu", [unavailable("gpu")]), ScriptedEngine("cpu", ["one"])
    pool = make_pool(gpu, cpu, clock=clock)
    await pool.chat(TEXT)
    assert not pool.cooling_down()  # gpu cools, cpu answered
    pool.cool_down("cpu")  # a failure only the caller saw
    assert pool.cooling_down()
    clock.advance(COOLDOWN_S)
    assert not pool.cooling_down()


async def test_busy_everywhere_is_engine_busy(clock) -> None:
    gpu = ScriptedEngine("gpu", [EngineBusy("gpu: HTTP 503: server busy", backend="gpu")])
    cpu = ScriptedEngine("cpu", [EngineBusy("cpu: HTTP 429: slow down", backend="cpu")])
    with pytest.raises(EngineBusy):
        await make_pool(gpu, cpu, clock=clock).chat(TEXT)


async def test_model_missing_everywhere_is_model_not_found(clock) -> None:
    gpu = ScriptedEngine("gpu", [ModelNotFound("gpu: model 'm' is not on this Ollama", backend="gpu")])
    cpu = ScriptedEngine("cpu", [ModelNotFound("cpu: model 'm' is not on this Ollama", backend="cpu")])
    with pytest.raises(ModelNotFound):
        await make_pool(gpu, cpu, clock=clock).chat(TEXT)


async def test_mixed_failures_are_engine_unavailable_naming_every_backend(clock) -> None:
    gpu = ScriptedEngine("gpu", [ModelNotFound("gpu: model 'm' is not on this Ollama", backend="gpu")])
    cpu = ScriptedEngine("cpu", [unavailable("cpu")])
    with pytest.raises(EngineUnavailable) as caught:
        await make_pool(gpu, cpu, clock=clock).chat(TEXT)

    assert type(caught.value) is EngineUnavailable  # not ModelNotFound: pulling a model would not fix it all
    assert "gpu" in caught.value.detail and "cpu" in caught.value.detail


async def test_busy_and_missing_model_mixed_is_engine_busy(clock) -> None:
    gpu = ScriptedEngine("gpu", [ModelNotFound("gpu: model 'm' is not on this Ollama", backend="gpu")])
    cpu = ScriptedEngine("cpu", [EngineBusy("cpu: HTTP 503: server busy", backend="cpu")])
    with pytest.raises(EngineBusy):
        await make_pool(gpu, cpu, clock=clock).chat(TEXT)


@pytest.mark.parametrize(
    "error",
    [EngineRejected("gpu: HTTP 400: bad request", backend="gpu"), EngineTimeout("gpu: no answer in time", backend="gpu")],
    ids=["rejected", "timeout"],
)
async def test_errors_that_would_repeat_elsewhere_are_raised_at_once(clock, error) -> None:
    metrics = Metrics()
    gpu, cpu = ScriptedEngine("gpu", [error]), ScriptedEngine("cpu", ["never"])
    with pytest.raises(type(error)) as caught:
        await make_pool(gpu, cpu, clock=clock, metrics=metrics).chat(TEXT)

    assert caught.value is error
    assert cpu.requests == []
    assert failovers(metrics, "gpu", error.slug) is None


async def test_image_requests_skip_engines_without_a_vision_model(clock) -> None:
    text_only = ScriptedEngine("text", ["never"])
    vision = ScriptedEngine("vision", ["a cat"], vision_model="llava")
    result = await make_pool(text_only, vision, clock=clock).chat(IMAGE)

    assert result.backend == "vision"
    assert text_only.requests == []


async def test_image_requests_without_any_vision_engine_are_rejected(clock) -> None:
    a, b = ScriptedEngine("a", ["never"]), ScriptedEngine("b", ["never"])
    with pytest.raises(EngineRejected):
        await make_pool(a, b, clock=clock).chat(IMAGE)
    assert a.requests == b.requests == []


@pytest.mark.parametrize(("has_model", "ready"), [((False, False), False), ((False, True), True), ((True, True), True)])
async def test_the_pool_is_ready_when_any_engine_has_its_model(clock, has_model: tuple[bool, bool], ready: bool) -> None:
    gpu, cpu = ScriptedEngine("gpu", model_present=has_model[0]), ScriptedEngine("cpu", model_present=has_model[1])
    assert (await make_pool(gpu, cpu, clock=clock).health()).ready is ready


async def test_health_is_cached_for_health_cache_s_then_checked_again(clock) -> None:
    gpu, cpu = ScriptedEngine("gpu"), ScriptedEngine("cpu")
    pool = make_pool(gpu, cpu, clock=clock, health_cache_s=5.0)

    first = await pool.health()
    clock.advance(4.9)
    assert await pool.health() == first
    assert (gpu.health_checks, cpu.health_checks) == (1, 1)

    clock.advance(0.1)
    assert [h.backend for h in (await pool.health()).engines] == ["gpu", "cpu"]
    assert (gpu.health_checks, cpu.health_checks) == (2, 2)
