"""One Ollama server's models, as an operator manages them: list, pull, warm (load), unload.

Ollama's own API does the work: ``/api/tags`` (models on disk), ``/api/ps`` (models in memory,
``size_vram`` the part on the GPU), ``/api/pull`` (streamed NDJSON progress, one line per
step, an error as a last ``{"error"}`` line under HTTP 200), ``/api/generate`` with no prompt
and a ``keep_alive`` (loads the model and keeps it that long; ``0`` unloads it).

Every failure becomes one `OllamaAdminError` whose message says what to do next.
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import httpx

__all__ = ["LoadedModel", "OllamaAdmin", "OllamaAdminError", "PullStep", "StoredModel", "loaded_models", "runs_on"]

# Model names and sizes cross a pull's minutes; connecting is quick or it is not there.
TIMEOUT = httpx.Timeout(30.0, connect=5.0)
PULL_TIMEOUT = httpx.Timeout(None, connect=5.0)  # a large layer can go quiet for minutes


class OllamaAdminError(Exception):
    """Something an operator must fix; the message says what."""


@dataclass(frozen=True)
class StoredModel:
    """A model on the server's disk (``/api/tags``)."""

    name: str
    size_bytes: int


@dataclass(frozen=True)
class LoadedModel:
    """A model in the server's memory (``/api/ps``); ``size_vram`` bytes of it on the GPU."""

    name: str
    size_bytes: int
    size_vram: int
    expires_at: str

    @property
    def processor(self) -> str:
        """Where it runs, as `ollama ps` says it: "100% GPU", "100% CPU" or a split."""
        if not self.size_bytes or self.size_vram >= self.size_bytes:
            return "100% GPU" if self.size_vram else "100% CPU"
        gpu = round(100 * self.size_vram / self.size_bytes)
        return f"{100 - gpu}%/{gpu}% CPU/GPU" if gpu else "100% CPU"


def loaded_models(ps: dict[str, Any]) -> list[LoadedModel]:
    """The models of an ``/api/ps`` answer (asked directly, or through the Kubernetes API server's pod proxy)."""
    return [
        LoadedModel(m["name"], int(m.get("size", 0)), int(m.get("size_vram", 0)), m.get("expires_at", "")) for m in ps.get("models", [])
    ]


def runs_on(loaded: list[LoadedModel]) -> str:
    """Where a server runs its loaded models: "GPU" when any part of one is in VRAM, "CPU", or "" (none loaded)."""
    if not loaded:
        return ""
    return "GPU" if any(model.size_vram for model in loaded) else "CPU"


@dataclass(frozen=True)
class PullStep:
    """One line of a pull's progress: a layer (``digest``) with bytes done of ``total``, or a plain status."""

    status: str
    digest: str = ""
    total: int = 0
    completed: int = 0


def _advice(message: str, name: str, *, pulling: bool = False) -> str:
    """Ollama's error text, with what to do about it."""
    lowered = message.lower()
    if "no space left" in lowered:
        return (
            f"Ollama's model store is full pulling {name} ({message}): free space in OLLAMA_MODELS, "
            "or in a cluster enlarge the model cache (ollama.<pool>.persistence.size) and recreate the PVC"
        )
    if pulling and ("file does not exist" in lowered or "not found" in lowered):
        return f"Ollama's registry has no model {name!r} ({message}): check the name and tag at https://ollama.com/library"
    if "not found" in lowered:
        return f"the server has no model {name!r} ({message}): `localfn models pull {name}` first"
    return f"Ollama failed on {name}: {message}"


class OllamaAdmin:
    """The models of the Ollama at ``url``; the caller owns ``client`` (a plain `httpx.Client`)."""

    def __init__(self, url: str, client: httpx.Client) -> None:
        self.url = url.rstrip("/")
        self._client = client

    def stored(self) -> list[StoredModel]:
        body = self._get("/api/tags")
        return [StoredModel(m["name"], int(m.get("size", 0))) for m in body.get("models", [])]

    def loaded(self) -> list[LoadedModel]:
        return loaded_models(self._get("/api/ps"))

    def pull(self, name: str) -> Iterator[PullStep]:
        """Pull ``name``, yielding each progress line; raises `OllamaAdminError` when the pull fails."""
        with (
            self._errors(),
            self._client.stream("POST", f"{self.url}/api/pull", json={"model": name}, timeout=PULL_TIMEOUT) as response,
        ):
            if response.is_error:
                raise OllamaAdminError(_advice(_error_text(response.read()), name, pulling=True))
            for line in response.iter_lines():
                if line.strip():
                    yield _step(json.loads(line), name)

    def warm(self, name: str, keep_alive: str) -> None:
        """Load ``name`` into memory and keep it there for ``keep_alive`` (a duration, "-1" for ever)."""
        self._generate(name, keep_alive)

    def unload(self, name: str) -> None:
        """Drop ``name`` from memory now (it stays on disk)."""
        self._generate(name, 0)

    def _generate(self, name: str, keep_alive: str | int) -> None:
        # No prompt: Ollama only loads the model (or, with keep_alive 0, unloads it).
        body = {"model": name, "keep_alive": _duration(keep_alive), "stream": False}
        with self._errors():
            response = self._client.post(f"{self.url}/api/generate", json=body, timeout=TIMEOUT)
        if response.is_error:
            raise OllamaAdminError(_advice(_error_text(response.content), name))

    def _get(self, path: str) -> dict[str, Any]:
        with self._errors():
            response = self._client.get(f"{self.url}{path}", timeout=TIMEOUT)
        if response.is_error:
            raise OllamaAdminError(f"GET {self.url}{path} answered HTTP {response.status_code}: {_error_text(response.content)}")
        try:
            return dict(response.json())
        except ValueError as exc:
            raise OllamaAdminError(f"GET {self.url}{path} did not answer JSON: is {self.url} an Ollama?") from exc

    @contextlib.contextmanager
    def _errors(self) -> Iterator[None]:
        """httpx's exceptions as `OllamaAdminError`, saying what to start or where to point."""
        try:
            yield
        except httpx.ConnectError as exc:
            raise OllamaAdminError(
                f"no Ollama answers at {self.url} ({exc}): start one (`ollama serve`), or point --ollama-url "
                "(LOCALFN_OLLAMA_URL) at one; in a cluster, `kubectl port-forward svc/<release>-ollama-gpu 11434`"
            ) from exc
        except httpx.HTTPError as exc:
            raise OllamaAdminError(f"Ollama at {self.url} failed: {exc!r}") from exc


def _duration(keep_alive: str | int) -> str | int:
    """Ollama takes a duration string ("30m") or seconds; "-1" (stay loaded) is sent as the number."""
    if isinstance(keep_alive, str) and keep_alive.lstrip("-").isdigit():
        return int(keep_alive)
    return keep_alive


def _step(line: dict[str, Any], name: str) -> PullStep:
    if "error" in line:
        raise OllamaAdminError(_advice(str(line["error"]), name, pulling=True))
    return PullStep(str(line.get("status", "")), line.get("digest", ""), int(line.get("total", 0)), int(line.get("completed", 0)))


def _error_text(raw: bytes) -> str:
    try:
        return str(json.loads(raw)["error"])
    except (ValueError, KeyError, TypeError):
        return raw.decode(errors="replace").strip() or "no detail"
