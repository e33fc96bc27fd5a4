"""CloudEvents with generated attributes: ``ce-*`` header values against `localfn serve`, and parse_event.

The HTTP binding percent-encodes header values (space, '"', '%' and everything outside
printable ASCII) and wants a receiver to refuse broken escapes and invalid UTF-8. Garbage in
those headers must get a reply event or a 400 problem, never anything else. Any text at all
in ``id`` and ``subject``, however it was encoded (lower-case hex, escapes where none were
needed: both allowed), must come back in the reply encoded the one canonical way. And any
event the cloudevents SDK builds from valid attributes, in either mode, passes parse_event's
attribute rules.
"""

from __future__ import annotations

import itertools
import re
import string
from datetime import UTC, timedelta, timezone
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from cloudevents.conversion import to_binary, to_structured
from cloudevents.http.event import CloudEvent
from hypothesis import given, provisional
from hypothesis import strategies as st

from localfn.events import parse_event
from tests.fuzz.budget import FUZZ, REQUEST_TIMEOUT_S
from tests.support.http_checks import PROBLEM

REQUEST = {"mode": "context", "context": "Photosynthesis turns light, water and carbon dioxide into sugar.", "max_summary_tokens": 16}
ATTRIBUTE_HEADERS = ["ce-id", "ce-source", "ce-type", "ce-specversion", "ce-subject", "ce-time", "ce-dataschema"]
# Printable ASCII (what a header may carry), weighted towards escapes, half-escapes and hex digits.
PIECES = st.sampled_from(["%", "%2", "%C3", "%A9", "%C0%A0", "%zz", *string.printable[:95]])
GARBAGE = st.lists(PIECES, max_size=8).map(lambda pieces: "".join(pieces).strip())
# The binding forbids control characters in attribute values; anything else may travel encoded.
CHARACTERS = st.characters(exclude_categories=("Cs", "Cc"))
TEXT = st.text(CHARACTERS, min_size=1, max_size=30)
# The binding's percent-encoding, written out here rather than taken from localfn.
HEADER_SAFE = "".join(c for c in string.printable[:94] if c not in '"%')


def canonical(text: str) -> str:
    return quote(text, safe=HEADER_SAFE)


def loosely_encoded(text: str) -> str:
    """Every character but letters and digits escaped, in lower-case hex."""
    return re.sub(r"%[0-9A-F]{2}", lambda escape: escape.group().lower(), quote(text, safe=""))


def _valid_event() -> tuple[dict[str, str], bytes]:
    return to_binary(CloudEvent({"type": "io.localfn.summarize.request", "source": "/tests/fuzz", "id": "e"}, REQUEST))


@pytest.mark.parametrize("path", ["/events", "/summarize"])
def test_garbage_in_attribute_headers_gets_a_reply_or_a_400(served: str, path: str) -> None:
    @FUZZ
    @given(garbage=st.dictionaries(st.sampled_from(ATTRIBUTE_HEADERS), GARBAGE, min_size=1, max_size=3))
    def answers(garbage: dict[str, str]) -> None:
        headers, body = _valid_event()
        response = httpx.post(served + path, headers={**headers, **garbage}, content=body, timeout=REQUEST_TIMEOUT_S)
        if response.status_code == 200:
            assert response.headers["ce-type"] == "io.localfn.summarize.response"
        else:
            assert response.status_code == 400, response.text
            assert response.headers["content-type"].startswith(PROBLEM)
            assert response.json()["detail"]

    answers()


def test_any_text_in_id_and_subject_comes_back_in_the_reply(served: str) -> None:
    # A new source for every example: the same (source, id) again is a redelivery, answered with the stored reply.
    sources = (f"/tests/fuzz/{n}" for n in itertools.count())

    @FUZZ
    @given(event_id=TEXT, subject=TEXT)
    def round_trips(event_id: str, subject: str) -> None:
        headers, body = _valid_event()
        headers |= {
            "ce-source": next(sources),
            "ce-id": loosely_encoded(event_id),
            "ce-subject": loosely_encoded(subject),
        }
        response = httpx.post(f"{served}/summarize", headers=headers, content=body, timeout=REQUEST_TIMEOUT_S)
        assert response.status_code == 200, response.text
        assert response.headers["ce-requestid"] == canonical(event_id)
        assert response.headers["ce-subject"] == canonical(subject)

    round_trips()


# Valid attributes, written from the spec rather than from localfn's checks.
# Source: a URI-reference, absolute or a path.
SOURCES = st.one_of(provisional.urls(), st.from_regex(r"/[A-Za-z0-9._~!$&'()*+,;=:@/-]{0,30}", fullmatch=True))
# datacontenttype: RFC 2046 type/subtype of token characters, perhaps with a parameter.
TOKEN = st.text(string.ascii_letters + string.digits + "!#$&^_.+-", min_size=1, max_size=12)
MEDIA_TYPES = st.builds(
    lambda kind, subtype, parameter: f"{kind}/{subtype}{parameter}",
    TOKEN,
    TOKEN,
    st.sampled_from(["", "; charset=utf-8", ';profile="a b"']),
)
TIMES = st.datetimes(timezones=st.sampled_from([UTC, timezone(timedelta(hours=5, minutes=30)), timezone(-timedelta(hours=8))])).map(
    lambda moment: moment.isoformat()
)
# The SDK cannot build extensions named like its own attributes and members (an "extensions" one would replace the rest).
RESERVED = {"specversion", "id", "source", "type", "datacontenttype", "dataschema", "subject", "time", "data", "extensions"}
EXTENSIONS = st.dictionaries(
    st.from_regex(r"[a-z0-9]{1,20}", fullmatch=True).filter(lambda name: name not in RESERVED),
    st.one_of(st.text(CHARACTERS, max_size=20), st.booleans(), st.integers(-(2**31), 2**31 - 1)),
    max_size=4,
)
OPTIONAL = st.fixed_dictionaries(
    {},
    optional={"subject": TEXT, "datacontenttype": MEDIA_TYPES, "dataschema": provisional.urls(), "time": TIMES},
)


def header_value(value: Any) -> str:
    """An attribute as the HTTP binding writes it: its canonical string, percent-encoded (the 1.x SDK does neither)."""
    return canonical(str(value).lower() if isinstance(value, bool) else str(value))


@FUZZ
@given(event_id=TEXT, source=SOURCES, optional=OPTIONAL, extensions=EXTENSIONS, structured=st.booleans())
def test_an_sdk_event_of_valid_attributes_is_accepted(
    event_id: str,
    source: str,
    optional: dict[str, str],
    extensions: dict[str, Any],
    structured: bool,
) -> None:
    attributes = {"type": "io.localfn.summarize.request", "id": event_id, "source": source, **optional, **extensions}
    headers, body = (to_structured if structured else to_binary)(CloudEvent(attributes, REQUEST))
    if not structured:
        headers = {name: header_value(value) if name.startswith("ce-") else value for name, value in headers.items()}
    incoming = parse_event(headers, body)
    assert (incoming.id, incoming.source, incoming.subject) == (event_id, source, optional.get("subject"))
    assert (incoming.datacontenttype, incoming.data, incoming.structured) == (optional.get("datacontenttype"), REQUEST, structured)
