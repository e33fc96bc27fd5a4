"""CloudEvents in and out. The only module that imports the cloudevents SDK.

functions-framework pins the SDK's 1.x API; keeping every use here means a move to 2.x
touches one file. Event types are ``io.localfn.<function>.request`` in and
``io.localfn.<function>.response`` out: a reply never has its request's type, so a
Knative Trigger filtering on requests cannot loop on its own replies.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from cloudevents.conversion import to_binary, to_structured
from cloudevents.exceptions import GenericException
from cloudevents.http.conversion import from_http
from cloudevents.http.event import CloudEvent

from localfn.errors import BadRequest

__all__ = ["IncomingEvent", "encode_event", "encode_reply", "is_cloudevent", "parse_event", "request_type", "response_type"]

_STRUCTURED = "application/cloudevents+json"
_BATCH = "application/cloudevents-batch+json"


def request_type(function: str) -> str:
    return f"io.localfn.{function}.request"


def response_type(function: str) -> str:
    return f"io.localfn.{function}.response"


@dataclass(frozen=True)
class IncomingEvent:
    id: str
    source: str
    type: str
    subject: str | None
    datacontenttype: str | None
    data: Any  # decoded JSON, or bytes/str when the body is not JSON
    structured: bool  # reply in the mode the event came in


def is_cloudevent(headers: Mapping[str, str]) -> bool:
    """Binary mode carries ``ce-specversion``; structured mode has its own content type."""
    content_type = headers.get("content-type", "").split(";")[0].strip().lower()
    return "ce-specversion" in headers or content_type in (_STRUCTURED, _BATCH)


def parse_event(headers: Mapping[str, str], body: bytes) -> IncomingEvent:
    """Decode a CloudEvent from an HTTP request, or raise ``BadRequest`` saying what is wrong."""
    content_type = headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == _BATCH:
        raise BadRequest("batched CloudEvents are not supported: send one event per request")
    if "ce-specversion" in headers:
        # The SDK only sees binary mode when id, source and type are all there; name what is missing.
        missing = [f"ce-{name}" for name in ("id", "source", "type") if not headers.get(f"ce-{name}")]
        if missing:
            raise BadRequest(f"binary-mode CloudEvent is missing the headers {', '.join(missing)}")
    try:
        event = from_http(dict(headers), body)
    except GenericException as exc:
        raise BadRequest(f"not a valid CloudEvent: {exc}") from exc
    except (ValueError, TypeError, AttributeError) as exc:
        # The 1.x SDK lets some malformed structured bodies through as plain Python errors.
        raise BadRequest(f"not a valid CloudEvent: {exc}") from exc
    attributes = event.get_attributes()
    missing = [name for name in ("id", "source", "type") if not attributes.get(name)]
    if missing:
        raise BadRequest(f"CloudEvent is missing required attributes: {', '.join(missing)}")
    return IncomingEvent(
        id=str(attributes["id"]),
        source=str(attributes["source"]),
        type=str(attributes["type"]),
        subject=attributes.get("subject"),
        datacontenttype=attributes.get("datacontenttype"),
        data=event.get_data(),
        structured=content_type == _STRUCTURED,
    )


def encode_event(
    *, type: str, source: str, data: Any, id: str | None = None, subject: str | None = None,
    structured: bool = False, extensions: dict[str, str] | None = None,
) -> tuple[dict[str, str], bytes]:
    """An event with JSON data as HTTP headers and body, in binary or structured mode."""
    attributes = {"id": id or str(uuid.uuid4()), "source": source, "type": type, "datacontenttype": "application/json"}
    if subject:
        attributes["subject"] = subject
    attributes.update(extensions or {})
    event = CloudEvent(attributes, data)
    return to_structured(event) if structured else to_binary(event)


def encode_reply(incoming: IncomingEvent, *, type: str, source: str, data: dict[str, Any]) -> tuple[dict[str, str], bytes]:
    """The reply to ``incoming``, in its mode, correlated by the ``requestid`` extension attribute."""
    return encode_event(
        type=type, source=source, data=data, subject=incoming.subject,
        structured=incoming.structured, extensions={"requestid": incoming.id},
    )
