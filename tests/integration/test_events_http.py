"""CloudEvents in and out, made and read with the cloudevents SDK, checked against the official schema."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path
from typing import Any

import jsonschema
import pytest
from cloudevents.conversion import to_binary, to_structured
from cloudevents.http.conversion import from_http
from cloudevents.http.event import CloudEvent

from localfn.settings import BackendSettings
from tests.support.cloudevent_cases import BROKEN_RULES, KEPT_RULES, Broken, Kept, Mutation, header, member, replaced_body
from tests.support.http_checks import assert_problem
from tests.support.localfn_app import backend, engine_calls, make_settings, serve_client
from tests.support.ollama_peer import OllamaPeer

TEXT = (Path(__file__).parents[1] / "fixtures" / "photosynthesis.txt").read_text()
SCHEMA = json.loads(resources.files("localfn.assets").joinpath("specs/cloudevents/cloudevents.json").read_text())
# One paragraph: a single engine call, so call counts below are exact.
REQUEST = {"mode": "context", "context": TEXT.split("\n\n")[0], "max_summary_tokens": 40}


def summarize_event(**attributes: str) -> CloudEvent:
    return CloudEvent({"type": "io.localfn.summarize.request", "source": "/tests/lms", "subject": "course-42", **attributes}, REQUEST)


def reply_as_json(headers: dict, body: bytes) -> dict:
    """The reply in the JSON event format, to validate against the CloudEvents schema."""
    event = from_http(dict(headers), body)
    return {**event.get_attributes(), "data": event.get_data()}


@pytest.mark.parametrize("encode", [to_binary, to_structured], ids=["binary", "structured"])
@pytest.mark.parametrize("path", ["/summarize", "/events"])
async def test_request_event_gets_a_reply_event(tiny_backend: BackendSettings, encode, path: str) -> None:
    headers, body = encode(summarize_event())
    async with serve_client(make_settings(tiny_backend, cache_ttl_s=0)) as (client, _):
        response = await client.post(path, headers=headers, content=body)
    assert response.status_code == 200, response.text
    reply = reply_as_json(response.headers, response.content)
    jsonschema.Draft7Validator(SCHEMA).validate(reply)
    assert reply["type"] == "io.localfn.summarize.response"
    assert reply["subject"] == "course-42"
    assert reply["source"] == "/localfn/summarize"
    assert reply["data"]["tokens_after"] <= 40
    structured = response.headers["content-type"].startswith("application/cloudevents+json")
    assert structured is (encode is to_structured)


@pytest.mark.parametrize(
    ("first_mode", "again_mode"),
    [(to_binary, to_binary), (to_structured, to_structured), (to_binary, to_structured), (to_structured, to_binary)],
    ids=["binary", "structured", "binary-then-structured", "structured-then-binary"],
)
async def test_a_redelivered_event_gets_the_stored_reply_in_its_own_mode_without_a_model_call(
    tiny_backend: BackendSettings, first_mode: Any, again_mode: Any
) -> None:
    async with serve_client(make_settings(tiny_backend, cache_ttl_s=0)) as (client, holder):
        replies = []
        for encode in (first_mode, again_mode):
            headers, body = encode(summarize_event(id="delivery-1"))
            replies.append(await client.post("/summarize", headers=headers, content=body))
        calls = engine_calls(await holder.get())
    assert [reply.status_code for reply in replies] == [200, 200]
    for reply, encode in zip(replies, (first_mode, again_mode), strict=True):
        structured = reply.headers["content-type"].startswith("application/cloudevents+json")
        assert structured is (encode is to_structured)
    # Same id, time, attributes and data: the stored reply, not a second one.
    assert reply_as_json(replies[0].headers, replies[0].content) == reply_as_json(replies[1].headers, replies[1].content)
    assert calls == 1


async def test_same_id_from_another_source_is_a_new_event(tiny_backend: BackendSettings) -> None:
    async with serve_client(make_settings(tiny_backend, cache_ttl_s=0)) as (client, holder):
        for source in ("/a", "/b"):
            headers, body = to_binary(summarize_event(id="same", source=source))
            assert (await client.post("/summarize", headers=headers, content=body)).status_code == 200
        assert engine_calls(await holder.get()) == 2


async def test_event_of_another_function_type_is_400(tiny_backend: BackendSettings) -> None:
    headers, body = to_binary(CloudEvent({"type": "io.localfn.route-query.request", "source": "/t"}, {"query": "hi"}))
    unknown_headers, unknown_body = to_binary(CloudEvent({"type": "io.localfn.translate.request", "source": "/t"}, {"text": "hi"}))
    async with serve_client(make_settings(tiny_backend)) as (client, _):
        direct = await client.post("/summarize", headers=headers, content=body)
        routed = await client.post("/events", headers=unknown_headers, content=unknown_body)
    assert direct.status_code == 400 and "io.localfn.summarize.request" in direct.json()["detail"]
    assert routed.status_code == 400 and "no function handles" in routed.json()["detail"]


UNKNOWN_TYPE = "io.localfn.translate.request"
# (mode, mutation of a valid SDK-made event, words the problem's detail must contain)
MALFORMED = {
    **{f"binary-missing-{a}": (to_binary, header(f"ce-{a}", None), f"ce-{a}") for a in ("id", "source", "specversion", "type")},
    **{f"structured-missing-{a}": (to_structured, member(a), a) for a in ("id", "source", "specversion", "type")},
    "binary-specversion-9.9": (to_binary, header("ce-specversion", "9.9"), "specversion 9.9"),
    "structured-specversion-9.9": (to_structured, member("specversion", "9.9"), "specversion 9.9"),
    "binary-bad-escape-in-source": (to_binary, header("ce-source", "%zz"), "ce-source"),
    "binary-cut-escape-in-id": (to_binary, header("ce-id", "evt%2"), "ce-id"),
    # The binding's own example of an escape that must be refused: an overlong UTF-8 encoding of a space.
    "binary-overlong-utf8-in-subject": (to_binary, header("ce-subject", "a%C0%A0b"), "ce-subject"),
    "structured-broken-json": (to_structured, replaced_body(b'{"specversion": "1.0", "id": '), "not valid JSON"),
    "structured-array": (to_structured, replaced_body(b"[]"), "JSON object"),
    "structured-number-id": (to_structured, member("id", 7), "id"),
    "binary-array-data": (to_binary, replaced_body(b"[1, 2]"), "JSON object"),
    "binary-broken-json-data": (to_binary, replaced_body(b'{"mode": '), "JSON object"),
    "structured-string-data": (to_structured, member("data", "summarize this"), "JSON object"),
    "binary-time-not-a-timestamp": (to_binary, header("ce-time", "yesterday"), "RFC 3339"),
    "structured-time-out-of-range": (to_structured, member("time", "2025-02-30T10:00:00Z"), "RFC 3339"),
    "binary-unknown-type": (to_binary, header("ce-type", UNKNOWN_TYPE), UNKNOWN_TYPE),
    "structured-unknown-type": (to_structured, member("type", UNKNOWN_TYPE), UNKNOWN_TYPE),
    "batch": (to_structured, header("content-type", "application/cloudevents-batch+json"), "batch"),
}


@pytest.mark.parametrize("path", ["/events", "/summarize"])
@pytest.mark.parametrize(("encode", "mutate", "named"), MALFORMED.values(), ids=MALFORMED.keys())
async def test_malformed_events_are_400_naming_the_fault_without_a_model_call(
    ollama_peer: tuple[OllamaPeer, str],
    path: str,
    encode: Any,
    mutate: Mutation,
    named: str,
) -> None:
    peer, url = ollama_peer
    headers, content = mutate(*encode(summarize_event(id="evt-1")))
    async with serve_client(make_settings(backend("peer", url, "tiny", kind="ollama"))) as (client, _):
        response = await client.post(path, headers=headers, content=content)
    assert named in assert_problem(response, 400, "bad-request")["detail"]
    assert peer.requests == [], "a malformed event reached the engine"


@pytest.mark.parametrize("path", ["/events", "/summarize"])
@pytest.mark.parametrize("case", BROKEN_RULES.values(), ids=BROKEN_RULES.keys())
async def test_events_breaking_an_attribute_rule_are_400_naming_the_attribute_and_rule(
    ollama_peer: tuple[OllamaPeer, str],
    path: str,
    case: Broken,
) -> None:
    peer, url = ollama_peer
    headers, content = case.mutate(*case.encode(summarize_event(id="evt-1")))
    async with serve_client(make_settings(backend("peer", url, "tiny", kind="ollama"))) as (client, _):
        response = await client.post(path, headers=headers, content=content)
    problem = assert_problem(response, 400, "bad-request")
    assert case.attribute in problem["detail"] and case.rule in problem["detail"]
    assert [error["path"] for error in problem["errors"]] == [case.attribute]
    assert peer.requests == [], "an event breaking an attribute rule reached the engine"


@pytest.mark.parametrize("path", ["/events", "/summarize"])
@pytest.mark.parametrize("case", KEPT_RULES.values(), ids=KEPT_RULES.keys())
async def test_events_at_the_edge_of_an_attribute_rule_get_a_reply(tiny_backend: BackendSettings, path: str, case: Kept) -> None:
    headers, content = case.mutate(*case.encode(summarize_event(id="evt-1")))
    async with serve_client(make_settings(tiny_backend)) as (client, _):
        response = await client.post(path, headers=headers, content=content)
    assert response.status_code == 200, response.text
    reply = reply_as_json(response.headers, response.content)
    assert (reply["type"], reply["requestid"]) == ("io.localfn.summarize.response", "evt-1")


async def test_an_analyze_photo_event_with_a_numeric_datacontenttype_is_400(tiny_backend: BackendSettings) -> None:
    # Was a 500: the photo path read datacontenttype as a string.
    headers, content = to_structured(CloudEvent({"type": "io.localfn.analyze-photo.request", "source": "/t"}, b"\x89PNG"))
    headers, content = member("datacontenttype", 5)(headers, content)
    async with serve_client(make_settings(tiny_backend), ["analyze-photo"]) as (client, _):
        response = await client.post("/analyze-photo", headers=headers, content=content)
    assert "datacontenttype" in assert_problem(response, 400, "bad-request")["detail"]


async def test_percent_encoded_attributes_are_decoded_and_the_reply_encodes_them(tiny_backend: BackendSettings) -> None:
    headers, content = to_binary(summarize_event(id="evt-1"))
    # Lower-case hex and an escape where none was needed are both allowed; the reply uses the canonical form.
    headers |= {"ce-id": "caf%c3%a9%201", "ce-subject": "Euro%20%E2%82%AC%20%F0%9F%98%80%2e"}
    async with serve_client(make_settings(tiny_backend)) as (client, _):
        response = await client.post("/summarize", headers=headers, content=content)
    assert response.status_code == 200, response.text
    assert response.headers["ce-requestid"] == "caf%C3%A9%201"
    assert response.headers["ce-subject"] == "Euro%20%E2%82%AC%20%F0%9F%98%80."


async def test_event_whose_data_breaks_the_schema_is_422(tiny_backend: BackendSettings) -> None:
    headers, body = to_structured(CloudEvent({"type": "io.localfn.summarize.request", "source": "/t"}, {"mode": "poem"}))
    async with serve_client(make_settings(tiny_backend)) as (client, _):
        response = await client.post("/events", headers=headers, content=body)
    assert response.status_code == 422
    assert "mode" in [error["path"] for error in response.json()["errors"]]
