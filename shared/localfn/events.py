"""CloudEvents in and out. The only module that imports the cloudevents SDK.

functions-framework pins the SDK's 1.x API; keeping every use here means a move to 2.x
touches one file. Event types are ``io.localfn.<function>.request`` in and
``io.localfn.<function>.response`` out: a reply never has its request's type, so a
Knative Trigger filtering on requests cannot loop on its own replies.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote, unquote_to_bytes

from cloudevents.conversion import to_binary, to_structured
from cloudevents.exceptions import GenericException
from cloudevents.http.conversion import from_http
from cloudevents.http.event import CloudEvent

from localfn.errors import BadRequest

__all__ = [
    "CloudEvent", "IncomingEvent", "encode_event", "is_cloudevent", "new_event", "parse_event", "reply_event", "request_type",
    "response_type", "to_http",
]

_STRUCTURED = "application/cloudevents+json"
_BATCH = "application/cloudevents-batch+json"
_REQUIRED = ("specversion", "id", "source", "type")
# The attributes the JSON event format defines as strings (extensions may be other JSON types).
_STRING_ATTRIBUTES = ("specversion", "id", "source", "type", "datacontenttype", "dataschema", "subject", "time")
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
# RFC 3339 date-time (CloudEvents' Timestamp); fromisoformat then checks the values themselves.
_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})")
# HTTP binding 3.1.3.2: space, '"', '%' and everything outside printable ASCII are percent-encoded.
_HEADER_SAFE = "".join(chr(c) for c in range(0x21, 0x7F) if chr(c) not in '"%')


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


def _content_type(headers: Mapping[str, str]) -> str:
    return headers.get("content-type", "").split(";")[0].strip().lower()


def _is_binary(headers: Mapping[str, str]) -> bool:
    # Any required attribute header, not only ce-specversion: a sender that forgot one still meant an event.
    return any(f"ce-{name}" in headers for name in _REQUIRED)


def is_cloudevent(headers: Mapping[str, str]) -> bool:
    """Binary mode carries ``ce-*`` attribute headers; structured mode has its own content type."""
    return _is_binary(headers) or _content_type(headers) in (_STRUCTURED, _BATCH)


def _percent_decode(name: str, value: str) -> str:
    """One round of percent-decoding (HTTP binding 3.1.3.2): a broken escape or invalid UTF-8 is refused."""
    bad = _BAD_ESCAPE.search(value)
    if bad:
        escape = value[bad.start() : bad.start() + 3]
        raise BadRequest(f"header {name} has an invalid percent-encoding {escape!r}: write '%' as '%25'")
    try:
        return unquote_to_bytes(value).decode("utf-8")
    except UnicodeDecodeError as exc:
        raise BadRequest(f"header {name} percent-decodes to invalid UTF-8: encode the value's UTF-8 bytes") from exc


def _binary_headers(headers: Mapping[str, str]) -> dict[str, str]:
    """The headers with every ``ce-*`` value percent-decoded, after checking the required ones are there."""
    # The SDK only sees binary mode when all are there; name what is missing instead.
    missing = [f"ce-{name}" for name in _REQUIRED if not headers.get(f"ce-{name}")]
    if missing:
        raise BadRequest(f"binary-mode CloudEvent is missing the headers {', '.join(missing)}")
    return {
        name: _percent_decode(name, value) if name.lower().startswith("ce-") else value
        for name, value in headers.items()
    }


def _check_structured(body: bytes) -> None:
    """A structured-mode body is a JSON object; said here because the SDK's errors echo the whole body."""
    try:
        document = json.loads(body)
    except ValueError as exc:
        raise BadRequest(f"structured-mode CloudEvent body is not valid JSON: {exc}") from exc
    if not isinstance(document, dict):
        raise BadRequest(f"structured-mode CloudEvent body must be a JSON object, not {type(document).__name__}")


def _is_timestamp(value: str) -> bool:
    if not _RFC3339.fullmatch(value):
        return False
    try:
        datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
    except ValueError:  # 2025-02-30, 25:00 and the like
        return False
    return True


def parse_event(headers: Mapping[str, str], body: bytes) -> IncomingEvent:
    """Decode a CloudEvent from an HTTP request, or raise ``BadRequest`` saying what is wrong."""
    content_type = _content_type(headers)
    if content_type == _BATCH:
        raise BadRequest("batched CloudEvents are not supported: send one event per request")
    if content_type == _STRUCTURED:
        _check_structured(body)
        # Structured mode may repeat attributes as ce-* headers (binding 3.2.3), but the body is
        # the event; the SDK would take those headers for binary mode.
        headers = {name: value for name, value in headers.items() if not name.lower().startswith("ce-")}
    elif _is_binary(headers):
        headers = _binary_headers(headers)
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
    not_strings = [name for name in _STRING_ATTRIBUTES if not isinstance(attributes.get(name, ""), str)]
    if not_strings:
        raise BadRequest(f"CloudEvent attributes must be strings: {', '.join(not_strings)}")
    if "time" in attributes and not _is_timestamp(attributes["time"]):
        raise BadRequest(f"CloudEvent attribute time {attributes['time']!r} is not an RFC 3339 timestamp such as 2025-06-01T12:00:00Z")
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
    return to_http(new_event(type=type, source=source, data=data, id=id, subject=subject, extensions=extensions), structured)


def new_event(
    *, type: str, source: str, data: Any, id: str | None = None, subject: str | None = None,
    extensions: dict[str, str] | None = None,
) -> CloudEvent:
    """An event with JSON data; its id (a new UUID unless given) and time are fixed from here on."""
    attributes = {"id": id or str(uuid.uuid4()), "source": source, "type": type, "datacontenttype": "application/json"}
    if subject:
        attributes["subject"] = subject
    attributes.update(extensions or {})
    return CloudEvent(attributes, data)


def to_http(event: CloudEvent, structured: bool) -> tuple[dict[str, str], bytes]:
    """``event`` as HTTP headers and body in the mode asked for."""
    if structured:
        return to_structured(event)
    headers, body = to_binary(event)
    # The 1.x SDK writes header values as they are; the HTTP binding wants them percent-encoded.
    encoded = {key: quote(value, safe=_HEADER_SAFE) if key.startswith("ce-") else value for key, value in headers.items()}
    return encoded, body


def reply_event(incoming: IncomingEvent, *, type: str, source: str, data: dict[str, Any]) -> CloudEvent:
    """The reply to ``incoming``, correlated by the ``requestid`` extension attribute.

    Render it with ``to_http(reply, incoming.structured)``: a redelivery may come in the other mode.
    """
    return new_event(type=type, source=source, data=data, subject=incoming.subject, extensions={"requestid": incoming.id})
