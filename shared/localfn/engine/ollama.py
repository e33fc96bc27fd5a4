"""Ollama's native API: /api/chat (streamed NDJSON), /api/generate, /api/tags, /api/show, /api/ps.

Chat always streams: a long generation then needs no single huge timeout (the read timeout
applies between chunks), an error Ollama reports mid-stream (as a last ``{"error"}``
line under HTTP 200) is seen instead of a silently truncated answer, and a text reply that
repeats one sentence ``LOOP_REPEATS`` times is stopped there (``localfn.sentences``) rather
than left to fill its token budget with copies.
"""

from __future__ import annotations

import base64
import json
import time
from collections.abc import AsyncIterator
from typing import Any

import httpx

from localfn.engine.base import ChatRequest, ChatResult, EngineHealth, ModelInfo, pick_model, sampling
from localfn.engine.http import JSON_HEADERS, engine_errors, error_text, json_body, raise_for_status
from localfn.errors import EngineUnavailable, ModelNotFound
from localfn.sentences import LOOPED, RepeatWatch, cut
from localfn.settings import BackendSettings

__all__ = ["OllamaEngine", "full_name", "same_model"]


def full_name(name: str) -> str:
    """Ollama reads a name without a tag as ``name:latest``."""
    return name if ":" in name.rsplit("/", 1)[-1] else f"{name}:latest"


def same_model(a: str, b: str) -> bool:
    return full_name(a) == full_name(b)


class OllamaEngine:
    """One Ollama server. The httpx client is shared and owned by the caller."""

    def __init__(self, config: BackendSettings, client: httpx.AsyncClient, *, keep_alive: str = "30m") -> None:
        self.name = config.name
        self.model = config.model
        self.vision_model = config.vision_model
        self._url = str(config.url).rstrip("/")
        # Parsed once: httpx parses a URL given as a string on every request (~10 µs).
        self._chat_url = httpx.URL(f"{self._url}/api/chat")
        self._client = client
        self._keep_alive = keep_alive

    async def chat(self, request: ChatRequest) -> ChatResult:
        model = pick_model(self, request)
        body = self._chat_body(request, model)
        started = time.perf_counter()
        content: list[str] = []
        final: dict[str, Any] = {}
        # Text is watched for a loop; JSON is not: a stream stopped inside it would be invalid JSON
        # (its strings' maxLength bounds a loop there, and sentences.cut collapses the copies).
        watch = RepeatWatch() if request.json_schema is None else None
        post = self._client.stream("POST", self._chat_url, content=json_body(body), headers=JSON_HEADERS)
        async with engine_errors(self.name, self._url), post as response:
            if not response.is_success:
                self._raise_for_status(response, await response.aread(), model)
            async for line in _lines(response):
                chunk = self._parse_line(line)
                if chunk is None:
                    continue
                content.append(chunk.get("message", {}).get("content", ""))
                if chunk.get("done"):
                    final = chunk
                elif watch is not None and watch.feed(content[-1]):
                    # Leaving the stream closes the connection, and Ollama stops generating.
                    return self._looped(content, model, started)
        if not final:
            raise EngineUnavailable(f"{self.name}: stream ended before Ollama said done", backend=self.name)
        return ChatResult(
            content="".join(content),
            model=final.get("model", model),
            backend=self.name,
            prompt_tokens=int(final.get("prompt_eval_count", 0)),
            completion_tokens=int(final.get("eval_count", 0)),
            finish_reason=final.get("done_reason", "stop"),
            seconds=time.perf_counter() - started,
        )

    def _looped(self, content: list[str], model: str, started: float) -> ChatResult:
        """The reply of a model caught repeating itself: one copy of each sentence, up to the last finished one.

        Ollama reports token counts only in its last line, which a stopped stream never gets:
        each streamed chunk is one token, and the prompt's count is unknown (0).
        """
        return ChatResult(
            content=cut("".join(content), cut_off=True),
            model=model,
            backend=self.name,
            prompt_tokens=0,
            completion_tokens=len(content),
            finish_reason=LOOPED,
            seconds=time.perf_counter() - started,
        )

    async def health(self) -> EngineHealth:
        try:
            names = [entry["name"] for entry in await self._tags()]
        except EngineUnavailable as exc:
            return EngineHealth(self.name, reachable=False, model_present=False, detail=exc.detail)
        present = any(same_model(name, self.model) for name in names)
        detail = "" if present else f"model {self.model!r} not pulled; run: ollama pull {self.model}"
        return EngineHealth(self.name, reachable=True, model_present=present, detail=detail, models=tuple(names))

    async def models(self) -> list[ModelInfo]:
        tags = await self._tags()
        async with engine_errors(self.name, self._url):
            running = await self._client.get(f"{self._url}/api/ps")
            raise_for_status(running, self.name, running.content)
        loaded = {entry.get("name", "") for entry in running.json().get("models", [])}
        return [ModelInfo(name=entry["name"], size_bytes=entry.get("size"), loaded=entry["name"] in loaded) for entry in tags]

    async def _tags(self) -> list[dict[str, Any]]:
        """The models pulled, from /api/tags: all readiness needs (one round trip, not models()'s two)."""
        async with engine_errors(self.name, self._url):
            tags = await self._client.get(f"{self._url}/api/tags")
            raise_for_status(tags, self.name, tags.content)
        models: list[dict[str, Any]] = tags.json().get("models", [])
        return models

    async def capabilities(self, model: str) -> tuple[str, ...]:
        """What Ollama says a model can do (``vision``, ``tools``, ...), from /api/show."""
        async with engine_errors(self.name, self._url):
            response = await self._client.post(f"{self._url}/api/show", json={"model": model})
            self._raise_for_status(response, response.content, model)
        return tuple(response.json().get("capabilities", []))

    async def count_tokens(self, text: str) -> int | None:
        # Ollama has no tokenize endpoint; callers fall back to an estimate and say so.
        return None

    def _chat_body(self, request: ChatRequest, model: str) -> dict[str, Any]:
        messages = []
        for message in request.messages:
            entry: dict[str, Any] = {"role": message.role, "content": message.content}
            if message.images:
                entry["images"] = [base64.b64encode(image).decode("ascii") for image in message.images]
            messages.append(entry)
        body: dict[str, Any] = {
            "model": model,
            "messages": messages,
            "stream": True,
            "keep_alive": self._keep_alive,
            "options": sampling(request, max_tokens_key="num_predict"),
        }
        if request.json_schema is not None:
            body["format"] = request.json_schema
        return body

    def _parse_line(self, line: bytes) -> dict[str, Any] | None:
        if not line.strip():
            return None
        try:
            chunk: dict[str, Any] = json.loads(line)
        except ValueError as exc:
            shown = line[:200].decode("utf-8", "replace")
            raise EngineUnavailable(f"{self.name}: unreadable stream line {shown!r}", backend=self.name) from exc
        if "error" in chunk:
            # Ollama keeps HTTP 200 and reports a failure as the stream's last line.
            raise EngineUnavailable(f"{self.name}: failed mid-answer: {chunk['error']}", backend=self.name)
        return chunk

    def _raise_for_status(self, response: httpx.Response, body: bytes, model: str) -> None:
        if response.status_code == 404:
            raise ModelNotFound(
                f"{self.name}: model {model!r} is not on this Ollama ({error_text(body)}); pull it with: ollama pull {model}",
                backend=self.name,
            )
        raise_for_status(response, self.name, body)


async def _lines(response: httpx.Response) -> AsyncIterator[bytes]:
    """The reply's NDJSON lines, as bytes: ``json.loads`` reads UTF-8 bytes itself.

    Split here rather than by httpx's ``aiter_lines``, which first decodes the stream to text
    (and reads a charset out of the Content-Type through ``email.message``): ~10 µs a reply.
    """
    rest = b""
    async for part in response.aiter_bytes():
        *lines, rest = (rest + part).split(b"\n")
        for line in lines:
            yield line
    if rest:
        yield rest
