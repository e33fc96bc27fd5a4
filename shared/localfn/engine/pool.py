"""An ordered set of engines: the first healthy one serves, a failing one is skipped for a while.

Failover happens on errors that another engine may not have (unreachable, busy, model
missing). Errors that would repeat anywhere (the engine rejected the request, a timeout
after it had started working) are raised at once: retrying them elsewhere only doubles
the wait. When every engine is cooling down they are all tried anyway, in order, so a
stale cool-down never turns into an outage. An engine with no capacity now (a pod pool
with no ready pod, ``NoCapacity``) is passed over without a cool-down. Requests with images go only to engines with a
vision model, and not to those ``check_vision`` found cannot see.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, runtime_checkable

from localfn.engine.base import ChatRequest, ChatResult, Engine, EngineHealth
from localfn.errors import EngineBusy, EngineError, EngineRejected, EngineUnavailable, ModelNotFound, NoCapacity
from localfn.metrics import Metrics

__all__ = ["VISION_HINT", "EnginePool", "PoolHealth", "combined"]

VISION_HINT = "ollama pull llava:7b (or llama3.2-vision)"


@runtime_checkable
class _KnowsCapabilities(Protocol):
    """An engine that can say what a model can do (Ollama's /api/show); others are trusted on configuration."""

    async def capabilities(self, model: str) -> tuple[str, ...]: ...


@dataclass(frozen=True)
class PoolHealth:
    """Each engine's health, in pool order, and the one answer to "is the pool ready"."""

    engines: tuple[EngineHealth, ...]

    @property
    def ready(self) -> bool:
        """Some engine answers and has its model: what ``/health/ready``, serve's and ``localfn doctor`` mean by ready."""
        return any(check.ready for check in self.engines)


class EnginePool:
    def __init__(
        self,
        engines: Sequence[Engine],
        *,
        metrics: Metrics,
        cooldown_s: float = 30.0,
        health_cache_s: float = 5.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        if not engines:
            raise ValueError("an engine pool needs at least one engine")
        self.engines = list(engines)
        self._metrics = metrics
        self._cooldown_s = cooldown_s
        self._health_cache_s = health_cache_s
        self._clock = clock
        self._cooling_until: dict[str, float] = {}
        self._health: tuple[float, PoolHealth] | None = None
        self._health_lock = asyncio.Lock()
        # (backend, vision model) -> why it cannot see, or None when it can; a model keeps its abilities.
        self._vision: dict[tuple[str, str], str | None] = {}

    async def chat(self, request: ChatRequest) -> ChatResult:
        """The first healthy engine's reply; demand and in-flight gauges count the call until it ends, however."""
        candidates = self._candidates(request)
        # Demand goes to the engine first in the configured order, cooling down or not.
        wanted = min(candidates, key=self.engines.index)
        m = self._metrics
        with m.series(m.engine_demand, wanted.name).track_inprogress():
            return await self._chat(request, candidates)

    async def _chat(self, request: ChatRequest, candidates: list[Engine]) -> ChatResult:
        failures: list[EngineUnavailable] = []
        m = self._metrics
        for engine in candidates:
            started = self._clock()
            try:
                with m.series(m.engine_in_flight, engine.name).track_inprogress():
                    result = await engine.chat(request)
            except NoCapacity as exc:
                # A pod pool with no ready pod now: no cool-down, so its first pod gets traffic at once.
                m.series(m.failovers, engine.name, exc.slug).inc()
                failures.append(exc)
                continue
            except EngineUnavailable as exc:
                self._record_failure(engine, exc, started)
                failures.append(exc)
                continue
            except EngineError as exc:
                self._record_failure(engine, exc, started, failover=False)
                raise
            self._record_success(engine, result)
            return result
        raise combined(failures)

    def models(self, *, vision: bool = False) -> tuple[tuple[str | None, ...], ...]:
        """What an answer depends on besides its input, for cache keys: each engine's name and model
        (and vision model, with ``vision``), in pool order."""
        return tuple((e.name, e.model, e.vision_model) if vision else (e.name, e.model) for e in self.engines)

    async def health(self) -> PoolHealth:
        """Each engine's health, checked concurrently and reused for ``health_cache_s``."""
        async with self._health_lock:
            now = self._clock()
            if self._health is None or now - self._health[0] >= self._health_cache_s:
                checks = await asyncio.gather(*(engine.health() for engine in self.engines))
                self._health = (now, PoolHealth(tuple(checks)))
            return self._health[1]

    async def check_vision(self) -> None:
        """Raise ``ModelNotFound`` (saying what to pull) unless some engine's vision model can see images.

        Engines whose vision model cannot see are remembered, and image requests skip them.
        """
        engines = [e for e in self.engines if e.vision_model is not None]
        if not engines:
            raise ModelNotFound(f"no engine has a vision model: set vision_model in LOCALFN_ENGINES and pull one: {VISION_HINT}")
        problems = await asyncio.gather(*(self._vision_problem(e) for e in engines))
        if all(problems):
            raise ModelNotFound("no engine can see images: " + "; ".join(p for p in problems if p))

    async def _vision_problem(self, engine: Engine) -> str | None:
        """Why ``engine``'s vision model cannot see, or None when it can or cannot be asked right now."""
        model = engine.vision_model or ""
        key = (engine.name, model)
        if key in self._vision:
            return self._vision[key]
        if not isinstance(engine, _KnowsCapabilities):
            return None
        try:
            capabilities = await engine.capabilities(model)
        except ModelNotFound as exc:
            return exc.detail  # not remembered: it may be pulled any minute
        except EngineError:
            return None  # unreachable now: chat fails over, or reports it
        problem = None
        # Ollama before 0.6 lists no capabilities at all: then the configuration is trusted.
        if capabilities and "vision" not in capabilities:
            problem = (
                f"{engine.name}: model {model!r} cannot see images (it has: {', '.join(capabilities)}); "
                f"set vision_model to a vision model: {VISION_HINT}"
            )
        self._vision[key] = problem
        return problem

    async def count_tokens(self, text: str) -> int | None:
        """Count with the tokenizer of the engine that would serve a text request now."""
        engine = self._candidates(ChatRequest(messages=()))[0]
        try:
            return await engine.count_tokens(text)
        except EngineError:
            return None

    def cooling_down(self) -> bool:
        """True while every engine is in its cool-down after a failure.

        ``chat`` tries them anyway (this pool is the only way to answer); a caller with another
        way (route-query's cloud model, answered locally instead) asks first and does not call.
        """
        now = self._clock()
        return all(self._cooling_until.get(e.name, 0.0) > now for e in self.engines)

    def cool_down(self, name: str) -> None:
        """Skip engine ``name`` for ``cooldown_s``: for a failure only the caller saw (its own deadline passed)."""
        self._cooling_until[name] = self._clock() + self._cooldown_s

    def _candidates(self, request: ChatRequest) -> list[Engine]:
        able = [e for e in self.engines if not request.has_images or self._may_see(e)]
        if not able:
            raise EngineRejected("no engine in the pool has a vision model; configure vision_model")
        now = self._clock()
        fresh = [e for e in able if self._cooling_until.get(e.name, 0.0) <= now]
        return fresh + [e for e in able if e not in fresh]

    def _may_see(self, engine: Engine) -> bool:
        return engine.vision_model is not None and self._vision.get((engine.name, engine.vision_model)) is None

    def _record_failure(self, engine: Engine, exc: EngineError, started: float, *, failover: bool = True) -> None:
        m = self._metrics
        m.series(m.engine_calls, engine.name, engine.model, exc.slug).inc()
        m.series(m.engine_latency, engine.name).observe(self._clock() - started)
        if failover:
            self.cool_down(engine.name)
            m.series(m.failovers, engine.name, exc.slug).inc()

    def _record_success(self, engine: Engine, result: ChatResult) -> None:
        self._cooling_until.pop(engine.name, None)
        m = self._metrics
        m.series(m.engine_calls, engine.name, result.model, "ok").inc()
        m.series(m.engine_latency, engine.name).observe(result.seconds)
        m.series(m.tokens, engine.name, result.model, "prompt").inc(result.prompt_tokens)
        m.series(m.tokens, engine.name, result.model, "completion").inc(result.completion_tokens)


def combined(failures: list[EngineUnavailable], *, what: str = "engine") -> EngineUnavailable:
    """One error for 'every engine (or pod) failed', of the kind that tells the caller what to do."""
    detail = f"no {what} could answer: " + "; ".join(f.detail for f in failures)
    if all(isinstance(f, ModelNotFound) for f in failures):
        return ModelNotFound(detail)
    if any(isinstance(f, EngineBusy) for f in failures):
        return EngineBusy(detail)
    return EngineUnavailable(detail)
