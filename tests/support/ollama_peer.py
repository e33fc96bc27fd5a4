"""OllamaPeer: a named fake of the Ollama HTTP API, backed by a real llama-server.

No Ollama binary can run on the test machines, but llama.cpp's llama-server can. This
Starlette app speaks Ollama's API (assets/specs/ollama/openapi.yaml plus the behaviour noted
in assets/specs/SOURCES.md) and forwards generation to llama-server's OpenAI-compatible
/v1/chat/completions, so tests exercise real tokens, real JSON-schema constrained output and
real timing through the same wire format the product meets in production.

It is strict and observable:
* every request body and every response body (each NDJSON line too) is checked against the
  spec; problems land in `violations` (requests that break the spec also get a 400);
* every /api/* request is kept in `requests`, images in `images`;
* `fault` and `delay_s` inject the failures a real Ollama shows under load or when it crashes,
  or a model's reply that is not JSON, not the shape asked for, or one sentence looping;
  `pull` adds a model later; `hold` (an unset ``threading.Event``) keeps every generation
  waiting before its first token until the test sets it;
* `registry` holds the models POST /api/pull can fetch, each streaming progress per layer as
  Ollama does; `pull_fault` fails a pull the ways a real one fails (a full disk).
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime
import hashlib
import json
import re
import threading
import time
from collections.abc import AsyncGenerator, AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any, Literal

import httpx
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response, StreamingResponse
from starlette.types import Receive, Scope, Send

from tests.support.ollama_spec import (
    ERROR_SCHEMA,
    JSON,
    NDJSON,
    ollama_routes,
    ollama_spec,
    request_schema,
    response_schema,
)

VERSION = "0.12.6"
MODIFIED_AT = "2025-01-01T00:00:00Z"
# Ollama's own texts, so clients that match on them behave as they would in production.
BUSY = "server busy, please try again.  maximum pending requests exceeded"
RUNNER_CRASHED = "llama runner process has terminated: exit status 2"
MID_STREAM_ERROR = "an error was encountered while running the model: unexpected EOF"
PROSE = "Sure! Here is what you asked for, in plain words rather than JSON."
# Valid JSON of the wrong shape: an array where every format this project sends asks for an object.
OFF_SCHEMA = '["valid JSON", "but an array where the format asked for an object"]'
UPSTREAM_TIMEOUT = httpx.Timeout(300.0, connect=5.0)

# A model stuck in a loop: one sentence, again and again, far past any client's patience.
LOOPING_SENTENCE = "The model says the same sentence once more."
LOOP = (LOOPING_SENTENCE + " ") * 2000

# Ollama's texts for a pull that fails: a name its registry does not have, a model store that is full.
PULL_UNKNOWN = "pull model manifest: file does not exist"
DISK_FULL = "write /root/.ollama/models/blobs/partial: no space left on device"
PULL_CHUNKS = 4  # progress lines per layer

Fault = Literal["busy", "error", "not_json", "off_schema", "loop", "drop_mid_stream", "error_mid_stream"]
# Faults that replace the model's text (its tokens still come from llama-server, so usage is real).
REPLACEMENTS: dict[Fault, str] = {"not_json": PROSE, "off_schema": OFF_SCHEMA, "loop": LOOP}
Wrap = Callable[[str], dict[str, Any]]

# Ollama option -> llama-server request field. num_ctx has no per-request equivalent (the
# context size is fixed when llama-server starts), so it is dropped.
OPTION_FIELDS = {
    "temperature": "temperature",
    "top_p": "top_p",
    "top_k": "top_k",
    "min_p": "min_p",
    "seed": "seed",
    "stop": "stop",
    "num_predict": "max_tokens",
    "repeat_penalty": "repeat_penalty",
}


class _HttpError(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


class _Truncated(Response):
    """A 200 response that sends its first bytes and then stops, like a crashed server.

    Returning without the final ASGI body message makes uvicorn close the connection in the
    middle of the chunked body, which clients see as an incomplete read.
    """

    def __init__(self, first: bytes) -> None:
        super().__init__(media_type=NDJSON)
        self.first = first

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", NDJSON.encode())]})
        await send({"type": "http.response.body", "body": self.first, "more_body": True})


@dataclass
class _Turn:
    """One generation forwarded to llama-server; its statistics fill in while it streams."""

    response: httpx.Response
    replacement: str | None  # text to send instead of the model's (see REPLACEMENTS)
    started_ns: int  # when the request arrived: Ollama's total_duration covers waiting too
    done_reason: str = "stop"
    prompt_tokens: int = 0
    completion_tokens: int = 0
    prompt_ns: int = 0
    eval_ns: int = 0

    async def pieces(self) -> AsyncGenerator[str, None]:
        """Content pieces, as llama-server streams them (server-sent events)."""
        try:
            async for line in self.response.aiter_lines():
                if not line.startswith("data: ") or line == "data: [DONE]":
                    continue
                event = json.loads(line.removeprefix("data: "))
                self._note(event)
                for choice in event.get("choices", []):
                    text = choice.get("delta", {}).get("content")
                    if text and self.replacement is None:
                        yield text
        finally:
            await self.response.aclose()
        if self.replacement is not None:
            for word in re.findall(r"\S+\s*", self.replacement):
                yield word

    def _note(self, event: dict[str, Any]) -> None:
        for choice in event.get("choices", []):
            if choice.get("finish_reason"):
                self.done_reason = choice["finish_reason"]
        if usage := event.get("usage"):
            self.prompt_tokens = usage["prompt_tokens"]
            self.completion_tokens = usage["completion_tokens"]
        if timings := event.get("timings"):
            self.prompt_ns = int(timings["prompt_ms"] * 1e6)
            self.eval_ns = int(timings["predicted_ms"] * 1e6)

    def summary(self) -> dict[str, Any]:
        """The final chunk's fields; Ollama reports durations in nanoseconds."""
        return {
            "done": True,
            "done_reason": self.done_reason,
            "total_duration": time.perf_counter_ns() - self.started_ns,
            "load_duration": 0,  # llama-server keeps its model resident
            "prompt_eval_count": self.prompt_tokens,
            "prompt_eval_duration": self.prompt_ns,
            "eval_count": self.completion_tokens,
            "eval_duration": self.eval_ns,
        }


@dataclass(frozen=True)
class Published:
    """A model Ollama's registry has: what llama-server serves it as once pulled, and its layers' sizes."""

    upstream: str
    layers: tuple[int, ...] = (4_000_000, 1_024, 512)


def _now(after: datetime.timedelta = datetime.timedelta()) -> str:
    moment = datetime.datetime.now(datetime.UTC) + after
    return moment.isoformat().replace("+00:00", "Z")


def _unloads(keep_alive: str | float | None) -> bool:
    """Whether keep_alive asks to unload now: 0 seconds, or a zero duration string ("0", "0s", "0m")."""
    if isinstance(keep_alive, str):
        try:
            return float(keep_alive.rstrip("hmnsuµ")) == 0
        except ValueError:
            return False
    return keep_alive == 0


def _details() -> dict[str, Any]:
    return {
        "parent_model": "",
        "format": "gguf",
        "family": "llama",
        "families": ["llama"],
        "parameter_size": "unknown",
        "quantization_level": "unknown",
    }


def _digest(name: str) -> str:
    return hashlib.sha256(name.encode()).hexdigest()


def _chat_content(text: str) -> dict[str, Any]:
    return {"message": {"role": "assistant", "content": text}}


def _generate_content(text: str) -> dict[str, Any]:
    return {"response": text}


class OllamaPeer:
    """Ollama's HTTP API in front of a llama-server; itself an ASGI app (see `serve_in_thread`).

    `models` maps Ollama model names ("tiny:latest") to llama-server model ids/aliases;
    `capabilities` lists what /api/show reports per model (default ["completion"]).
    """

    def __init__(
        self,
        upstream: str,
        models: dict[str, str],
        *,
        capabilities: dict[str, list[str]] | None = None,
        upstream_connections: int | None = None,
    ) -> None:
        self.upstream = upstream.rstrip("/")
        # Several peers in front of one llama-server under a burst: a bound on connections makes the
        # rest wait here, as requests beyond OLLAMA_NUM_PARALLEL wait inside Ollama; and no keep-alive,
        # since llama-server closes idle connections as the peer reuses them (a spurious 500).
        # Otherwise idle upstream connections are dropped after 2 s, as localfn's own client does: llama-server
        # closes them after 5 s, httpx's default expiry, and reusing one as it closes fails the same way.
        self._limits = (
            httpx.Limits(max_connections=upstream_connections, max_keepalive_connections=0)
            if upstream_connections
            else httpx.Limits(max_connections=100, max_keepalive_connections=20, keepalive_expiry=2.0)
        )
        self.models = dict(models)
        self.capabilities = {name: list((capabilities or {}).get(name, ["completion"])) for name in self.models}
        self.requests: list[tuple[str, Any]] = []
        self.violations: list[str] = []
        self.images: list[str] = []
        self.loaded: list[str] = []
        self.fault: Fault | None = None
        self.delay_s: float = 0.0
        self.hold: threading.Event | None = None
        self.registry: dict[str, Published] = {}
        # Bytes of a loaded model on the GPU, as /api/ps reports (size_vram); none: it runs on the CPU.
        self.vram: dict[str, int] = {}
        self.pull_fault: Literal["disk_full"] | None = None
        self._spec = ollama_spec()
        self._client: httpx.AsyncClient | None = None
        self.app = Starlette(
            routes=ollama_routes(self),
            exception_handlers={_HttpError: self._on_error},
            lifespan=self._lifespan,
        )

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        await self.app(scope, receive, send)

    def pull(self, name: str, upstream: str, capabilities: tuple[str, ...] = ("completion",)) -> None:
        """Make `name` ("llama3.1:8b") available from now on, as `ollama pull` would."""
        self.capabilities[name] = list(capabilities)  # first: a request may look it up once `models` has it
        self.models[name] = upstream

    @contextlib.asynccontextmanager
    async def _lifespan(self, app: Starlette) -> AsyncIterator[None]:
        async with httpx.AsyncClient(base_url=self.upstream, timeout=UPSTREAM_TIMEOUT, limits=self._limits) as client:
            self._client = client
            try:
                yield
            finally:
                self._client = None

    # --- wire helpers -------------------------------------------------------------------

    async def _intake(self, request: Request) -> dict[str, Any]:
        """Parse, record and spec-check a POST body; a body that breaks the spec gets a 400."""
        path = request.url.path
        request.state.started_ns = time.perf_counter_ns()
        raw = await request.body()
        body: dict[str, Any]
        problem: str | None
        try:
            body = json.loads(raw)
        except ValueError as exc:
            self.requests.append((path, raw.decode(errors="replace")))
            problem = f"request body is not JSON: {exc}"
        else:
            self.requests.append((path, body))
            problem = self._spec.problem(request_schema(path), body)
        if problem:
            self.violations.append(f"{path} request: {problem}")
            raise _HttpError(400, problem)
        return body

    def _encode(self, pointer: str, payload: dict[str, Any], path: str) -> bytes:
        """Serialize a response body, noting (never suppressing) spec violations."""
        if problem := self._spec.problem(pointer, payload):
            self.violations.append(f"{path} response: {problem}")
        return json.dumps(payload, ensure_ascii=False).encode()

    def _respond(self, request: Request, payload: dict[str, Any], status: int = 200) -> Response:
        path = request.url.path
        method = "get" if request.method == "HEAD" else request.method.lower()  # Starlette adds HEAD to GET routes
        pointer = response_schema(path, method, JSON) if status == 200 else ERROR_SCHEMA
        return Response(self._encode(pointer, payload, path), status, media_type=f"{JSON}; charset=utf-8")

    async def _on_error(self, request: Request, exc: Exception) -> Response:
        assert isinstance(exc, _HttpError)
        return self._respond(request, {"error": exc.message}, exc.status)

    def _model(self, name: str) -> str:
        """The configured name for `name`; like Ollama, a bare name means name:latest."""
        for candidate in (name, f"{name}:latest"):
            if candidate in self.models:
                return candidate
        raise _HttpError(404, f'model "{name}" not found, try pulling it first')

    def _take_images(self, request_model: str, name: str, images: list[str]) -> None:
        # Recorded for tests to inspect, then dropped: the text model upstream cannot see them.
        self.images.extend(images)
        if images and "vision" not in self.capabilities[name]:
            raise _HttpError(400, f'"{request_model}" does not support vision')

    def _keep(self, name: str, keep_alive: str | float | None) -> bool:
        """/api/ps bookkeeping; returns whether the model was unloaded."""
        if name in self.loaded:
            self.loaded.remove(name)
        if _unloads(keep_alive):
            return True
        self.loaded.append(name)
        return False

    async def _gate(self, fault: Fault | None, body: dict[str, Any]) -> None:
        """Faults that hit before any token: a full queue answers at once, a crash after the delay."""
        if fault == "busy":
            raise _HttpError(503, BUSY)
        if self.delay_s:
            await asyncio.sleep(self.delay_s)
        if self.hold is not None:
            # Set by the test from its own thread and event loop.
            await asyncio.to_thread(self.hold.wait)
        # Without a stream there is no "mid-stream": the crash becomes a plain 500.
        if fault == "error" or (fault == "error_mid_stream" and not body.get("stream", True)):
            raise _HttpError(500, RUNNER_CRASHED)

    # --- metadata routes ----------------------------------------------------------------

    async def _root(self, request: Request) -> Response:
        return PlainTextResponse("Ollama is running")

    async def _version(self, request: Request) -> Response:
        self.requests.append((request.url.path, None))
        return self._respond(request, {"version": VERSION})

    async def _tags(self, request: Request) -> Response:
        self.requests.append((request.url.path, None))
        models = [
            {
                "name": name,
                "model": name,
                "modified_at": MODIFIED_AT,
                "size": 0,
                "digest": _digest(name),
                "details": _details(),
            }
            for name in self.models
        ]
        return self._respond(request, {"models": models})

    async def _ps(self, request: Request) -> Response:
        self.requests.append((request.url.path, None))
        expires_at = _now(datetime.timedelta(minutes=5))
        models = [
            {
                "name": name,
                "model": name,
                "size": self.vram.get(name, 0),
                "digest": _digest(name),
                "details": _details(),
                "expires_at": expires_at,
                "size_vram": self.vram.get(name, 0),
            }
            for name in self.loaded
        ]
        return self._respond(request, {"models": models})

    async def _show(self, request: Request) -> Response:
        body = await self._intake(request)
        name = self._model(body["model"])
        payload = {
            "parameters": "",
            "license": "",
            "modified_at": MODIFIED_AT,
            "template": "",
            "details": _details(),
            "capabilities": self.capabilities[name],
            "model_info": {"general.architecture": "llama"},
        }
        return self._respond(request, payload)

    async def _pull(self, request: Request) -> Response:
        body = await self._intake(request)
        name = body["model"] if ":" in body["model"] else f"{body['model']}:latest"
        published = self.registry.get(name)
        events = self._pull_events(name, published)
        if not body.get("stream", True):
            last = events[-1]
            if "error" in last:
                raise _HttpError(500, last["error"])
            return self._respond(request, last)
        path = request.url.path
        chunk_schema = response_schema(path, "post", NDJSON)
        lines = [self._encode(ERROR_SCHEMA if "error" in e else chunk_schema, e, path) + b"\n" for e in events]
        if published is not None and "error" not in events[-1]:
            self.pull(name, published.upstream)
        return StreamingResponse(iter(lines), media_type=NDJSON)

    def _pull_events(self, name: str, published: Published | None) -> list[dict[str, Any]]:
        """The lines a pull streams: the manifest, each layer's progress, the checks, then success or an error."""
        events: list[dict[str, Any]] = [{"status": "pulling manifest"}]
        if published is None:
            return [*events, {"error": PULL_UNKNOWN}]
        for index, total in enumerate(published.layers):
            digest = f"sha256:{_digest(f'{name}/{index}')}"
            for step in range(1, PULL_CHUNKS + 1):
                events.append(
                    {"status": f"pulling {digest[7:19]}", "digest": digest, "total": total, "completed": total * step // PULL_CHUNKS}
                )
                if self.pull_fault == "disk_full" and step == 2:
                    return [*events, {"error": DISK_FULL}]
        return [*events, {"status": "verifying sha256 digest"}, {"status": "writing manifest"}, {"status": "success"}]

    # --- generation routes --------------------------------------------------------------

    async def _chat(self, request: Request) -> Response:
        body = await self._intake(request)
        name = self._model(body["model"])
        messages = body["messages"]
        self._take_images(body["model"], name, [image for m in messages for image in m.get("images", [])])
        fault = self.fault
        await self._gate(fault, body)
        if not messages:  # Ollama's way to load or unload a model
            return self._load(request, body, name, _chat_content)
        # Only role and content go upstream: images were taken above, tools the model cannot use.
        forwarded = [{"role": m["role"], "content": m["content"]} for m in messages]
        return await self._reply(request, body, name, forwarded, fault, _chat_content)

    async def _generate(self, request: Request) -> Response:
        body = await self._intake(request)
        name = self._model(body["model"])
        images = body.get("images", [])
        self._take_images(body["model"], name, images)
        fault = self.fault
        await self._gate(fault, body)
        if not body.get("prompt") and not images:  # Ollama's way to load or unload a model
            return self._load(request, body, name, _generate_content)
        system = [{"role": "system", "content": body["system"]}] if body.get("system") else []
        messages = [*system, {"role": "user", "content": body.get("prompt", "")}]
        return await self._reply(request, body, name, messages, fault, _generate_content)

    def _load(self, request: Request, body: dict[str, Any], name: str, wrap: Wrap) -> Response:
        unloaded = self._keep(name, body.get("keep_alive"))
        payload = {
            "model": body["model"],
            "created_at": _now(),
            **wrap(""),
            "done": True,
            "done_reason": "unload" if unloaded else "load",
        }
        return self._respond(request, payload)

    def _upstream_payload(self, name: str, messages: list[dict[str, str]], body: dict[str, Any]) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "model": self.models[name],
            "messages": messages,
            "stream": True,  # always stream upstream: one code path, and real token timing
            "stream_options": {"include_usage": True},
        }
        options = body.get("options") or {}
        payload.update({theirs: options[ours] for ours, theirs in OPTION_FIELDS.items() if ours in options})
        if payload.get("max_tokens", 0) < 0:  # Ollama's -1 (no limit) and -2 (fill context)
            del payload["max_tokens"]
        fmt = body.get("format")
        if fmt == "json":
            payload["response_format"] = {"type": "json_object"}
        elif isinstance(fmt, dict):
            payload["response_format"] = {"type": "json_schema", "json_schema": {"name": "format", "schema": fmt}}
        elif fmt not in (None, ""):
            raise _HttpError(400, f'invalid format {fmt!r}: expected "json" or a JSON schema')
        return payload

    async def _start(self, payload: dict[str, Any], replacement: str | None, started_ns: int) -> _Turn:
        assert self._client is not None, "serve the peer with its lifespan (serve_in_thread does)"
        request = self._client.build_request("POST", "/v1/chat/completions", json=payload)
        try:
            response = await self._client.send(request, stream=True)
        except httpx.HTTPError as exc:
            raise _HttpError(500, f"llama-server unreachable: {exc!r}") from exc
        if response.status_code != 200:
            detail = (await response.aread()).decode(errors="replace")
            await response.aclose()
            raise _HttpError(500, f"llama-server answered {response.status_code}: {detail}")
        return _Turn(response, replacement, started_ns)

    async def _reply(
        self,
        request: Request,
        body: dict[str, Any],
        name: str,
        messages: list[dict[str, str]],
        fault: Fault | None,
        wrap: Wrap,
    ) -> Response:
        path = request.url.path
        payload = self._upstream_payload(name, messages, body)
        replacement = REPLACEMENTS.get(fault) if fault else None
        if replacement is not None:
            # The text is replaced anyway: one real token keeps the call real without waiting for the rest.
            payload["max_tokens"] = 1
        self._keep(name, body.get("keep_alive"))
        turn = await self._start(payload, replacement, request.state.started_ns)
        chunk_schema = response_schema(path, "post", NDJSON)

        def stamped(fields: dict[str, Any]) -> dict[str, Any]:
            return {"model": body["model"], "created_at": _now(), **fields}

        def chunk(fields: dict[str, Any]) -> bytes:
            return self._encode(chunk_schema, stamped(fields), path) + b"\n"

        if fault == "drop_mid_stream":
            async with contextlib.aclosing(turn.pieces()) as pieces:
                first = await anext(pieces, "")
            return _Truncated(chunk({**wrap(first), "done": False}))

        if not body.get("stream", True):
            text = "".join([piece async for piece in turn.pieces()])
            return self._respond(request, stamped({**wrap(text), **turn.summary()}))

        async def lines() -> AsyncIterator[bytes]:
            async with contextlib.aclosing(turn.pieces()) as pieces:
                async for piece in pieces:
                    yield chunk({**wrap(piece), "done": False})
                    if fault == "error_mid_stream":
                        break
            if fault == "error_mid_stream":
                # Ollama keeps the 200 it already sent and reports the crash as a last line.
                yield self._encode(ERROR_SCHEMA, {"error": MID_STREAM_ERROR}, path) + b"\n"
                return
            yield chunk({**wrap(""), **turn.summary()})

        return StreamingResponse(lines(), media_type=NDJSON)
