"""Every error the function entrypoint promises, as application/problem+json with what to fix."""

from __future__ import annotations

import asyncio

import pytest

from localfn.settings import BackendSettings
from tests.support.asgi_server import serve_in_thread
from tests.support.http_checks import assert_problem
from tests.support.localfn_app import backend, make_settings, serve_client
from tests.support.ollama_peer import OllamaPeer


@pytest.mark.parametrize(
    ("content", "content_type", "says"),
    [
        (b'{"mode": "context", ', "application/json", "not valid JSON"),
        (b"", "application/json", "empty"),
        (b"mode=context", "text/plain", "Content-Type"),
    ],
)
async def test_malformed_bodies_are_400(tiny_backend: BackendSettings, content: bytes, content_type: str, says: str) -> None:
    async with serve_client(make_settings(tiny_backend)) as (client, _):
        response = await client.post("/summarize", content=content, headers={"content-type": content_type})
    assert says in assert_problem(response, 400, "bad-request")["detail"]


@pytest.mark.parametrize(
    ("payload", "path"),
    [
        ({"context": "text"}, "mode"),
        ({"mode": "context", "context": "x", "max_summary_tokens": 5}, "max_summary_tokens"),
        ({"mode": "conversation", "messages": [{"role": "narrator", "content": "hi"}]}, "messages/0/role"),
        ({"mode": "conversation", "messages": [{"role": "user"}]}, "messages/0/content"),
        ({"mode": "context", "context": "x", "colour": "red"}, "colour"),
    ],
)
async def test_schema_violations_are_422_with_field_paths(tiny_backend: BackendSettings, payload: dict, path: str) -> None:
    async with serve_client(make_settings(tiny_backend)) as (client, _):
        response = await client.post("/summarize", json=payload)
    body = assert_problem(response, 422, "invalid-input")
    assert path in [error["path"] for error in body["errors"]]


async def test_mode_without_its_input_is_422_saying_what_to_send(tiny_backend: BackendSettings) -> None:
    async with serve_client(make_settings(tiny_backend)) as (client, _):
        response = await client.post("/summarize", json={"mode": "context", "context": "   "})
    assert "non-empty 'context'" in assert_problem(response, 422, "invalid-input")["detail"]


async def test_oversized_body_is_413_before_any_model_call(tiny_backend: BackendSettings) -> None:
    async with serve_client(make_settings(tiny_backend, max_body_bytes=1000)) as (client, _):
        response = await client.post("/summarize", json={"mode": "context", "context": "word " * 400})
    assert "1000 bytes" in assert_problem(response, 413, "payload-too-large")["detail"]


async def test_input_over_the_character_limit_is_422(tiny_backend: BackendSettings) -> None:
    async with serve_client(make_settings(tiny_backend, summarize={"max_input_chars": 1000})) as (client, _):
        response = await client.post("/summarize", json={"mode": "context", "context": "word " * 400})
    problem = assert_problem(response, 422, "invalid-input")
    assert "LOCALFN_SUMMARIZE__MAX_INPUT_CHARS" in problem["detail"]
    assert [error["path"] for error in problem["errors"]] == ["context"]


async def test_engine_down_is_503_with_retry_after(closed_port_url: str) -> None:
    settings = make_settings(backend("gpu", f"{closed_port_url}/v1", "tiny"), retry_after_s=7)
    async with serve_client(settings) as (client, _):
        response = await client.post("/summarize", json={"mode": "context", "context": "word " * 200, "max_summary_tokens": 20})
    body = assert_problem(response, 503, "engine-unavailable")
    assert response.headers["retry-after"] == "7"
    assert "gpu" in body["detail"]


async def test_requests_over_the_in_flight_limit_get_503_overloaded(tiny_server) -> None:
    peer = OllamaPeer(tiny_server.url.removesuffix("/v1"), {"tiny:latest": "tiny"})
    peer.delay_s = 1.0
    with serve_in_thread(peer) as url:
        settings = make_settings(backend("gpu", url, "tiny", kind="ollama"), max_in_flight=1, cache_ttl_s=0)
        async with serve_client(settings) as (client, _):
            requests = [
                client.post("/summarize", json={"mode": "context", "context": f"{i} " + "word " * 200, "max_summary_tokens": 20})
                for i in range(3)
            ]
            responses = await asyncio.gather(*requests)
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200, 503, 503]
    refused = next(r for r in responses if r.status_code == 503)
    assert_problem(refused, 503, "overloaded")
    assert "LOCALFN_MAX_IN_FLIGHT" in refused.json()["detail"]
    assert "retry-after" in refused.headers


@pytest.mark.parametrize(
    ("method", "path", "status", "slug"),
    [
        ("GET", "/nowhere", 404, "not-found"),
        ("GET", "/generate-badge/history/a%2Fb", 404, "not-found"),  # an id with a '/' matches no route
        ("PUT", "/generate-badge/options", 405, "method-not-allowed"),
        ("GET", "/summarize", 405, "method-not-allowed"),
    ],
)
async def test_unknown_routes_and_methods_are_problems_too(
    tiny_backend: BackendSettings, method: str, path: str, status: int, slug: str
) -> None:
    async with serve_client(make_settings(tiny_backend), ["summarize", "generate-badge"]) as (client, _):
        response = await client.request(method, path)
    assert "GET /openapi.json" in assert_problem(response, status, slug)["detail"]
    if status == 405:
        assert response.headers["allow"]
