"""An engine entry that is a pool of pods: found by DNS, called one by one, picked by load.

A Kubernetes headless Service that publishes only ready pods has one A/AAAA record per pod.
``PodPool`` looks its name up (the host of the entry's URL) on the first call after
``refresh_s``, keeps one engine per pod (the URL with the pod's address for its host; the
shared httpx client keeps a connection pool per address), and presents the lot to
``EnginePool`` as one engine, so pool order, failover and errors stay one code path.

The rules:

* A call goes to the pod ``localfn.engine.balance`` picks (least load, or prefix affinity).
* A pod that fails as an engine fails over (unreachable, dropped, 5xx, busy, model missing)
  is skipped for ``cooldown_s`` and the call goes to the next pick; when every pod is
  cooling they are tried anyway. When every pod failed, their combined error goes to
  ``EnginePool``, which cools the whole entry as it would one server.
* No pod at all is ``NoCapacity``: ``EnginePool`` moves to the next engine without a
  cool-down, so traffic comes back with the first look-up that finds a pod.
* A look-up that fails or takes longer than ``refresh_s`` (DNS down, not "no such name")
  keeps the pods known before.
"""

from __future__ import annotations

import asyncio
import logging
import random
import socket
import time
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Protocol

from pydantic import HttpUrl

from localfn.engine.balance import PrefixRing, least_loaded
from localfn.engine.base import ChatRequest, ChatResult, Engine, EngineHealth, ModelInfo, pick_model
from localfn.engine.pool import combined
from localfn.errors import EngineUnavailable, NoCapacity
from localfn.settings import BackendSettings

__all__ = ["DnsResolver", "PodPool", "Resolver"]

log = logging.getLogger("localfn.pods")

# getaddrinfo's answers for a name without records: a headless Service with no ready pod is NXDOMAIN.
_NO_RECORDS = {socket.EAI_NONAME, getattr(socket, "EAI_NODATA", socket.EAI_NONAME)}


class Resolver(Protocol):
    """Where a name points now."""

    async def addresses(self, host: str, port: int) -> list[str]:
        """The IPv4/IPv6 addresses of ``host``, empty when it has none; ``OSError`` when the look-up itself fails."""
        ...


class DnsResolver:
    """The system resolver (cluster DNS in a pod), through the event loop's getaddrinfo."""

    async def addresses(self, host: str, port: int) -> list[str]:
        try:
            found = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
        except socket.gaierror as exc:
            if exc.errno in _NO_RECORDS:
                return []
            raise
        return sorted({str(info[4][0]) for info in found})


@dataclass(eq=False)
class _Pod:
    address: str
    engine: Engine
    in_flight: int = 0
    cooling_until: float = 0.0


@dataclass(frozen=True)
class _Snapshot:
    """The pods of one look-up and their ring, replaced together so a call never mixes two look-ups."""

    pods: tuple[_Pod, ...] = ()
    ring: PrefixRing = field(default_factory=lambda: PrefixRing(()))


class PodPool:
    """One engine entry over the ready pods behind a headless Service (``balance`` least-load or prefix)."""

    def __init__(
        self,
        config: BackendSettings,
        make_engine: Callable[[BackendSettings], Engine],
        *,
        resolver: Resolver,
        refresh_s: float,
        cooldown_s: float,
        clock: Callable[[], float] = time.monotonic,
        rng: random.Random | None = None,
    ) -> None:
        self.name = config.name
        self.model = config.model
        self.vision_model = config.vision_model
        self._config = config
        self._make_engine = make_engine
        self._resolver = resolver
        self._refresh_s = refresh_s
        self._cooldown_s = cooldown_s
        self._clock = clock
        self._rng = rng or random.Random()
        self._host = config.url.host or ""
        self._port = config.url.port or 80
        self._snapshot = _Snapshot()
        self._resolved_at: float | None = None
        self._lock = asyncio.Lock()

    @property
    def addresses(self) -> list[str]:
        """The pods of the last look-up."""
        return [pod.address for pod in self._snapshot.pods]

    async def chat(self, request: ChatRequest) -> ChatResult:
        snapshot = await self._populated()
        key = _prefix_key(pick_model(self, request), request)
        left = list(snapshot.pods)
        failures: list[EngineUnavailable] = []
        while left:
            pod = self._choose(snapshot, left, key)
            left.remove(pod)
            pod.in_flight += 1
            try:
                return await pod.engine.chat(request)
            except EngineUnavailable as exc:
                pod.cooling_until = self._clock() + self._cooldown_s
                failures.append(exc)
            finally:
                pod.in_flight -= 1
        raise combined(failures, what="pod")

    async def health(self) -> EngineHealth:
        """The health of a ready pod (else of the first), saying how many of the pods are ready."""
        pods = (await self._current()).pods
        if not pods:
            return EngineHealth(self.name, reachable=False, model_present=False, detail=self._nobody())
        checks = await asyncio.gather(*(pod.engine.health() for pod in pods))
        ready = [check for check in checks if check.ready]
        chosen = (ready or checks)[0]
        detail = "; ".join(part for part in (f"{len(ready)} of {len(checks)} pods ready", chosen.detail) if part)
        return replace(chosen, detail=detail)

    async def models(self) -> list[ModelInfo]:
        return await (await self._some_pod()).engine.models()

    async def count_tokens(self, text: str) -> int | None:
        try:
            pod = await self._some_pod()
        except NoCapacity:
            return None
        return await pod.engine.count_tokens(text)

    async def capabilities(self, model: str) -> tuple[str, ...]:
        """What a pod's engine says ``model`` can do; () (configuration trusted) when its kind cannot say."""
        ask = getattr((await self._some_pod()).engine, "capabilities", None)
        return await ask(model) if ask is not None else ()

    def _choose(self, snapshot: _Snapshot, left: list[_Pod], key: str) -> _Pod:
        now = self._clock()
        fresh = [pod for pod in left if pod.cooling_until <= now] or left
        if self._config.balance == "prefix":
            by_address = {pod.address: pod for pod in fresh}
            return by_address[snapshot.ring.owner(key, {pod.address: pod.in_flight for pod in fresh})]
        return fresh[least_loaded([pod.in_flight for pod in fresh], self._rng)]

    async def _some_pod(self) -> _Pod:
        """The pod a question about the engine goes to (least load), or ``NoCapacity``."""
        pods = (await self._populated()).pods
        return pods[least_loaded([pod.in_flight for pod in pods], self._rng)]

    async def _populated(self) -> _Snapshot:
        """The pods now, or ``NoCapacity`` when there is none."""
        snapshot = await self._current()
        if not snapshot.pods:
            raise NoCapacity(self._nobody(), backend=self.name)
        return snapshot

    def _nobody(self) -> str:
        return f"{self.name}: no ready pod behind {self._host} now (looked up every {self._refresh_s:g} s)"

    async def _current(self) -> _Snapshot:
        """The pods now: looked up again once ``refresh_s`` has passed, by one caller while the others wait."""
        if self._stale():
            async with self._lock:
                if self._stale():
                    await self._refresh()
        return self._snapshot

    def _stale(self) -> bool:
        return self._resolved_at is None or self._clock() - self._resolved_at >= self._refresh_s

    async def _refresh(self) -> None:
        try:
            # Callers wait on the look-up: a DNS server that does not answer must not hold them longer.
            async with asyncio.timeout(self._refresh_s):
                addresses = await self._resolver.addresses(self._host, self._port)
        except OSError as exc:  # TimeoutError included
            log.warning("%s: looking up %s failed (%s); keeping the %d pods known", self.name, self._host, exc, len(self._snapshot.pods))
        else:
            known = {pod.address: pod for pod in self._snapshot.pods}
            if set(addresses) != set(known):
                log.info("%s: %d ready pods behind %s: %s", self.name, len(addresses), self._host, ", ".join(addresses) or "none")
            # A pod seen before keeps its engine, its count of calls in flight and its cool-down.
            pods = tuple(known.get(address) or _Pod(address, self._make_engine(self._pod_config(address))) for address in addresses)
            self._snapshot = _Snapshot(pods, PrefixRing(addresses))
        self._resolved_at = self._clock()

    def _pod_config(self, address: str) -> BackendSettings:
        host = f"[{address}]" if ":" in address else address
        url = self._config.url
        return self._config.model_copy(update={"url": HttpUrl(f"{url.scheme}://{host}:{self._port}{url.path or ''}")})


def _prefix_key(model: str, request: ChatRequest) -> str:
    """What prefix affinity hashes: the model and the first message (the system prompt when there is one)."""
    first = request.messages[0].content if request.messages else ""
    return f"{model}\n{first}"
