"""Extra routes go through the same adapter as ``POST /``: one body limit, JSON and Content-Type
checks, validation against the RouteDoc's models, the request limits, and ``localfn_requests``.

No model call is needed: the engine is a closed port, and every request here is answered
(or refused) before one would be made.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest

from localfn.runtime import RuntimeHolder
from tests.support.http_checks import assert_problem
from tests.support.localfn_app import backend, make_settings, sample, serve_client

REGENERATE = {"badge_id": "no-such-badge", "field": "name"}


@asynccontextmanager
async def app(closed_port_url: str, tmp_path: Path, **overrides: Any) -> AsyncIterator[tuple[httpx.AsyncClient, RuntimeHolder]]:
    settings = make_settings(
        backend("down", closed_port_url, "tiny"), generate_badge={"history_path": tmp_path / "history.sqlite3"}, **overrides
    )
    async with serve_client(settings, ["generate-badge", "route-query", "summarize"]) as (client, holder):
        yield client, holder


async def test_extra_routes_are_counted_in_localfn_requests(closed_port_url: str, tmp_path: Path) -> None:
    async with app(closed_port_url, tmp_path) as (client, holder):
        assert (await client.get("/generate-badge/options")).status_code == 200
        assert (await client.get("/route-query/stats")).status_code == 200
        assert (await client.get("/generate-badge/history", params={"limit": "many"})).status_code == 422
        assert (await client.get("/api/v1/styles")).status_code == 200  # a root route
        runtime = await holder.get()
    requests = "localfn_requests_total"
    assert sample(runtime, requests, {"function": "generate-badge", "status": "200", "mode": "json"}) == 2
    assert sample(runtime, requests, {"function": "generate-badge", "status": "422", "mode": "json"}) == 1
    assert sample(runtime, requests, {"function": "route-query", "status": "200", "mode": "json"}) == 1


@pytest.mark.parametrize("path", ["/generate-badge/regenerate", "/api/v1/regenerate_badge"])
async def test_extra_route_bodies_honour_the_body_limit_and_content_type(closed_port_url: str, tmp_path: Path, path: str) -> None:
    async with app(closed_port_url, tmp_path, max_body_bytes=1000) as (client, _):
        too_large = await client.post(path, json={**REGENERATE, "instructions": "x" * 2000})
        not_json = await client.post(path, content=b"badge_id=1", headers={"content-type": "text/plain"})
        malformed = await client.post(path, content=b'{"badge_id": ', headers={"content-type": "application/json"})
    assert "1000 bytes" in assert_problem(too_large, 413, "payload-too-large")["detail"]
    assert "Content-Type" in assert_problem(not_json, 400, "bad-request")["detail"]
    assert "not valid JSON" in assert_problem(malformed, 400, "bad-request")["detail"]


async def test_events_route_honours_the_body_limit(closed_port_url: str, tmp_path: Path) -> None:
    headers = {
        "content-type": "application/json",
        "ce-specversion": "1.0",
        "ce-id": "1",
        "ce-source": "/test",
        "ce-type": "io.localfn.summarize.request",
    }
    async with app(closed_port_url, tmp_path, max_body_bytes=1000) as (client, _):
        response = await client.post("/events", content=b'{"mode": "context", "context": "' + b"x" * 2000 + b'"}', headers=headers)
    assert "1000 bytes" in assert_problem(response, 413, "payload-too-large")["detail"]


async def test_only_engine_operations_take_an_in_flight_slot(closed_port_url: str, tmp_path: Path) -> None:
    async with app(closed_port_url, tmp_path, max_in_flight=1) as (client, holder):
        runtime = await holder.get()
        with runtime.in_flight:  # the one slot is taken
            busy = await client.post("/generate-badge/regenerate", json=REGENERATE)
            options = await client.get("/generate-badge/options")
        free = await client.post("/generate-badge/regenerate", json=REGENERATE)
    assert "LOCALFN_MAX_IN_FLIGHT" in assert_problem(busy, 503, "overloaded")["detail"]
    assert options.status_code == 200
    assert_problem(free, 404, "not-found")  # past the limit, to the handler: no such stored badge
