"""Translating HTTP failures into engine errors, once, for every backend."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx

from localfn.errors import EngineBusy, EngineError, EngineRejected, EngineTimeout, EngineUnavailable

__all__ = ["engine_errors", "error_text", "raise_for_status"]


@asynccontextmanager
async def engine_errors(backend: str, url: str) -> AsyncIterator[None]:
    """Turn httpx transport exceptions raised inside the block into engine errors."""
    try:
        yield
    except EngineError:
        raise
    except httpx.ConnectTimeout as exc:
        raise EngineUnavailable(f"{backend} at {url}: connection timed out", backend=backend) from exc
    except httpx.ConnectError as exc:
        raise EngineUnavailable(f"{backend} at {url}: cannot connect ({exc})", backend=backend) from exc
    except httpx.TimeoutException as exc:
        raise EngineTimeout(f"{backend} at {url}: no answer in time", backend=backend) from exc
    except (httpx.RemoteProtocolError, httpx.ReadError) as exc:
        # The engine dropped the connection mid-answer: it crashed or was killed.
        raise EngineUnavailable(f"{backend} at {url}: connection dropped ({exc})", backend=backend) from exc
    except httpx.HTTPError as exc:
        raise EngineUnavailable(f"{backend} at {url}: {exc}", backend=backend) from exc


def error_text(body: bytes) -> str:
    """The error message of an engine reply: Ollama's {"error": "..."} or OpenAI's {"error": {"message"}}."""
    try:
        payload = json.loads(body)
    except ValueError:
        return body.decode("utf-8", "replace")[:500]
    error = payload.get("error", payload) if isinstance(payload, dict) else payload
    if isinstance(error, dict):
        error = error.get("message", error)
    return str(error)[:500]


def raise_for_status(response: httpx.Response, backend: str, body: bytes) -> None:
    """Map a non-2xx engine answer to the error a caller can act on."""
    if response.is_success:
        return
    message = f"{backend}: HTTP {response.status_code}: {error_text(body)}"
    if response.status_code in (429, 503):
        raise EngineBusy(message, backend=backend)
    if response.status_code >= 500:
        raise EngineUnavailable(message, backend=backend)
    raise EngineRejected(message, backend=backend)
