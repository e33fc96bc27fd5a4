"""localfn.events: CloudEvents in (binary and structured mode) and replies out, checked with the SDK."""

from __future__ import annotations

import json
from importlib import resources

import jsonschema
import pytest
from cloudevents.conversion import to_binary, to_structured
from cloudevents.http import CloudEvent
from cloudevents.http.conversion import from_http

from localfn.errors import BadRequest
from localfn.events import IncomingEvent, encode_event, is_cloudevent, parse_event, reply_event, request_type, response_type, to_http
from tests.support.cloudevent_cases import BROKEN_RULES, KEPT_RULES, Broken, Kept, member

ATTRIBUTES = {
    "id": "evt-1",
    "source": "/apps/chat",
    "type": request_type("summarize"),
    "subject": "conversation-42",
    "datacontenttype": "application/json",
}
DATA = {"mode": "context", "context": "Photosynthesis converts light."}


def cloudevents_schema() -> dict:
    text = (resources.files("localfn.assets") / "specs/cloudevents/cloudevents.json").read_text(encoding="utf-8")
    return json.loads(text)


def event(**overrides: str) -> CloudEvent:
    return CloudEvent({**ATTRIBUTES, **overrides}, DATA)


@pytest.mark.parametrize(("convert", "structured"), [(to_binary, False), (to_structured, True)], ids=["binary", "structured"])
def test_parse_event_reads_both_modes(convert, structured: bool) -> None:
    headers, body = convert(event())
    incoming = parse_event(headers, body)

    assert (incoming.id, incoming.source, incoming.type, incoming.subject) == (
        "evt-1",
        "/apps/chat",
        "io.localfn.summarize.request",
        "conversation-42",
    )
    assert incoming.data == DATA
    assert incoming.structured is structured


@pytest.mark.parametrize(
    ("headers", "expected"),
    [
        ({"ce-specversion": "1.0", "content-type": "application/json"}, True),
        ({"ce-id": "1", "ce-source": "/a", "ce-type": "t", "content-type": "application/json"}, True),
        ({"content-type": "application/cloudevents+json; charset=utf-8"}, True),
        ({"content-type": "Application/CloudEvents-Batch+JSON"}, True),
        ({"content-type": "application/json"}, False),
        ({}, False),
    ],
    ids=["binary", "binary-without-specversion", "structured", "batch", "plain-json", "no-headers"],
)
def test_is_cloudevent(headers: dict[str, str], expected: bool) -> None:
    assert is_cloudevent(headers) is expected


def test_a_batch_is_a_bad_request() -> None:
    _, body = to_structured(event())
    with pytest.raises(BadRequest, match="batch"):
        parse_event({"content-type": "application/cloudevents-batch+json"}, b"[" + body + b"]")


def test_a_request_in_neither_mode_is_a_bad_request_saying_how_to_send_an_event() -> None:
    with pytest.raises(BadRequest, match="not a CloudEvent: send ce-"):
        parse_event({"content-type": "application/json"}, json.dumps(DATA).encode())


def test_a_structured_body_that_is_not_json_is_a_bad_request() -> None:
    with pytest.raises(BadRequest):
        parse_event({"content-type": "application/cloudevents+json"}, b"{not json")


def test_a_structured_event_without_source_is_a_bad_request_naming_it() -> None:
    headers, body = to_structured(event())
    payload = json.loads(body)
    del payload["source"]
    with pytest.raises(BadRequest, match="source"):
        parse_event(headers, json.dumps(payload).encode())


def test_a_binary_event_without_source_is_a_bad_request() -> None:
    headers, body = to_binary(event())
    del headers["ce-source"]
    with pytest.raises(BadRequest):
        parse_event(headers, body)


def test_a_binary_event_without_source_is_a_bad_request_naming_it() -> None:
    headers, body = to_binary(event())
    del headers["ce-source"]
    with pytest.raises(BadRequest, match="source"):
        parse_event(headers, body)


def reply_to(incoming: IncomingEvent, data: dict) -> tuple[dict[str, str], bytes]:
    """The reply to ``incoming`` in the mode it came in, as the function host sends it."""
    return to_http(reply_event(incoming, type=response_type("summarize"), source="/localfn", data=data), incoming.structured)


@pytest.mark.parametrize(("convert", "structured"), [(to_binary, False), (to_structured, True)], ids=["binary", "structured"])
def test_a_reply_answers_in_the_incoming_mode(convert, structured: bool) -> None:
    incoming = parse_event(*convert(event()))
    headers, body = reply_to(incoming, {"summary": "short"})
    reply = from_http(headers, body)

    assert reply["type"] == "io.localfn.summarize.response"
    assert reply["source"] == "/localfn"
    assert reply["subject"] == "conversation-42"
    assert reply["requestid"] == "evt-1"
    assert reply["id"] != "evt-1"
    assert reply.get_data() == {"summary": "short"}
    content_type = headers.get("content-type", "")
    assert content_type.startswith("application/cloudevents+json") is structured


def test_a_structured_reply_matches_the_cloudevents_json_schema() -> None:
    incoming = parse_event(*to_structured(event()))
    _, body = reply_to(incoming, {"summary": "short"})
    document = json.loads(body)

    jsonschema.Draft7Validator(cloudevents_schema()).validate(document)
    assert document["specversion"] == "1.0"
    assert document["requestid"] == "evt-1"


def test_a_reply_without_subject_has_none() -> None:
    incoming = parse_event(*to_binary(CloudEvent({k: v for k, v in ATTRIBUTES.items() if k != "subject"}, DATA)))
    reply = from_http(*reply_to(incoming, {}))
    assert "subject" not in reply.get_attributes()


def test_binary_attributes_travel_percent_encoded_and_come_back_decoded() -> None:
    text = 'Euro \u20ac "100%" \U0001f600'
    headers, body = encode_event(type=request_type("summarize"), source="/apps/chat", data=DATA, id=text, subject=text)

    assert all(value.isascii() and " " not in value for name, value in headers.items() if name.startswith("ce-"))
    incoming = parse_event(headers, body)
    assert (incoming.id, incoming.subject) == (text, text)


def test_a_structured_event_is_read_from_its_body_even_with_ce_headers() -> None:
    # The binding lets structured mode repeat attributes as headers; the body is the event.
    headers, body = to_structured(event())
    incoming = parse_event({**headers, "ce-specversion": "1.0", "ce-id": "header-id"}, body)
    assert (incoming.id, incoming.data, incoming.structured) == ("evt-1", DATA, True)


@pytest.mark.parametrize("time", ["2025-06-01T12:00:00Z", "2025-06-01t12:00:00.123456+02:00", "2024-02-29T23:59:59-05:30"])
def test_an_rfc3339_time_is_accepted(time: str) -> None:
    assert parse_event(*to_binary(event(time=time))).id == "evt-1"


@pytest.mark.parametrize("time", ["yesterday", "2025-06-01", "2025-06-01 12:00:00Z", "2025-02-30T10:00:00Z", "2025-06-01T12:00:00"])
def test_a_time_that_is_not_an_rfc3339_timestamp_is_a_bad_request(time: str) -> None:
    with pytest.raises(BadRequest, match="RFC 3339"):
        parse_event(*to_structured(event(time=time)))


@pytest.mark.parametrize("case", BROKEN_RULES.values(), ids=BROKEN_RULES.keys())
def test_an_event_breaking_an_attribute_rule_is_a_bad_request_naming_the_attribute_and_rule(case: Broken) -> None:
    with pytest.raises(BadRequest) as raised:
        parse_event(*case.mutate(*case.encode(event())))
    assert case.attribute in raised.value.detail and case.rule in raised.value.detail
    assert [error.path for error in raised.value.errors] == [case.attribute]


@pytest.mark.parametrize("case", KEPT_RULES.values(), ids=KEPT_RULES.keys())
def test_an_event_at_the_edge_of_an_attribute_rule_is_accepted(case: Kept) -> None:
    incoming = parse_event(*case.mutate(*case.encode(event())))
    assert (incoming.id, incoming.data, incoming.structured) == ("evt-1", DATA, case.encode is to_structured)


def test_null_optional_attributes_in_json_are_absent() -> None:
    headers, body = to_structured(event())
    for name in ("subject", "datacontenttype", "dataschema"):
        headers, body = member(name, None)(headers, body)
    incoming = parse_event(headers, body)
    assert (incoming.subject, incoming.datacontenttype, incoming.data) == (None, None, DATA)


def test_every_broken_attribute_rule_is_named_in_one_bad_request() -> None:
    headers, body = to_structured(event(subject="", dataschema="schema.json"))
    headers, body = member("Tenant", "acme")(*member("priority", 0.5)(headers, body))
    with pytest.raises(BadRequest) as raised:
        parse_event(headers, body)
    assert sorted(error.path for error in raised.value.errors) == ["Tenant", "dataschema", "priority", "subject"]
    assert all(error.message in raised.value.detail for error in raised.value.errors)


def test_a_binary_event_names_the_header_datacontenttype_came_in() -> None:
    headers, body = to_binary(event())
    with pytest.raises(BadRequest, match=r"datacontenttype 'json' .* RFC 2046") as raised:
        parse_event({**headers, "content-type": "json"}, body)
    assert "Content-Type" in raised.value.detail


def test_a_problem_does_not_echo_a_large_extension_value() -> None:
    headers, body = member("tenant", {"rows": list(range(1000))})(*to_structured(event()))
    with pytest.raises(BadRequest, match="tenant") as raised:
        parse_event(headers, body)
    assert len(raised.value.detail) < 400


def test_a_problem_details_five_broken_rules_and_lists_them_all() -> None:
    headers, body = to_structured(event())
    for number in range(8):
        headers, body = member(f"ext{number}", [number])(headers, body)
    with pytest.raises(BadRequest, match="and 3 more in errors") as raised:
        parse_event(headers, body)
    assert [error.path for error in raised.value.errors] == [f"ext{number}" for number in range(8)]
    assert "ext4" in raised.value.detail and "ext5" not in raised.value.detail
