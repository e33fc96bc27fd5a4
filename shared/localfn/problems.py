"""Errors as RFC 9457 ``application/problem+json`` responses."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from functools import wraps

from pydantic import ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from localfn.errors import FieldError, InvalidInput, LocalfnError

__all__ = ["PROBLEM_TYPE", "invalid_input", "problem_response", "with_problems"]

log = logging.getLogger("localfn")

PROBLEM_TYPE = "urn:localfn:problem:{slug}"

Endpoint = Callable[[Request], Awaitable[Response]]


def invalid_input(exc: ValidationError, what: str = "request") -> InvalidInput:
    """A pydantic error as a 422 whose field paths say exactly what to fix."""
    errors = [FieldError("/".join(str(part) for part in error["loc"]) or "(root)", error["msg"]) for error in exc.errors()]
    summary = "; ".join(f"{e.path}: {e.message}" for e in errors[:5])
    return InvalidInput(f"the {what} does not match its schema: {summary}", errors=errors)


def problem_response(error: LocalfnError, *, instance: str, retry_after_s: int) -> JSONResponse:
    body = {
        "type": PROBLEM_TYPE.format(slug=error.slug),
        "title": error.title,
        "status": error.status,
        "detail": error.detail,
        "instance": instance,
        **error.extra(),
    }
    if error.errors:
        body["errors"] = [e.as_dict() for e in error.errors]
    headers = {"Retry-After": str(retry_after_s)} if error.retryable else None
    return JSONResponse(body, status_code=error.status, headers=headers, media_type="application/problem+json")


def with_problems(endpoint: Endpoint, retry_after_s: Callable[[], int]) -> Endpoint:
    # retry_after_s is a callable because settings are read on first use, not at import.
    """Wrap an endpoint so every error leaves it as problem+json, unexpected ones as a logged 500."""

    @wraps(endpoint)
    async def wrapped(request: Request) -> Response:
        try:
            return await endpoint(request)
        except LocalfnError as exc:
            return problem_response(exc, instance=request.url.path, retry_after_s=retry_after_s())
        except Exception:
            log.exception("unexpected error on %s %s", request.method, request.url.path)
            error = LocalfnError("an unexpected error occurred; it has been logged")
            return problem_response(error, instance=request.url.path, retry_after_s=retry_after_s())

    return wrapped
