"""The Redis keys of one flight, and of a function's totals: user input never becomes key text, only its sha256."""

from __future__ import annotations

import hashlib
from collections.abc import Hashable
from dataclasses import dataclass

from localfn import __version__

__all__ = ["FlightKeys", "done_pattern", "flight_keys", "totals_key"]


@dataclass(frozen=True)
class FlightKeys:
    """``value`` holds the stored answer, ``lease`` the owner's claim; ``done`` is the channel waiters listen on."""

    value: str
    lease: str
    done: str


def flight_keys(prefix: str, kind: str, key: Hashable) -> FlightKeys:
    """The keys of ``key`` in the store ``kind`` ("results", "replies") of the installation ``prefix``.

    ``key`` is a tuple of strings and numbers (``Capability.cache_key``, the event's source and id),
    whose ``repr`` is the same in every process. The digest sits in braces, a Redis Cluster hash tag,
    so a flight's keys share a slot and one script may touch them all. The localfn version is hashed
    in too: during a rolling upgrade, old and new pods never take each other's answers, whose shape
    may differ.
    """
    digest = hashlib.sha256(repr((__version__, key)).encode()).hexdigest()
    base = f"{prefix}:{kind}:{{{digest}}}"
    return FlightKeys(value=f"{base}:value", lease=f"{base}:lease", done=f"{base}:done")


def done_pattern(prefix: str) -> str:
    """The pub/sub pattern matching every ``done`` channel of the installation."""
    return f"{prefix}:*:done"


def totals_key(prefix: str, name: str) -> str:
    """The hash holding the totals ``name`` (e.g. "route-query") of the installation ``prefix``.

    No version in it, unlike a flight's keys: totals go on counting across a rolling upgrade.
    """
    return f"{prefix}:totals:{name}"
