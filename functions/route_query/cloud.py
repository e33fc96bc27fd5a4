"""The cloud model: any OpenAI-compatible endpoint, behind a time limit and a cool-down.

It is one ``OpenAIEngine`` on the runtime's shared HTTP client, in a pool of its own so its
calls, latency and tokens appear in the engine metrics under the backend ``cloud``. When it
fails, route-query answers locally; for ``LOCALFN_ENGINE_COOLDOWN_S`` after a failure (the
pool's cool-down, the only one) it is not called at all, so a cloud that is down (or
black-holes connections) costs one slow call per cool-down, not one per query. The API key
goes into the Authorization header only.
"""

from __future__ import annotations

import asyncio
from dataclasses import replace

from localfn.engine.base import ChatRequest, ChatResult
from localfn.engine.openai import OpenAIEngine
from localfn.engine.pool import EnginePool
from localfn.errors import EngineError, EngineRejected, EngineTimeout, EngineUnavailable
from localfn.runtime import Runtime
from localfn.settings import BackendSettings

__all__ = ["CLOUD_BACKEND", "CloudCoolingDown", "CloudModel", "cloud_model"]

CLOUD_BACKEND = "cloud"


class CloudCoolingDown(EngineUnavailable):
    """The cloud failed recently and is not called until its cool-down ends."""

    slug, title = "cloud-cooling-down", "Cloud model cooling down"


class CloudModel:
    """The cloud behind ``timeout_s``; its cool-down is its pool's (``EnginePool.cooling_down``)."""

    def __init__(self, pool: EnginePool, *, timeout_s: float) -> None:
        self._pool = pool
        self._timeout_s = timeout_s

    async def chat(self, request: ChatRequest) -> ChatResult:
        """The cloud's answer; raises ``EngineError`` subclasses only."""
        if self._pool.cooling_down():
            raise CloudCoolingDown(
                f"{CLOUD_BACKEND}: failed less than LOCALFN_ENGINE_COOLDOWN_S ago, not called until then", backend=CLOUD_BACKEND
            )
        # repeat_penalty is llama.cpp's and Ollama's; OpenAI's API answers 400 to fields it does not know.
        request = replace(request, repeat_penalty=None)
        try:
            async with asyncio.timeout(self._timeout_s):
                return await self._pool.chat(request)
        except TimeoutError as exc:
            self._pool.cool_down(CLOUD_BACKEND)
            raise EngineTimeout(
                f"{CLOUD_BACKEND}: no answer within {self._timeout_s:g} s (LOCALFN_CLOUD__TIMEOUT_S)", backend=CLOUD_BACKEND
            ) from exc
        except EngineRejected:
            raise  # this request's fault (too long, say), not the cloud's: the next one may pass
        except EngineError:
            # The pool cools down what another engine might answer; with no other engine, any failure counts.
            self._pool.cool_down(CLOUD_BACKEND)
            raise


def cloud_model(runtime: Runtime) -> CloudModel | None:
    """The configured cloud model on the runtime's HTTP client, or None when none is configured."""
    config = runtime.settings.cloud
    if config.url is None or config.model is None:
        return None
    backend = BackendSettings(name=CLOUD_BACKEND, kind="openai", url=config.url, model=config.model, api_key=config.api_key)
    pool = EnginePool([OpenAIEngine(backend, runtime.http)], metrics=runtime.metrics, cooldown_s=runtime.settings.engine_cooldown_s)
    return CloudModel(pool, timeout_s=config.timeout_s)
