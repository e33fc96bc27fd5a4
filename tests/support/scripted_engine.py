"""ScriptedEngine: a test double of the ``localfn.engine.base.Engine`` protocol.

Unit tests cannot run a model server, so this in-process engine stands in for one. Each
``chat`` call takes the next step of its script: a ``ChatResult`` is returned, a ``str``
becomes a ``ChatResult`` with that content, an exception (a ``localfn.errors`` error) is
raised. It records every request it receives, and fails the test loudly when called more
often than scripted. Model choice goes through the real ``pick_model``, as in the real
backends, so an image request to an engine without a vision model is rejected the same way.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from typing import Any

from localfn.capability import Capability
from localfn.engine.base import ChatRequest, ChatResult, EngineHealth, ModelInfo, pick_model
from localfn.runtime import Runtime
from localfn.settings import Settings

__all__ = ["ScriptedEngine", "Step", "run_capability"]

Step = ChatResult | str | BaseException


class ScriptedEngine:
    def __init__(
        self,
        name: str,
        script: Iterable[Step] = (),
        *,
        model: str = "text-model",
        vision_model: str | None = None,
        prompt_tokens: int = 10,
        completion_tokens: int = 5,
        model_present: bool = True,
    ) -> None:
        self.name = name
        self.model = model
        self.vision_model = vision_model
        self.script: deque[Step] = deque(script)
        self.requests: list[ChatRequest] = []
        self.health_checks = 0
        self.model_present = model_present
        self._prompt_tokens = prompt_tokens
        self._completion_tokens = completion_tokens

    def result(self, content: str, *, prompt_tokens: int | None = None, completion_tokens: int | None = None) -> ChatResult:
        """A reply as this engine would report it."""
        return ChatResult(
            content=content,
            model=self.model,
            backend=self.name,
            prompt_tokens=self._prompt_tokens if prompt_tokens is None else prompt_tokens,
            completion_tokens=self._completion_tokens if completion_tokens is None else completion_tokens,
            finish_reason="stop",
            seconds=0.01,
        )

    async def chat(self, request: ChatRequest) -> ChatResult:
        self.requests.append(request)
        model = pick_model(self, request)
        if not self.script:
            raise AssertionError(f"engine {self.name!r} called more often than its script allows")
        step = self.script.popleft()
        if isinstance(step, BaseException):
            raise step
        if isinstance(step, str):
            return ChatResult(step, model, self.name, self._prompt_tokens, self._completion_tokens, "stop", 0.01)
        return step

    async def health(self) -> EngineHealth:
        self.health_checks += 1
        return EngineHealth(self.name, reachable=True, model_present=self.model_present, models=(self.model,) * self.model_present)

    async def models(self) -> list[ModelInfo]:
        return [ModelInfo(self.model)]

    async def count_tokens(self, text: str) -> int | None:
        return None


async def run_capability(
    capability: type[Capability[Any, Any]], engine: ScriptedEngine, request: dict[str, Any], settings: Settings
) -> dict[str, Any]:
    """One ``run`` of ``capability`` on ``request``, with ``engine`` its only engine: the response as JSON."""
    runtime = Runtime(settings, engines=[engine])
    try:
        response = await capability(runtime).run(capability.request_model.model_validate(request))
    finally:
        await runtime.aclose()
    body: dict[str, Any] = response.model_dump(mode="json")
    return body
