"""Values as stored in Redis: JSON bytes, never pickle (a shared store must not run code it reads)."""

from __future__ import annotations

import json
from typing import Any, Protocol, TypeVar

from localfn.events import CloudEvent

__all__ = ["EVENTS", "JSON", "Codec"]

V = TypeVar("V")


class Codec(Protocol[V]):
    def encode(self, value: V) -> bytes: ...

    def decode(self, raw: bytes) -> V: ...


class _Json:
    """A JSON document (a capability's answer, as ``model_dump(mode="json")`` gives it)."""

    def encode(self, value: Any) -> bytes:
        return json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode()

    def decode(self, raw: bytes) -> Any:
        return json.loads(raw)


class _Events:
    """A reply CloudEvent: its attributes (id and time included) and JSON data, so another process renders
    the same event in either mode, byte for byte."""

    def encode(self, value: CloudEvent) -> bytes:
        return JSON.encode({"attributes": dict(value.get_attributes()), "data": value.get_data()})

    def decode(self, raw: bytes) -> CloudEvent:
        document = JSON.decode(raw)
        return CloudEvent(document["attributes"], document["data"])


JSON: Codec[Any] = _Json()
EVENTS: Codec[CloudEvent] = _Events()
