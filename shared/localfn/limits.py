"""The one size rule, for every function and route (README, "Limits").

- **413 payload-too-large**: the whole request body over ``LOCALFN_MAX_BODY_BYTES`` (refused as
  soon as it is passed, before anything is parsed), and a photo's own bytes or pixels
  (``LOCALFN_ANALYZE_PHOTO__MAX_*``), before it is decoded: what is too large to read at all.
- **422 invalid-input**: a field, or fields counted together, over its limit (characters of a
  course, a query, a context; bytes of function schemas). ``errors`` lists every field over
  its limit, ``{"path", "message"}``, and each message names its size, its limit and the
  setting that sets it; the ``detail`` says the same in one line.

A function states its field limits as ``Limit``s and calls ``check`` before any model call.
"""

from __future__ import annotations

from dataclasses import dataclass

from starlette.requests import Request

from localfn.errors import BadRequest, FieldError, InvalidInput, PayloadTooLarge

__all__ = ["Limit", "check", "check_body", "read_body"]


@dataclass(frozen=True)
class Limit:
    """One field's size against its limit: ``path`` as in ``errors``, ``setting`` the LOCALFN_* that sets it."""

    path: str
    size: int
    limit: int
    setting: str
    unit: str = "characters"
    counted: str = ""  # how the size is counted when not plainly, e.g. "context and history together"

    @property
    def message(self) -> str:
        counted = f" ({self.counted})" if self.counted else ""
        return f"{self.size} {self.unit}{counted}, over the limit of {self.limit} ({self.setting})"


def check(*limits: Limit, advice: str) -> None:
    """Nothing when every field is within its limit; else 422 naming each one over it, then ``advice``."""
    errors = [FieldError(limit.path, limit.message) for limit in limits if limit.size > limit.limit]
    if errors:
        raise InvalidInput("; ".join(f"{error.path}: {error.message}" for error in errors) + f"; {advice}", errors=errors)


def check_body(size: int, limit: int) -> None:
    """413 when a body of ``size`` bytes is over ``limit``."""
    if size > limit:
        raise PayloadTooLarge(f"body of {size} bytes is over the limit of {limit} bytes (LOCALFN_MAX_BODY_BYTES)")


async def read_body(request: Request, limit: int) -> bytes:
    """The request body, refused with 413 as soon as it passes ``limit`` bytes."""
    declared = request.headers.get("content-length")
    if declared is not None:
        if not declared.isdigit():
            raise BadRequest(f"Content-Length {declared!r} is not a number")
        check_body(int(declared), limit)
    chunks: list[bytes] = []
    size = 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise PayloadTooLarge(f"body is over the limit of {limit} bytes (LOCALFN_MAX_BODY_BYTES)")
        chunks.append(chunk)
    return b"".join(chunks)
