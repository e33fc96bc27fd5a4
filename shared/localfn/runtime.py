"""What a process shares between requests: settings, one HTTP client, the engine pool, caches, metrics.

A ``Runtime`` is started once (at start-up under ``localfn serve``, on the first request under
functions-framework, which has no start-up hook) and closed at shutdown. Nothing here is
created at import time.
"""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING, Any, Self, TypeVar

import httpx

from localfn.cache import Memo, Store
from localfn.engine.base import ChatRequest, Engine, Message
from localfn.engine.ollama import OllamaEngine
from localfn.engine.openai import OpenAIEngine
from localfn.engine.pods import DnsResolver, PodPool, Resolver
from localfn.engine.pool import EnginePool
from localfn.engine.transport import ShardedTransport
from localfn.errors import Overloaded
from localfn.metrics import Metrics
from localfn.settings import BackendSettings, Settings

__all__ = ["InFlightLimit", "Runtime", "RuntimeHolder", "build_engines", "tls_verification"]

if TYPE_CHECKING:
    from pydantic import BaseModel

    from localfn.capability import Capability
    from localfn.state import StateClient
    from localfn.structured import Structured

C = TypeVar("C", bound="Capability[Any, Any]")
M = TypeVar("M", bound="BaseModel")


def build_engines(settings: Settings, client: httpx.AsyncClient, resolver: Resolver | None = None) -> list[Engine]:
    """One engine per configured backend, in the configured order; a pod pool's pods are found with ``resolver`` (DNS)."""
    factories: dict[str, Callable[[BackendSettings], Engine]] = {
        "ollama": lambda config: OllamaEngine(config, client, keep_alive=settings.keep_alive),
        "openai": lambda config: OpenAIEngine(config, client),
    }

    def build(config: BackendSettings) -> Engine:
        if config.balance == "service":
            return factories[config.kind](config)
        return PodPool(
            config,
            factories[config.kind],
            resolver=resolver or DnsResolver(),
            refresh_s=settings.pod_refresh_s,
            cooldown_s=settings.engine_cooldown_s,
        )

    return [build(config) for config in settings.engines]


def tls_verification(settings: Settings) -> ssl.SSLContext | bool:
    """How the shared client verifies TLS: with the CA bundle when any engine or the cloud model is https.

    Loading the bundle takes ~60 ms of every cold start, wasted when every engine is plain
    http (Ollama inside the cluster). Then a context without CAs stands in: it still verifies,
    so an https request fails rather than going unchecked.
    """
    urls = [engine.url for engine in settings.engines] + ([settings.cloud.url] if settings.cloud.url else [])
    if any(url.scheme == "https" for url in urls):
        return True
    return ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)


class InFlightLimit:
    """Refuses more than ``limit`` of something at once instead of queueing without bound (503, Retry-After).

    ``what`` and ``setting`` name the thing counted and the setting that bounds it, for the refusal's detail.
    """

    def __init__(self, limit: int, retry_after_s: int, *, what: str, setting: str) -> None:
        self.limit = limit
        self._retry_after_s = retry_after_s
        self._what = what
        self._setting = setting
        self.current = 0

    def __enter__(self) -> Self:
        if self.current >= self.limit:
            raise Overloaded(
                f"{self.current} {self._what} at once, the limit is {self.limit} ({self._setting}); retry in {self._retry_after_s} s"
            )
        self.current += 1
        return self

    def __exit__(self, *exc: object) -> None:
        self.current -= 1


class Runtime:
    def __init__(self, settings: Settings, engines: Sequence[Engine] | None = None, resolver: Resolver | None = None) -> None:
        self.settings = settings
        self.metrics = Metrics()
        timeout = httpx.Timeout(settings.request_timeout_s, connect=settings.connect_timeout_s)
        # Connection limits are the engines' job (Ollama queues, llama-server has slots); don't cap twice.
        # Idle connections are dropped after 2 s, before servers that close them after 5 s (llama-server,
        # uvicorn) do: reusing one the server is closing at that moment fails the call. That expiry is
        # also the only bound on idle ones: httpcore 1.0 compares its keep-alive cap with *all* its
        # connections, so with any cap, a burst past it closes connections as they go idle and the next
        # requests reconnect (encode/httpcore#1035).
        limits = httpx.Limits(max_connections=None, max_keepalive_connections=None, keepalive_expiry=2.0)
        verify = tls_verification(settings)
        # The client's own limits and verify serve the proxies it may mount from the environment.
        transport = ShardedTransport(limits=limits, verify=verify)
        self.http = httpx.AsyncClient(timeout=timeout, limits=limits, verify=verify, transport=transport)
        self.pool = EnginePool(
            engines if engines is not None else build_engines(settings, self.http, resolver),
            metrics=self.metrics,
            cooldown_s=settings.engine_cooldown_s,
            health_cache_s=settings.health_cache_s,
        )
        self.state, self.results, self.replies = _stores(settings, self.metrics)
        # Two bounds (README, "Limits"): work that costs something (a cache miss: preparing and making
        # engine calls), and every request held, whatever it waits on (its body, an identical request's
        # flight, a redelivered event's first delivery). A cache hit or a waiter costs a future and a
        # socket, so it is shed only at the second, much higher bound.
        self.in_flight = InFlightLimit(
            settings.max_in_flight, settings.retry_after_s, what="requests computing an answer", setting="LOCALFN_MAX_IN_FLIGHT"
        )
        self.held = InFlightLimit(settings.max_requests, settings.retry_after_s, what="requests held", setting="LOCALFN_MAX_REQUESTS")
        self._capabilities: dict[type[Capability[Any, Any]], Capability[Any, Any]] = {}

    def chat_request(self, messages: Sequence[Message], *, max_tokens: int, repeat_penalty: float | None = None) -> ChatRequest:
        """The one way a capability asks the engine: ``messages`` sampled as this process is set
        (``LOCALFN_TEMPERATURE``; ``LOCALFN_REPEAT_PENALTY`` unless the caller needs its own)."""
        return ChatRequest(
            messages=tuple(messages),
            max_tokens=max_tokens,
            temperature=self.settings.temperature,
            repeat_penalty=self.settings.repeat_penalty if repeat_penalty is None else repeat_penalty,
        )

    async def structured(self, request: ChatRequest, output: type[M], **hooks: Any) -> Structured[M]:
        """``chat_structured`` on this process's pool, metrics and ``LOCALFN_MAX_REPAIRS``; ``hooks`` are its
        keyword arguments (checks, soft, schema, prepare)."""
        # Imported here: functions that never ask for structure never load the JSON Schema validator.
        from localfn.structured import chat_structured

        return await chat_structured(self.pool, request, output, metrics=self.metrics, max_repairs=self.settings.max_repairs, **hooks)

    def capability(self, cls: type[C]) -> C:
        """The one instance of a capability class for this runtime."""
        instance = self._capabilities.get(cls)
        if not isinstance(instance, cls):
            instance = self._capabilities[cls] = cls(self)
        return instance

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.aclose()

    async def aclose(self) -> None:
        """Close what the runtime opened: its capabilities' resources, the HTTP client, the state store."""
        for instance in self._capabilities.values():
            close = getattr(instance, "aclose", None)
            if close is not None:
                await close()
        await self.http.aclose()
        if self.state is not None:
            await self.state.aclose()


def _stores(settings: Settings, metrics: Metrics) -> tuple[StateClient | None, Store[Any], Store[Any]]:
    """The result cache and the redelivery store: in-process, or shared through Redis when LOCALFN_STATE_URL is set."""
    results: Memo[Any] = Memo(ttl_s=settings.cache_ttl_s, max_entries=settings.cache_max_entries)
    replies: Memo[Any] = Memo(ttl_s=settings.dedupe_ttl_s, max_entries=settings.dedupe_max_entries)
    if settings.state_url is None:
        return None, results, replies
    # Imported here: a process without a Redis does not pay for importing redis-py (a cold-start cost).
    from localfn.state import EVENTS, JSON, SharedMemo, StateClient

    client = StateClient(settings, metrics)
    return (
        client,
        SharedMemo(results, client, kind="results", codec=JSON, ttl_s=settings.cache_ttl_s),
        SharedMemo(replies, client, kind="replies", codec=EVENTS, ttl_s=settings.dedupe_ttl_s),
    )


class RuntimeHolder:
    """Starts the process's runtime on first use, exactly once, even under concurrent first requests."""

    def __init__(self, settings: Callable[[], Settings] = Settings.load, engines: Sequence[Engine] | None = None) -> None:
        self._load_settings = settings
        self._settings: Settings | None = None
        self._engines = engines
        self._runtime: Runtime | None = None
        self._lock = asyncio.Lock()

    @property
    def settings(self) -> Settings:
        if self._settings is None:
            self._settings = self._load_settings()
        return self._settings

    async def get(self) -> Runtime:
        if self._runtime is None:
            async with self._lock:
                if self._runtime is None:
                    self._runtime = Runtime(self.settings, self._engines)
        return self._runtime

    async def aclose(self) -> None:
        if self._runtime is not None:
            await self._runtime.aclose()
            self._runtime = None
