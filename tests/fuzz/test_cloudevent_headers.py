"""Binary-mode CloudEvents with generated ``ce-*`` header values, against `localfn serve`.

The HTTP binding percent-encodes header values (space, '"', '%' and everything outside
printable ASCII) and wants a receiver to refuse broken escapes and invalid UTF-8. Garbage in
those headers must get a reply event or a 400 problem, never anything else. Any text at all
in ``id`` and ``subject``, however it was encoded (lower-case hex, escapes where none were
needed: both allowed), must come back in the reply encoded the one canonical way.
"""

from __future__ import annotations

import itertools
import re
import string
from urllib.parse import quote

import httpx
import pytest
from cloudevents.conversion import to_binary
from cloudevents.http.event import CloudEvent
from hypothesis import given
from hypothesis import strategies as st

from tests.fuzz.budget import FUZZ, REQUEST_TIMEOUT_S
from tests.support.http_checks import PROBLEM

REQUEST = {"mode": "context", "context": "Photosynthesis turns light, water and carbon dioxide into sugar.", "max_summary_tokens": 16}
ATTRIBUTE_HEADERS = ["ce-id", "ce-source", "ce-type", "ce-specversion", "ce-subject", "ce-time", "ce-dataschema"]
# Printable ASCII (what a header may carry), weighted towards escapes, half-escapes and hex digits.
PIECES = st.sampled_from(["%", "%2", "%C3", "%A9", "%C0%A0", "%zz", *string.printable[:95]])
GARBAGE = st.lists(PIECES, max_size=8).map(lambda pieces: "".join(pieces).strip())
# The binding forbids control characters in attribute values; anything else may travel encoded.
TEXT = st.text(st.characters(exclude_categories=("Cs", "Cc")), min_size=1, max_size=30)
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
