"""The engine protocol: what every model server looks like to a capability.

Backends (``ollama.py``, ``openai.py``) implement ``Engine``; ``pool.py`` chains several of them.
Capabilities only ever see ``ChatRequest`` in and ``ChatResult`` out.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Protocol, runtime_checkable

from localfn.errors import EngineRejected

__all__ = ["ChatRequest", "ChatResult", "Engine", "EngineHealth", "Message", "ModelInfo", "pick_model", "sampling"]

Role = Literal["system", "user", "assistant"]


@dataclass(frozen=True)
class Message:
    role: Role
    content: str
    images: tuple[bytes, ...] = ()  # encoded image files (JPEG/PNG/WebP), never base64 here


@dataclass(frozen=True)
class ChatRequest:
    messages: tuple[Message, ...]
    json_schema: dict[str, Any] | None = None  # constrain the reply to this schema
    max_tokens: int | None = None
    temperature: float | None = None
    seed: int | None = None
    stop: tuple[str, ...] = ()
    # Above 1, tokens the model wrote lately are made less likely (llama.cpp's and Ollama's
    # repeat_penalty; Ollama's default is 1.1, llama-server's 1.0).
    repeat_penalty: float | None = None

    @property
    def has_images(self) -> bool:
        return any(message.images for message in self.messages)


@dataclass(frozen=True)
class ChatResult:
    content: str
    model: str
    backend: str
    prompt_tokens: int
    completion_tokens: int
    finish_reason: str  # "stop", "length", "loop" (stopped repeating itself: localfn.sentences), ...
    seconds: float


@dataclass(frozen=True)
class ModelInfo:
    name: str
    size_bytes: int | None = None
    loaded: bool = False


@dataclass(frozen=True)
class EngineHealth:
    backend: str
    reachable: bool
    model_present: bool
    detail: str = ""
    models: tuple[str, ...] = field(default=())

    @property
    def ready(self) -> bool:
        return self.reachable and self.model_present


@runtime_checkable
class Engine(Protocol):
    """One model server. Methods raise ``localfn.errors.EngineError`` subclasses only."""

    name: str
    model: str
    vision_model: str | None

    async def chat(self, request: ChatRequest) -> ChatResult:
        """Generate one reply; the model is ``vision_model`` when the request has images."""
        ...

    async def health(self) -> EngineHealth:
        """Reachable, and is the configured text model present?"""
        ...

    async def models(self) -> list[ModelInfo]:
        """Models the engine has, with what it knows of each."""
        ...

    async def count_tokens(self, text: str) -> int | None:
        """Tokens of ``text`` by the model's tokenizer, or None when the engine cannot tell."""
        ...


def pick_model(engine: Engine, request: ChatRequest) -> str:
    """The engine's vision model for requests with images, its text model otherwise."""
    if not request.has_images:
        return engine.model
    if engine.vision_model is None:
        raise EngineRejected(f"{engine.name}: no vision model configured", backend=engine.name)
    return engine.vision_model


def sampling(request: ChatRequest, *, max_tokens_key: str) -> dict[str, Any]:
    """The request's sampling settings that are set, under the backend's names for them."""
    values = {
        "temperature": request.temperature,
        max_tokens_key: request.max_tokens,
        "seed": request.seed,
        "stop": list(request.stop) or None,
        "repeat_penalty": request.repeat_penalty,  # the same name on Ollama and on llama-server
    }
    return {key: value for key, value in values.items() if value is not None}
