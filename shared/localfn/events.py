"""CloudEvents in and out. The only module that imports the cloudevents SDK.

functions-framework pins the SDK's 1.x API; keeping every use here means a move to 2.x
touches one file. Event types are ``io.localfn.<function>.request`` in and
``io.localfn.<function>.response`` out: a reply never has its request's type, so a
Knative Trigger filtering on requests cannot loop on its own replies.
"""

from __future__ import annotations

import base64
import json
import re
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from urllib.parse import quote, unquote_to_bytes

from cloudevents.conversion import to_binary, to_structured
from cloudevents.exceptions import GenericException
from cloudevents.http.conversion import from_http
from cloudevents.http.event import CloudEvent

from localfn.errors import BadRequest, FieldError

__all__ = [
    "CloudEvent",
    "IncomingEvent",
    "encode_event",
    "is_cloudevent",
    "new_event",
    "parse_event",
    "reply_event",
    "request_type",
    "response_type",
    "to_http",
]

_STRUCTURED = "application/cloudevents+json"
_BATCH = "application/cloudevents-batch+json"
_REQUIRED = ("specversion", "id", "source", "type")
# The context attributes, all strings in the JSON event format; any other attribute is an extension.
_STRING_ATTRIBUTES = ("specversion", "id", "source", "type", "datacontenttype", "dataschema", "subject", "time")
# The members of a structured-mode event that are not attributes (JSON event format 3.1).
_DATA_MEMBERS = ("data", "data_base64")
# Core spec, attribute naming: lower-case ASCII letters and digits only.
_ATTRIBUTE_NAME = re.compile(r"[a-z0-9]+")
# Core spec, type system: extension values are strings, booleans or 32-bit integers.
_INTEGER = range(-(2**31), 2**31)
# RFC 2045 token: printable US-ASCII but the tspecials ()<>@,;:\"/[]?=
_TOKEN = r"[!#$%&'*+\-.0-9A-Z^_`a-z{|}~]+"
# RFC 2046 media type: type/subtype, then parameters whose values are tokens or quoted strings.
_MEDIA_TYPE = re.compile(rf'{_TOKEN}/{_TOKEN}(?:[ \t]*;[ \t]*{_TOKEN}=(?:{_TOKEN}|"(?:[^"\\\r\n]|\\.)*"))*')
# RFC 3986 URI: a scheme, ':', then URI characters or percent-escapes (a fragment may follow, as the JSON schema's "uri").
_ABSOLUTE_URI = re.compile(r"[A-Za-z][A-Za-z0-9+.\-]*:(?:[A-Za-z0-9\-._~:/?#\[\]@!$&'()*+,;=]|%[0-9A-Fa-f]{2})*")
_BAD_ESCAPE = re.compile(r"%(?![0-9A-Fa-f]{2})")
# RFC 3339 date-time (CloudEvents' Timestamp); fromisoformat then checks the values themselves.
_RFC3339 = re.compile(r"\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})")
# HTTP binding 3.1.3.2: space, '"', '%' and everything outside printable ASCII are percent-encoded.
_HEADER_SAFE = "".join(chr(c) for c in range(0x21, 0x7F) if chr(c) not in '"%')
# How a binary-mode problem names the event, so an attribute named in it can be found among the headers.
_BINARY_EVENT = "binary-mode CloudEvent (attributes in ce-* headers, datacontenttype in Content-Type)"


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
    return {name: _percent_decode(name, value) if name.lower().startswith("ce-") else value for name, value in headers.items()}


def _structured_document(body: bytes) -> dict[str, Any]:
    """A structured-mode body is a JSON object; said here because the SDK's errors echo the whole body."""
    try:
        document = json.loads(body)
    except ValueError as exc:
        raise BadRequest(f"structured-mode CloudEvent body is not valid JSON: {exc}") from exc
    if not isinstance(document, dict):
        raise BadRequest(f"structured-mode CloudEvent body must be a JSON object, not {type(document).__name__}")
    return document


def _is_timestamp(value: str) -> bool:
    if not _RFC3339.fullmatch(value):
        return False
    try:
        datetime.fromisoformat(value.upper().replace("Z", "+00:00"))
    except ValueError:  # 2025-02-30, 25:00 and the like
        return False
    return True


@dataclass(frozen=True)
class _Rule:
    """A rule a context attribute's string value keeps, and what a value that breaks it is."""

    keeps: Callable[[str], object]
    broken: str


_PRESENT = _Rule(bool, "is empty: leave the attribute out instead (CloudEvents 1.0: an optional attribute, if present, is not empty)")
# The rules beyond "is a string", checked in order, the first broken one reported.
_ATTRIBUTE_RULES: dict[str, tuple[_Rule, ...]] = {
    "datacontenttype": (
        _PRESENT,
        _Rule(_MEDIA_TYPE.fullmatch, "is not an RFC 2046 media type such as application/json (CloudEvents 1.0: datacontenttype)"),
    ),
    "dataschema": (_PRESENT, _Rule(_ABSOLUTE_URI.fullmatch, "is not an absolute URI (CloudEvents 1.0: URI)")),
    "subject": (_PRESENT,),
    "time": (_Rule(_is_timestamp, "is not an RFC 3339 timestamp such as 2025-06-01T12:00:00Z (CloudEvents 1.0: Timestamp)"),),
}


def _shown(value: Any) -> str:
    """A value as the sender wrote it, cut short: a problem must not echo a whole payload."""
    text = repr(value) if isinstance(value, str) else json.dumps(value)
    return text if len(text) <= 60 else f"{text[:57]}..."


def _is_extension_value(value: Any) -> bool:
    return isinstance(value, str | bool) or (isinstance(value, int) and value in _INTEGER)


def _attribute_problem(name: str, value: Any) -> str | None:
    """What is wrong with one attribute as it arrived, or None when it keeps every rule."""
    if not _ATTRIBUTE_NAME.fullmatch(name):
        return f"attribute name {_shown(name)} may hold only lower-case letters a-z and digits 0-9 (CloudEvents 1.0: attribute naming)"
    if name not in _STRING_ATTRIBUTES:
        if _is_extension_value(value):
            return None
        return (
            f"extension {name} {_shown(value)} is not a CloudEvents value: send a string, a boolean or an integer "
            f"from {_INTEGER.start} to {_INTEGER.stop - 1} (CloudEvents 1.0: type system)"
        )
    if not isinstance(value, str):
        return f"{name} {_shown(value)} is not a string (CloudEvents 1.0: String)"
    broken = next((rule for rule in _ATTRIBUTE_RULES.get(name, ()) if not rule.keeps(value)), None)
    return f"{name} {_shown(value)} {broken.broken}" if broken else None


def _attribute_problems(attributes: Mapping[str, Any]) -> list[FieldError]:
    return [FieldError(name, problem) for name, value in attributes.items() if (problem := _attribute_problem(name, value))]


def _is_base64(value: Any) -> bool:
    try:
        base64.b64decode(value, validate=True)
    except (ValueError, TypeError):  # binascii.Error is a ValueError; TypeError: not a string
        return False
    return True


def _data_problems(document: Mapping[str, Any]) -> list[FieldError]:
    """JSON event format 3.1: binary data travels as base64 in ``data_base64``, and never beside ``data``."""
    if "data_base64" not in document:
        return []
    if "data" in document:
        return [FieldError("data_base64", "data and data_base64 are both present: send one (CloudEvents JSON format: data)")]
    if not _is_base64(document["data_base64"]):
        shown = _shown(document["data_base64"])
        return [FieldError("data_base64", f"data_base64 {shown} is not base64 (CloudEvents JSON format: RFC 4648 base64)")]
    return []


def _refuse_any(problems: list[FieldError], event: str) -> None:
    """One ``BadRequest``: every broken rule in ``errors`` (the attribute as path), the first five in the detail."""
    if problems:
        more = f"; and {len(problems) - 5} more in errors" if len(problems) > 5 else ""
        summary = "; ".join(problem.message for problem in problems[:5])
        raise BadRequest(f"{event} breaks CloudEvents 1.0: {summary}{more}", errors=problems)


def _structured_attributes(document: Mapping[str, Any]) -> dict[str, Any]:
    # JSON event format 3.1: a null attribute is one left out.
    return {name: value for name, value in document.items() if name not in _DATA_MEMBERS and value is not None}


def _binary_attributes(headers: Mapping[str, str]) -> dict[str, str]:
    """The attributes of decoded binary-mode headers: ``ce-<name>``, and Content-Type as datacontenttype.

    HTTP header names are case-insensitive, so an extension's name is the header's after ``ce-``,
    lower-cased: ``ce-TraceParent`` is ``traceparent``, and ``ce-trace_parent`` breaks the naming rule.
    """
    attributes = {name[3:].lower(): value for name, value in headers.items() if name.lower().startswith("ce-")}
    content_type = next((value for name, value in headers.items() if name.lower() == "content-type"), None)
    if content_type is not None:
        attributes["datacontenttype"] = content_type
    return attributes


def parse_event(headers: Mapping[str, str], body: bytes) -> IncomingEvent:
    """Decode a CloudEvent from an HTTP request, or raise ``BadRequest`` saying what is wrong.

    Every attribute keeps the CloudEvents 1.0 rules (``_attribute_problem``): a lower-case name,
    a string for the context attributes (no empty optional ones, datacontenttype a media type,
    dataschema an absolute URI, time a timestamp), a string, boolean or 32-bit integer for an
    extension. Binary mode carries every value as a header string, so there an integer extension
    is its digits. A structured-mode body also keeps the JSON format's data rules (``_data_problems``).
    """
    content_type = _content_type(headers)
    if content_type == _BATCH:
        raise BadRequest("batched CloudEvents are not supported: send one event per request")
    if content_type == _STRUCTURED:
        document = _structured_document(body)
        _refuse_any(_attribute_problems(_structured_attributes(document)) + _data_problems(document), "structured-mode CloudEvent")
        # Structured mode may repeat attributes as ce-* headers (binding 3.2.3), but the body is
        # the event; the SDK would take those headers for binary mode.
        headers = {name: value for name, value in headers.items() if not name.lower().startswith("ce-")}
    elif _is_binary(headers):
        headers = _binary_headers(headers)
        _refuse_any(_attribute_problems(_binary_attributes(headers)), _BINARY_EVENT)
    else:
        raise BadRequest(f"not a CloudEvent: send ce-* attribute headers (binary mode) or a {_STRUCTURED} body (structured mode)")
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
    *,
    type: str,
    source: str,
    data: Any,
    id: str | None = None,
    subject: str | None = None,
    structured: bool = False,
    extensions: dict[str, str] | None = None,
) -> tuple[dict[str, str], bytes]:
    """An event with JSON data as HTTP headers and body, in binary or structured mode."""
    return to_http(new_event(type=type, source=source, data=data, id=id, subject=subject, extensions=extensions), structured)


def new_event(
    *,
    type: str,
    source: str,
    data: Any,
    id: str | None = None,
    subject: str | None = None,
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
