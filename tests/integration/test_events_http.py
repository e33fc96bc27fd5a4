"""CloudEvents in and out, made and read with the cloudevents SDK, checked against the official schema."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import jsonschema
import pytest
from cloudevents.conversion import to_binary, to_structured
from cloudevents.http.conversion import from_http
from cloudevents.http.event import CloudEvent

from localfn.settings import BackendSettings
from tests.support.localfn_app import engine_calls, make_settings, serve_client

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


async def test_redelivered_event_returns_the_stored_reply_without_a_model_call(tiny_backend: BackendSettings) -> None:
    headers, body = to_binary(summarize_event(id="delivery-1"))
    async with serve_client(make_settings(tiny_backend, cache_ttl_s=0)) as (client, holder):
        first = await client.post("/summarize", headers=headers, content=body)
        again = await client.post("/summarize", headers=headers, content=body)
        calls = engine_calls(await holder.get())
    assert first.status_code == again.status_code == 200
    assert first.content == again.content
    assert first.headers["ce-id"] == again.headers["ce-id"]
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


@pytest.mark.parametrize(
    ("headers", "body"),
    [
        ({"ce-specversion": "1.0", "ce-type": "io.localfn.summarize.request", "ce-id": "1", "content-type": "application/json"}, b"{}"),
        ({"ce-specversion": "0.1", "ce-type": "io.localfn.summarize.request", "ce-id": "1", "ce-source": "/t"}, b"{}"),
        ({"content-type": "application/cloudevents+json"}, b'{"specversion": "1.0", "id": '),
        ({"content-type": "application/cloudevents-batch+json"}, b"[]"),
    ],
    ids=["missing-source", "bad-specversion", "broken-structured-json", "batch"],
)
async def test_malformed_events_are_400(tiny_backend: BackendSettings, headers: dict, body: bytes) -> None:
    async with serve_client(make_settings(tiny_backend)) as (client, _):
        response = await client.post("/summarize", headers=headers, content=body)
    assert response.status_code == 400, response.text
    assert response.headers["content-type"].startswith("application/problem+json")


async def test_event_whose_data_breaks_the_schema_is_422(tiny_backend: BackendSettings) -> None:
    headers, body = to_structured(CloudEvent({"type": "io.localfn.summarize.request", "source": "/t"}, {"mode": "poem"}))
    async with serve_client(make_settings(tiny_backend)) as (client, _):
        response = await client.post("/events", headers=headers, content=body)
    assert response.status_code == 422
    assert "mode" in [error["path"] for error in response.json()["errors"]]
