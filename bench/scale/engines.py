"""A simulated Ollama pod: an ``Engine`` whose calls take slots and wait in virtual time.

As Ollama does: ``parallel`` calls run at once, the rest wait in a queue, and a call that
finds ``max_queue`` already waiting is refused at once (503, ``EngineBusy``, which the engine
pool fails over like a real one). A pod being removed finishes what it has (graceful stop).
"""

from __future__ import annotations

import asyncio

from bench.scale.parameters import Speed, Tokens
from localfn.engine.base import ChatRequest, ChatResult, EngineHealth, ModelInfo
from localfn.errors import EngineBusy

__all__ = ["SimulatedPod"]


class SimulatedPod:
    def __init__(self, name: str, address: str, speed: Speed, tokens: Tokens) -> None:
        self.name = name
        self.address = address
        self.model = speed.model
        self.vision_model: str | None = None
        self._speed = speed
        self._tokens = tokens
        self._slots = asyncio.Semaphore(speed.parallel)
        self._waiting = 0
        self._busy = 0
        self.served = 0

    async def chat(self, request: ChatRequest) -> ChatResult:
        if self._waiting >= self._speed.max_queue:
            raise EngineBusy(f"{self.name} {self.address}: {self._waiting} requests queued (maxQueue)", backend=self.name)
        self._waiting += 1
        try:
            await self._slots.acquire()
        finally:
            self._waiting -= 1
        self._busy += 1
        try:
            seconds = self._speed.seconds(self._tokens, self._busy)
            await asyncio.sleep(seconds)
        finally:
            self._busy -= 1
            self._slots.release()
        self.served += 1
        return ChatResult("", self.model, self.name, self._tokens.prompt, self._tokens.completion, "stop", seconds)

    async def health(self) -> EngineHealth:
        return EngineHealth(self.name, reachable=True, model_present=True, models=(self.model,))

    async def models(self) -> list[ModelInfo]:
        return [ModelInfo(self.model, loaded=True)]

    async def count_tokens(self, text: str) -> int | None:
        return None
