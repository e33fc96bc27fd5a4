"""OpenAI-compatible servers: llama.cpp's llama-server, vLLM, and cloud models.

``url`` is the API base including ``/v1``. Token counting uses llama.cpp's ``/tokenize`` (at
the server root) when the server has it; others answer None and callers estimate.
"""

from __future__ import annotations

import base64
import time
from typing import Any

import httpx

from localfn.engine.base import ChatRequest, ChatResult, EngineHealth, ModelInfo, pick_model, sampling
from localfn.engine.http import JSON_HEADERS, engine_errors, json_body, raise_for_status
from localfn.errors import EngineUnavailable
from localfn.settings import BackendSettings

__all__ = ["OpenAIEngine"]


def _image_type(image: bytes) -> str:
    if image.startswith(b"\x89PNG"):
        return "image/png"
    if image[:4] == b"RIFF" and image[8:12] == b"WEBP":
        return "image/webp"
    return "image/jpeg"


class OpenAIEngine:
    """One OpenAI-compatible server. The httpx client is shared and owned by the caller."""

    def __init__(self, config: BackendSettings, client: httpx.AsyncClient) -> None:
        self.name = config.name
        self.model = config.model
        self.vision_model = config.vision_model
        self._url = str(config.url).rstrip("/")
        self._root = self._url.removesuffix("/v1")
        self._client = client
        self._headers = {"Authorization": f"Bearer {config.api_key.get_secret_value()}"} if config.api_key else {}
        # Parsed once: httpx parses a URL given as a string on every request (~10 µs).
        self._chat_url = httpx.URL(f"{self._url}/chat/completions")
        self._chat_headers = {**JSON_HEADERS, **self._headers}
        self._can_tokenize: bool | None = None  # learnt on first use

    async def chat(self, request: ChatRequest) -> ChatResult:
        model = pick_model(self, request)
        started = time.perf_counter()
        async with engine_errors(self.name, self._url):
            body = json_body(self._chat_body(request, model))
            response = await self._client.post(self._chat_url, content=body, headers=self._chat_headers)
        raise_for_status(response, self.name, response.content)
        try:
            payload = response.json()
            choice = payload["choices"][0]
            content = choice["message"]["content"] or ""
        except (ValueError, KeyError, IndexError, TypeError) as exc:
            raise EngineUnavailable(f"{self.name}: reply is not a chat completion", backend=self.name) from exc
        usage = payload.get("usage") or {}
        return ChatResult(
            content=content,
            model=payload.get("model", model),
            backend=self.name,
            prompt_tokens=int(usage.get("prompt_tokens", 0)),
            completion_tokens=int(usage.get("completion_tokens", 0)),
            finish_reason=choice.get("finish_reason") or "stop",
            seconds=time.perf_counter() - started,
        )

    async def health(self) -> EngineHealth:
        try:
            names = [info.name for info in await self.models()]
        except EngineUnavailable as exc:
            return EngineHealth(self.name, reachable=False, model_present=False, detail=exc.detail)
        present = self.model in names
        detail = "" if present else f"model {self.model!r} not served here (it serves: {', '.join(names)})"
        return EngineHealth(self.name, reachable=True, model_present=present, detail=detail, models=tuple(names))

    async def models(self) -> list[ModelInfo]:
        async with engine_errors(self.name, self._url):
            response = await self._client.get(f"{self._url}/models", headers=self._headers)
        raise_for_status(response, self.name, response.content)
        return [ModelInfo(name=entry["id"], loaded=True) for entry in response.json().get("data", [])]

    async def count_tokens(self, text: str) -> int | None:
        if self._can_tokenize is False:
            return None
        async with engine_errors(self.name, self._root):
            response = await self._client.post(f"{self._root}/tokenize", json={"content": text}, headers=self._headers)
        self._can_tokenize = response.is_success
        if not response.is_success:
            return None
        return len(response.json().get("tokens", []))

    def _chat_body(self, request: ChatRequest, model: str) -> dict[str, Any]:
        body: dict[str, Any] = {"model": model, "messages": [self._message(m) for m in request.messages]}
        if request.json_schema is not None:
            body["response_format"] = {
                "type": "json_schema",
                "json_schema": {"name": "reply", "schema": request.json_schema, "strict": True},
            }
        return {**body, **sampling(request, max_tokens_key="max_tokens")}

    @staticmethod
    def _message(message: Any) -> dict[str, Any]:
        if not message.images:
            return {"role": message.role, "content": message.content}
        parts: list[dict[str, Any]] = [{"type": "text", "text": message.content}]
        for image in message.images:
            data = base64.b64encode(image).decode("ascii")
            parts.append({"type": "image_url", "image_url": {"url": f"data:{_image_type(image)};base64,{data}"}})
        return {"role": message.role, "content": parts}
