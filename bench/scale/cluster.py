"""One Ollama StatefulSet in the simulated cluster: pods that start, turn ready and go.

``scale(n)`` is what the StatefulSet controller does with a new replica count: new pods
(next ordinals) start and turn ready ``speed.start_s`` later (a GPU node, then the model
load); removed pods (highest ordinals first) leave the ready-pods Service at once and finish
their calls. The Service's DNS is ``FakeResolver`` (tests/support), listing the ready pods'
addresses, which the real ``PodPool`` looks up. Pod-seconds count from a pod's creation
(its node is paid for while it starts) to its removal.
"""

from __future__ import annotations

import asyncio

from bench.scale.engines import SimulatedPod
from bench.scale.parameters import Speed, Tokens
from localfn.engine.base import Engine
from localfn.settings import BackendSettings
from tests.support.fake_resolver import FakeResolver

__all__ = ["StatefulSet"]


class StatefulSet:
    def __init__(self, name: str, speed: Speed, tokens: Tokens, *, subnet: int) -> None:
        self.name = name
        self.resolver = FakeResolver()
        self._speed = speed
        self._tokens = tokens
        self._subnet = subnet
        self._pods: dict[str, SimulatedPod] = {}  # every pod ever made, by address (PodPool keeps removed ones' calls)
        self._starting: dict[str, asyncio.Task[None]] = {}
        self._live: list[str] = []  # addresses by ordinal
        self._created: dict[str, float] = {}
        self._pod_seconds = 0.0

    @property
    def replicas(self) -> int:
        return len(self._live)

    @property
    def ready(self) -> int:
        return len(self.resolver.addresses_now)

    def scale(self, replicas: int, *, now: float, ready_at_once: bool = False) -> None:
        while len(self._live) < replicas:
            address = f"10.{self._subnet}.0.{len(self._live) + 1}"
            self._live.append(address)
            self._created[address] = now
            self._pods[address] = SimulatedPod(self.name, address, self._speed, self._tokens)
            if ready_at_once:
                self.resolver.addresses_now.append(address)
            else:
                self._starting[address] = asyncio.create_task(self._turn_ready(address))
        while len(self._live) > replicas:
            address = self._live.pop()
            if task := self._starting.pop(address, None):
                task.cancel()
            if address in self.resolver.addresses_now:
                self.resolver.addresses_now.remove(address)
            self._pod_seconds += now - self._created.pop(address)

    def pod_seconds(self, now: float) -> float:
        """Seconds of pods so far, the running ones counted up to ``now``."""
        return self._pod_seconds + sum(now - created for created in self._created.values())

    def engine(self, config: BackendSettings) -> Engine:
        """The pod a ``PodPool`` calls for one address (its ``make_engine``)."""
        return self._pods[str(config.url.host)]

    def served(self) -> int:
        return sum(pod.served for pod in self._pods.values())

    async def _turn_ready(self, address: str) -> None:
        await asyncio.sleep(self._speed.start_s)
        self._starting.pop(address, None)
        self.resolver.addresses_now.append(address)
