"""CloudEvents made by the SDK, then changed in one place: the cases the unit and HTTP tests share.

A case is a mode (the SDK's ``to_binary`` or ``to_structured``) and a mutation of the headers
and body it made. ``BROKEN_RULES`` breaks one CloudEvents 1.0 attribute rule each, in each mode
the rule can be broken in: binary mode carries every value as a header string and header names
are case-insensitive, so the extension value rules, the ``data_base64`` rules and upper-case
names are structured-mode only. ``KEPT_RULES`` are events at the edges of those rules that are
valid and must stay accepted.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from cloudevents.conversion import to_binary, to_structured

__all__ = ["BROKEN_RULES", "KEPT_RULES", "Broken", "Encode", "Kept", "Mutation", "base64_data", "header", "member", "replaced_body"]

Mutation = Callable[[dict[str, str], bytes], tuple[dict[str, str], bytes]]
Encode = Callable[..., tuple[dict[str, str], bytes]]
_REMOVED = object()


def header(name: str, value: str | None) -> Mutation:
    """The event with header ``name`` set to ``value`` (None: removed)."""

    def mutate(headers: dict[str, str], body: bytes) -> tuple[dict[str, str], bytes]:
        headers = {k: v for k, v in headers.items() if k != name}
        return ({**headers, name: value} if value is not None else headers), body

    return mutate


def member(name: str, value: Any = _REMOVED) -> Mutation:
    """A structured-mode event with member ``name`` of the JSON object set to ``value`` (none given: removed)."""

    def mutate(headers: dict[str, str], body: bytes) -> tuple[dict[str, str], bytes]:
        document = {k: v for k, v in json.loads(body).items() if k != name}
        return headers, json.dumps({**document, name: value} if value is not _REMOVED else document).encode()

    return mutate


def base64_data(value: Any = None) -> Mutation:
    """A structured-mode event whose data travels as ``data_base64``: ``value``, or by default its own JSON data encoded."""

    def mutate(headers: dict[str, str], body: bytes) -> tuple[dict[str, str], bytes]:
        encoded = base64.b64encode(json.dumps(json.loads(body)["data"]).encode()).decode() if value is None else value
        return member("data_base64", encoded)(*member("data")(headers, body))

    return mutate


def replaced_body(content: bytes) -> Mutation:
    return lambda headers, _: (headers, content)


@dataclass(frozen=True)
class Broken:
    """An event that breaks one rule: the attribute the problem must name, and words of the rule."""

    encode: Encode
    mutate: Mutation
    attribute: str
    rule: str


@dataclass(frozen=True)
class Kept:
    """A valid event at the edge of a rule, which must be accepted as it is now."""

    encode: Encode
    mutate: Mutation


EMPTY = "is empty"
MEDIA_TYPE = "RFC 2046 media type"
URI = "absolute URI"
NAMING = "attribute naming"
TYPES = "type system"
BASE64 = "not base64"


def _in_both_modes(attribute: str, value: str) -> dict[str, tuple[Encode, Mutation]]:
    """``attribute`` set to ``value`` in each mode: its ``ce-`` header (datacontenttype: Content-Type), or its JSON member."""
    name = "content-type" if attribute == "datacontenttype" else f"ce-{attribute}"
    return {"binary": (to_binary, header(name, value)), "structured": (to_structured, member(attribute, value))}


# (case, attribute, value, words of the rule it breaks), the same in both modes.
_BROKEN_IN_BOTH_MODES = [
    ("datacontenttype-empty", "datacontenttype", "", EMPTY),
    ("datacontenttype-no-subtype", "datacontenttype", "json", MEDIA_TYPE),
    ("datacontenttype-space-in-type", "datacontenttype", "application/ json", MEDIA_TYPE),
    ("datacontenttype-bare-parameter", "datacontenttype", "application/json; utf-8", MEDIA_TYPE),
    ("subject-empty", "subject", "", EMPTY),
    ("dataschema-empty", "dataschema", "", EMPTY),
    ("dataschema-relative", "dataschema", "schemas/summarize.json", URI),
    ("dataschema-path", "dataschema", "/schemas/summarize.json", URI),
    ("dataschema-space", "dataschema", "https://example.com/a b", URI),
    ("extension-name-underscore", "trace_parent", "x", NAMING),
    ("extension-name-hyphen", "trace-parent", "x", NAMING),
]
# (case, attribute, value) at the edge of a rule, valid in both modes.
_KEPT_IN_BOTH_MODES = [
    ("extension-string", "tenant", "acme"),
    ("datacontenttype-parameters", "datacontenttype", 'application/json; charset=utf-8;profile="a b"'),
    ("dataschema-url-with-fragment", "dataschema", "https://example.com/s.json#/defs/a"),
    ("dataschema-urn", "dataschema", "urn:uuid:6e8bc430-9c3a-11d9-9669-0800200c9a66"),
]

BROKEN_RULES: dict[str, Broken] = {
    **{
        f"{mode}-{case}": Broken(encode, mutate, attribute, rule)
        for case, attribute, value, rule in _BROKEN_IN_BOTH_MODES
        for mode, (encode, mutate) in _in_both_modes(attribute, value).items()
    },
    # Header names are case-insensitive (ce-TraceParent is the valid traceparent); JSON member names are not.
    "structured-extension-name-upper-case": Broken(to_structured, member("traceParent", "x"), "traceParent", NAMING),
    "structured-extension-fraction": Broken(to_structured, member("priority", 1.5), "priority", TYPES),
    # An Integer is written without a fraction: 2.0 is a float to every JSON reader that tells them apart.
    "structured-extension-integral-float": Broken(to_structured, member("priority", 2.0), "priority", TYPES),
    "structured-extension-over-int32": Broken(to_structured, member("priority", 2**31), "priority", TYPES),
    "structured-extension-under-int32": Broken(to_structured, member("priority", -(2**31) - 1), "priority", TYPES),
    "structured-extension-object": Broken(to_structured, member("tenant", {"id": 7}), "tenant", TYPES),
    "structured-extension-array": Broken(to_structured, member("tags", ["a", "b"]), "tags", TYPES),
    "structured-data-and-data-base64": Broken(to_structured, member("data_base64", "e30="), "data_base64", "both present"),
    "structured-data-base64-bad-character": Broken(to_structured, base64_data("e30=!"), "data_base64", BASE64),
    "structured-data-base64-bad-padding": Broken(to_structured, base64_data("e30"), "data_base64", BASE64),
    "structured-data-base64-line-break": Broken(to_structured, base64_data("e3\n0="), "data_base64", BASE64),
    "structured-data-base64-number": Broken(to_structured, base64_data(7), "data_base64", BASE64),
}

KEPT_RULES: dict[str, Kept] = {
    **{
        f"{mode}-{case}": Kept(encode, mutate)
        for case, attribute, value in _KEPT_IN_BOTH_MODES
        for mode, (encode, mutate) in _in_both_modes(attribute, value).items()
    },
    "binary-extension-integer-as-digits": Kept(to_binary, header("ce-priority", "7")),
    "binary-extension-name-upper-case": Kept(to_binary, header("ce-TraceParent", "00-abc-01")),
    "structured-extension-string-empty": Kept(to_structured, member("tenant", "")),
    "structured-extension-true": Kept(to_structured, member("urgent", True)),
    "structured-extension-int32-max": Kept(to_structured, member("priority", 2**31 - 1)),
    "structured-extension-int32-min": Kept(to_structured, member("priority", -(2**31))),
    "structured-null-subject": Kept(to_structured, member("subject", None)),
    "structured-null-dataschema": Kept(to_structured, member("dataschema", None)),
    "structured-null-datacontenttype": Kept(to_structured, member("datacontenttype", None)),
    "structured-null-extension": Kept(to_structured, member("tenant", None)),
    "structured-data-base64": Kept(to_structured, base64_data()),
}
