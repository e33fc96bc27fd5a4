"""`localfn serve`'s app in-process for tests: real routing, real runtime, real engines."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

import httpx

from localfn.runtime import Runtime, RuntimeHolder
from localfn.serve import build_app
from localfn.settings import BackendSettings, Settings


def make_settings(*backends: BackendSettings, **overrides: Any) -> Settings:
    """Settings for a test: these engines, in this order, and any overrides."""
    return Settings(engines=list(backends), **overrides)


def backend(name: str, url: str, model: str, kind: str = "openai", **extra: Any) -> BackendSettings:
    return BackendSettings(name=name, kind=kind, url=url, model=model, **extra)


@asynccontextmanager
async def serve_client(
    settings: Settings, functions: Sequence[str] | None = None
) -> AsyncIterator[tuple[httpx.AsyncClient, RuntimeHolder]]:
    """An HTTP client wired to the whole app through ASGI, and the holder of its runtime."""
    holder = RuntimeHolder(lambda: settings)
    app = build_app(holder, functions)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://localfn.test", timeout=120) as client:
        try:
            yield client, holder
        finally:
            await holder.aclose()


def sample(runtime: Runtime, name: str, labels: dict[str, str]) -> float:
    """One metric sample's value (0 when the series has not been created)."""
    return runtime.metrics.registry.get_sample_value(name, labels) or 0.0


def engine_calls(runtime: Runtime) -> float:
    """Successful engine calls so far, over every backend and model."""
    total = 0.0
    for family in runtime.metrics.registry.collect():
        if family.name == "localfn_engine_calls":
            total += sum(s.value for s in family.samples if s.name.endswith("_total") and s.labels["outcome"] == "ok")
    return total
