"""route-query end to end over HTTP: the local engine and the "cloud" are two real llama-server processes.

The tiny model writes nonsense, so these tests check routing, paths, fallbacks, statistics,
metrics and cost arithmetic, never what an answer says.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from cloudevents.conversion import to_binary
from cloudevents.http import CloudEvent
from prometheus_client.parser import text_string_to_metric_families

from localfn.engine.embedded import LlamaServer
from localfn.settings import BackendSettings, Settings
from tests.support.localfn_app import make_settings, sample, serve_client

CLOUD_KEY = "test-cloud-key-5f3a"
TEXT = (Path(__file__).parents[1] / "fixtures" / "photosynthesis.txt").read_text()
SIMPLE = "how do i reset my password"
COMPLEX = "prove sqrt(3) is irrational"
# USD per million tokens: distinct numbers, so each term of the arithmetic shows.
PRICES: dict[str, Any] = {"local_input_usd_per_mtok": 1.0, "local_output_usd_per_mtok": 2.0}
CLOUD_PRICES = {"input_usd_per_mtok": 10.0, "output_usd_per_mtok": 30.0}


@pytest_asyncio.fixture(scope="module", loop_scope="session")
async def cloud_server(tiny_model: Path) -> AsyncIterator[LlamaServer]:
    """The tiny model under another name, behind an API key, standing in for a cloud model."""
    async with LlamaServer(tiny_model, name="cloud-tiny", ctx_size=8192, parallel=2, extra_args=("--api-key", CLOUD_KEY)) as server:
        yield server


def settings_with(local: BackendSettings, cloud_url: str | None, **overrides: Any) -> Settings:
    cloud = {"url": cloud_url, "model": "cloud-tiny", "api_key": CLOUD_KEY, **CLOUD_PRICES} if cloud_url else CLOUD_PRICES
    route_query = {"max_answer_tokens": 12, "summary_tokens": 40, **PRICES, **overrides}
    return make_settings(local, cloud=cloud, route_query=route_query)


def cost(tokens: dict[str, dict[str, int]]) -> float:
    local, cloud = tokens["local"], tokens["cloud"]
    return (local["prompt"] * 1.0 + local["completion"] * 2.0 + cloud["prompt"] * 10.0 + cloud["completion"] * 30.0) / 1e6


async def test_a_simple_query_is_answered_locally_and_saves_the_cloud_price(
    tiny_backend: BackendSettings, cloud_server: LlamaServer
) -> None:
    async with serve_client(settings_with(tiny_backend, cloud_server.url)) as (client, holder):
        response = await client.post("/route-query", json={"query": SIMPLE})
        runtime = await holder.get()
    assert response.status_code == 200, response.text
    body = response.json()
    assert (body["tier"], body["path"], body["degraded"], body["cached"]) == ("simple", "local", False, False)
    assert (body["model"], body["backend"]) == ("tiny", "embedded")
    assert body["answer"]
    assert sum(body["probabilities"].values()) == pytest.approx(1, abs=1e-3)
    assert body["probabilities"]["simple"] == max(body["probabilities"].values())
    assert body["features"] and all(word in SIMPLE.split() for f in body["features"] for word in f["term"].split())
    assert body["reason"].startswith("simple: P(moderate or complex) = ")
    local = body["tokens"]["local"]
    assert local["prompt"] > 0 and local["completion"] > 0 and body["tokens"]["cloud"] == {"prompt": 0, "completion": 0}
    assert body["estimated_cost_usd"] == pytest.approx(cost(body["tokens"]))
    # The cloud would have read and written the same tokens at its own prices.
    assert body["estimated_saving_usd"] == pytest.approx((local["prompt"] * 9 + local["completion"] * 28) / 1e6)
    assert body["latency_ms"] > 0
    assert sample(runtime, "localfn_engine_calls_total", {"backend": "cloud", "model": "cloud-tiny", "outcome": "ok"}) == 0


async def test_a_complex_query_goes_to_the_cloud_with_its_key(tiny_backend: BackendSettings, cloud_server: LlamaServer) -> None:
    async with serve_client(settings_with(tiny_backend, cloud_server.url)) as (client, holder):
        response = await client.post("/route-query", json={"query": COMPLEX, "context": ["Euclid's proof.", "By contradiction."]})
        runtime = await holder.get()
    body = response.json()
    assert (body["tier"], body["path"], body["degraded"]) == ("complex", "cloud", False), body["reason"]
    assert (body["model"], body["backend"]) == ("cloud-tiny", "cloud")
    assert body["features"][0]["term"] == "prove"
    assert body["tokens"]["local"] == {"prompt": 0, "completion": 0}
    assert body["tokens"]["cloud"]["prompt"] > 0
    assert body["estimated_cost_usd"] == pytest.approx(cost(body["tokens"]))
    assert body["estimated_saving_usd"] == pytest.approx(0)
    assert sample(runtime, "localfn_engine_calls_total", {"backend": "cloud", "model": "cloud-tiny", "outcome": "ok"}) == 1
    assert sample(runtime, "localfn_engine_calls_total", {"backend": "embedded", "model": "tiny", "outcome": "ok"}) == 0


async def test_a_moderate_query_has_its_context_and_history_summarised_locally_then_the_cloud_answers(
    tiny_backend: BackendSettings, cloud_server: LlamaServer
) -> None:
    # Short, so the tiny model reads them quickly; still far over the 40-token summary budget.
    paragraphs = [paragraph[:400] for paragraph in TEXT.split("\n\n")]
    history = [
        {"role": "system", "content": "You tutor biology."},
        {"role": "user", "content": "What is photosynthesis?"},
        {"role": "assistant", "content": paragraphs[0]},
        {"role": "user", "content": "And then?"},
        {"role": "assistant", "content": paragraphs[1]},
        {"role": "user", "content": "Thanks. One more thing."},
        {"role": "assistant", "content": "Go ahead."},
    ]
    request = {"query": "Explain this to a 12-year-old", "context": paragraphs[:2], "history": history, "force_tier": "moderate"}
    async with serve_client(settings_with(tiny_backend, cloud_server.url)) as (client, holder):
        response = await client.post("/route-query", json=request)
        runtime = await holder.get()
    body = response.json()
    assert response.status_code == 200, response.text
    assert (body["tier"], body["path"], body["degraded"], body["backend"]) == ("moderate", "hybrid", False, "cloud")
    assert body["reason"].startswith("moderate: forced by force_tier (the classifier said ")
    # summarize ran in process on the local engine, once for the context and once for the history.
    assert sample(runtime, "localfn_engine_calls_total", {"backend": "embedded", "model": "tiny", "outcome": "ok"}) == 2
    assert sample(runtime, "localfn_engine_calls_total", {"backend": "cloud", "model": "cloud-tiny", "outcome": "ok"}) == 1
    tokens = body["tokens"]
    assert tokens["local"]["prompt"] > tokens["cloud"]["prompt"] > 0
    assert body["estimated_cost_usd"] == pytest.approx(cost(tokens))
    # The cloud read compressed text: far fewer tokens than the whole context and history.
    assert body["estimated_saving_usd"] > 0


async def test_without_a_cloud_every_tier_is_answered_locally_and_marked_degraded(tiny_backend: BackendSettings) -> None:
    async with serve_client(settings_with(tiny_backend, None)) as (client, _):
        complex_ = (await client.post("/route-query", json={"query": COMPLEX})).json()
        moderate = (await client.post("/route-query", json={"query": "compare TCP and UDP", "force_tier": "moderate"})).json()
        stats = (await client.get("/route-query/stats")).json()
    for body, tier in ((complex_, "complex"), (moderate, "moderate")):
        assert (body["tier"], body["path"], body["degraded"], body["backend"]) == (tier, "local", True, "embedded")
        assert "no cloud model is configured (LOCALFN_CLOUD__URL)" in body["reason"]
        assert body["tokens"]["cloud"] == {"prompt": 0, "completion": 0}
    assert stats["degraded"] == 2 and stats["degraded_reasons"] == {"no-cloud": 2}


async def test_a_cloud_that_is_down_degrades_to_local_then_is_skipped_while_it_cools_down(
    tiny_backend: BackendSettings, closed_port_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING)
    async with serve_client(settings_with(tiny_backend, f"{closed_port_url}/v1")) as (client, holder):
        first = (await client.post("/route-query", json={"query": COMPLEX})).json()
        second = (await client.post("/route-query", json={"query": "derive the quadratic formula", "force_tier": "complex"})).json()
        runtime = await holder.get()
    assert (first["path"], first["degraded"], first["backend"]) == ("local", True, "embedded")
    assert "the cloud model was unavailable (engine-unavailable)" in first["reason"]
    assert second["degraded"] and "(cloud-cooling-down)" in second["reason"]
    failed = {"backend": "cloud", "model": "cloud-tiny", "outcome": "engine-unavailable"}
    assert sample(runtime, "localfn_engine_calls_total", failed) == 1
    assert "engine-unavailable" in caplog.text and CLOUD_KEY not in caplog.text


async def test_a_cloud_refusing_the_key_degrades_and_the_key_is_never_shown(
    tiny_backend: BackendSettings, cloud_server: LlamaServer, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)
    settings = settings_with(tiny_backend, cloud_server.url)
    wrong = settings.model_copy(update={"cloud": settings.cloud.model_copy(update={"api_key": None})})
    async with serve_client(wrong) as (client, _):
        body = (await client.post("/route-query", json={"query": COMPLEX})).json()
    assert (body["path"], body["degraded"]) == ("local", True)
    assert "(engine-rejected)" in body["reason"]
    async with serve_client(settings) as (client, _):
        texts = [(await client.post("/route-query", json={"query": COMPLEX})).text]
        texts += [(await client.get(path)).text for path in ("/route-query/stats", "/metrics", "/openapi.json")]
    assert all(CLOUD_KEY not in text for text in texts) and CLOUD_KEY not in caplog.text


async def test_simple_answers_are_cached_by_normalised_query(tiny_backend: BackendSettings, cloud_server: LlamaServer) -> None:
    async with serve_client(settings_with(tiny_backend, cloud_server.url)) as (client, holder):
        first = (await client.post("/route-query", json={"query": "How do I reset my password?"})).json()
        second = (await client.post("/route-query", json={"query": "  how do i   RESET my password "})).json()
        other_context = (await client.post("/route-query", json={"query": SIMPLE, "context": "SSO only."})).json()
        runtime = await holder.get()
    assert (first["cached"], second["cached"], other_context["cached"]) == (False, True, False)
    assert second["answer"] == first["answer"] and second["tier"] == "simple"
    assert second["tokens"]["local"] == {"prompt": 0, "completion": 0} and second["estimated_cost_usd"] == 0
    assert second["estimated_saving_usd"] == pytest.approx(first["estimated_saving_usd"] + first["estimated_cost_usd"])
    assert "answered from the cache" in second["reason"]
    assert sample(runtime, "localfn_engine_calls_total", {"backend": "embedded", "model": "tiny", "outcome": "ok"}) == 2
    assert sample(runtime, "localfn_reused_total", {"function": "route-query", "kind": "hit"}) == 1


async def test_stats_and_metrics_count_tiers_paths_degraded_tokens_and_cost(
    tiny_backend: BackendSettings, cloud_server: LlamaServer
) -> None:
    requests = [
        {"query": SIMPLE},
        {"query": SIMPLE},
        {"query": COMPLEX},
        {"query": "compare TCP and UDP", "context": "TCP is reliable. UDP is not.", "force_tier": "moderate"},
    ]
    async with serve_client(settings_with(tiny_backend, cloud_server.url)) as (client, _):
        bodies = [(await client.post("/route-query", json=request)).json() for request in requests]
        stats = (await client.get("/route-query/stats")).json()
        metrics = (await client.get("/metrics")).text
    assert (stats["scope"], stats["queries"]) == ("pod", 4)
    assert "LOCALFN_STATE_URL is not set" in stats["scope_reason"]
    assert stats["tiers"] == {"simple": 2, "moderate": 1, "complex": 1}
    assert {path: entry["count"] for path, entry in stats["paths"].items()} == {"local": 2, "hybrid": 1, "cloud": 1}
    assert all(entry["mean_latency_ms"] > 0 for entry in stats["paths"].values())
    assert (stats["degraded"], stats["degraded_reasons"], stats["cache_hits"]) == (0, {}, 1)
    for side in ("local", "cloud"):
        for direction in ("prompt", "completion"):
            assert stats["tokens"][side][direction] == sum(body["tokens"][side][direction] for body in bodies)
    assert stats["estimated_cost_usd"] == pytest.approx(sum(body["estimated_cost_usd"] for body in bodies))
    assert stats["estimated_saving_usd"] == pytest.approx(sum(body["estimated_saving_usd"] for body in bodies))
    assert stats["estimated_cloud_only_cost_usd"] == pytest.approx(stats["estimated_cost_usd"] + stats["estimated_saving_usd"])

    families = {family.name: family for family in text_string_to_metric_families(metrics)}
    queries = {
        (s.labels["tier"], s.labels["path"], s.labels["degraded"]): s.value
        for s in families["localfn_route_queries"].samples
        if s.name.endswith("_total")
    }
    assert queries == {("simple", "local", "false"): 2, ("complex", "cloud", "false"): 1, ("moderate", "hybrid", "false"): 1}
    seconds = {s.labels["path"]: s.value for s in families["localfn_route_seconds"].samples if s.name.endswith("_count")}
    assert seconds == {"local": 2, "hybrid": 1, "cloud": 1}
    for name in ("localfn_route_tokens", "localfn_route_cost_usd", "localfn_route_cloud_only_cost_usd", "localfn_route_degraded"):
        assert name in families


async def test_a_cloudevent_is_routed_and_answered_with_a_reply_event(tiny_backend: BackendSettings) -> None:
    event = CloudEvent({"type": "io.localfn.route-query.request", "source": "/lms", "id": "q-1"}, {"query": SIMPLE})
    headers, body = to_binary(event)
    async with serve_client(settings_with(tiny_backend, None)) as (client, _):
        response = await client.post("/events", headers=headers, content=body)
    assert response.status_code == 200, response.text
    assert response.headers["ce-type"] == "io.localfn.route-query.response"
    assert response.json()["path"] == "local"


@pytest.mark.parametrize(
    ("request_body", "path", "message"),
    [
        ({"query": ""}, "query", "empty"),
        ({"query": "   \n"}, "query", "empty"),
        ({}, "query", "Field required"),
        ({"query": "q" * 201}, "query", "LOCALFN_ROUTE_QUERY__MAX_QUERY_CHARS"),
        ({"query": "hi", "context": ["c" * 150, "c" * 151]}, "context", "LOCALFN_ROUTE_QUERY__MAX_CONTEXT_CHARS"),
        ({"query": "hi", "history": [{"role": "user", "content": "h" * 301}]}, "history", "LOCALFN_ROUTE_QUERY__MAX_CONTEXT_CHARS"),
        ({"query": "hi", "force_tier": "premium"}, "force_tier", "'simple', 'moderate' or 'complex'"),
        ({"query": "hi", "history": [{"content": "hello"}]}, "history/0/role", "Field required"),
        ({"query": "hi", "history": [{"role": "user"}]}, "history/0/content", "Field required"),
        ({"query": "hi", "history": [{"role": "robot", "content": "x"}]}, "history/0/role", "'system', 'user' or 'assistant'"),
        ({"query": "hi", "tier": "simple"}, "tier", "Extra inputs"),
    ],
    ids=[
        "empty",
        "blank",
        "missing",
        "query-too-long",
        "context-too-long",
        "history-too-long",
        "unknown-tier",
        "history-without-role",
        "history-without-content",
        "history-unknown-role",
        "unknown-field",
    ],
)
async def test_bad_input_is_a_422_naming_the_field(tiny_backend: BackendSettings, request_body: dict, path: str, message: str) -> None:
    settings = settings_with(tiny_backend, None, max_query_chars=200, max_context_chars=300)
    async with serve_client(settings) as (client, _):
        response = await client.post("/route-query", json=request_body)
        stats = (await client.get("/route-query/stats")).json()
    assert response.status_code == 422, response.text
    assert response.headers["content-type"] == "application/problem+json"
    errors = response.json()["errors"]
    assert any(error["path"] == path and message in error["message"] for error in errors), errors
    assert stats["queries"] == 0
