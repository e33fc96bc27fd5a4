"""Every error localfn reports, each carrying its HTTP status and problem type.

    LocalfnError
    ├── BadRequest                 400  malformed JSON or CloudEvent
    ├── Forbidden                  403  caller not allowed
    ├── NotFound                   404  unknown route or stored object
    ├── MethodNotAllowed           405  a route that does not take that method
    ├── PayloadTooLarge            413  the body, or a photo, over its limit (localfn.limits)
    ├── InvalidInput               422  breaks the request schema, or a field over its limit (field paths)
    ├── Overloaded                 503  a request limit reached (Retry-After)
    ├── Misconfigured              503  a setting names something unusable (the detail says which and why)
    └── EngineError                     anything that went wrong calling a model
        ├── EngineUnavailable      503  cannot connect, or the engine failed (Retry-After)
        │   ├── EngineBusy         503  engine says its queue is full
        │   ├── NoCapacity         503  a pod pool has no ready pod now (the pool goes on, no cool-down)
        │   └── ModelNotFound      503  the configured model is not on the engine
        ├── EngineRejected         502  the engine refused our request (4xx)
        ├── EngineTimeout          504  no answer within the request timeout
        └── StructuredOutputError  502  the reply never matched its JSON Schema

Third-party exceptions (httpx, pydantic, the cloudevents SDK) are translated into these once,
where they are raised; `problems.with_problems` turns any of them into an application/problem+json
response.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, ClassVar

__all__ = [
    "BadRequest",
    "EngineBusy",
    "EngineError",
    "EngineRejected",
    "EngineTimeout",
    "EngineUnavailable",
    "FieldError",
    "Forbidden",
    "InvalidInput",
    "LocalfnError",
    "MethodNotAllowed",
    "Misconfigured",
    "ModelNotFound",
    "NoCapacity",
    "NotFound",
    "Overloaded",
    "PayloadTooLarge",
    "StructuredOutputError",
]


@dataclass(frozen=True)
class FieldError:
    """One problem with one field, located by a JSON-pointer-like path such as ``messages/2/role``."""

    path: str
    message: str

    def as_dict(self) -> dict[str, str]:
        return {"path": self.path, "message": self.message}


class LocalfnError(Exception):
    """Base class: ``status`` and ``slug`` (the problem type) live on each subclass."""

    status: ClassVar[int] = 500
    slug: ClassVar[str] = "internal-error"
    title: ClassVar[str] = "Internal error"
    retryable: ClassVar[bool] = False

    def __init__(self, detail: str, *, errors: list[FieldError] | None = None) -> None:
        super().__init__(detail)
        self.detail = detail
        self.errors = errors or []

    def extra(self) -> dict[str, Any]:
        """Members added to the problem document beyond the RFC 9457 ones."""
        return {}


class BadRequest(LocalfnError):
    status, slug, title = 400, "bad-request", "Malformed request"


class Forbidden(LocalfnError):
    status, slug, title = 403, "forbidden", "Not allowed"


class NotFound(LocalfnError):
    status, slug, title = 404, "not-found", "Not found"


class MethodNotAllowed(LocalfnError):
    status, slug, title = 405, "method-not-allowed", "Method not allowed"


class PayloadTooLarge(LocalfnError):
    status, slug, title = 413, "payload-too-large", "Request too large"


class InvalidInput(LocalfnError):
    status, slug, title = 422, "invalid-input", "Invalid input"


class Overloaded(LocalfnError):
    status, slug, title = 503, "overloaded", "Too many requests in flight"
    retryable = True


class Misconfigured(LocalfnError):
    status, slug, title = 503, "misconfigured", "Misconfigured"


class EngineError(LocalfnError):
    """Something went wrong calling a model; ``backend`` names which engine, when known."""

    status, slug, title = 502, "engine-error", "Engine error"

    def __init__(self, detail: str, *, backend: str | None = None) -> None:
        super().__init__(detail)
        self.backend = backend

    def extra(self) -> dict[str, Any]:
        return {"backend": self.backend} if self.backend else {}


class EngineUnavailable(EngineError):
    status, slug, title = 503, "engine-unavailable", "Engine unavailable"
    retryable = True


class EngineBusy(EngineUnavailable):
    slug, title = "engine-busy", "Engine busy"


class NoCapacity(EngineUnavailable):
    """A pod pool lists no ready pod right now (scaled to zero, or still starting): not a failure.

    The engine pool moves on to the next engine without cooling this one down, so traffic
    comes back as soon as the next look-up finds a pod.
    """

    slug, title = "no-capacity", "No engine capacity now"


class ModelNotFound(EngineUnavailable):
    slug, title = "model-not-found", "Model not available on the engine"
    # Retrying will not help until an operator pulls the model.
    retryable = False


class EngineRejected(EngineError):
    status, slug, title = 502, "engine-rejected", "Engine rejected the request"


class EngineTimeout(EngineError):
    status, slug, title = 504, "engine-timeout", "Engine timed out"


class StructuredOutputError(EngineError):
    """The model's reply still broke its JSON Schema after every repair attempt."""

    status, slug, title = 502, "invalid-model-output", "Model output did not match its schema"

    def __init__(self, detail: str, *, attempts: int, last_output: str, backend: str | None = None) -> None:
        super().__init__(detail, backend=backend)
        self.attempts = attempts
        self.last_output = last_output

    def extra(self) -> dict[str, Any]:
        # The raw output helps whoever tunes prompts; cut so a runaway model cannot bloat errors.
        return {**super().extra(), "attempts": self.attempts, "last_output": self.last_output[:2000]}
