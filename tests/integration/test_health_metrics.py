"""Health, readiness, metrics and the OpenAPI documents."""

from __future__ import annotations

import pytest
from openapi_spec_validator import validate

from localfn.settings import BackendSettings
from tests.support.http_checks import Scrape
from tests.support.localfn_app import backend, make_settings, serve_client


@pytest.mark.parametrize("prefix", ["", "/summarize"])
async def test_live_and_ready_with_a_working_engine(tiny_backend: BackendSettings, prefix: str) -> None:
    async with serve_client(make_settings(tiny_backend)) as (client, _):
        live = await client.get(f"{prefix}/health/live")
        ready = await client.get(f"{prefix}/health/ready")
    assert live.status_code == 200
    assert ready.status_code == 200, ready.text
    assert ready.json()["status"] == "ready"


async def test_not_ready_when_the_configured_model_is_absent(tiny_server) -> None:
    missing = backend("gpu", tiny_server.url, "llama3.1:8b")
    async with serve_client(make_settings(missing)) as (client, _):
        ready = await client.get("/summarize/health/ready")
        live = await client.get("/summarize/health/live")
    assert live.status_code == 200
    assert ready.status_code == 503
    engine = ready.json()["engines"][0]
    assert engine["reachable"] is True and engine["model_present"] is False
    assert "llama3.1:8b" in engine["detail"]


async def test_not_ready_when_no_engine_answers(closed_port_url: str) -> None:
    async with serve_client(make_settings(backend("gpu", f"{closed_port_url}/v1", "tiny"))) as (client, _):
        ready = await client.get("/health/ready")
    assert ready.status_code == 503
    assert ready.json()["engines"][0]["ready"] is False


async def test_metrics_count_requests_latency_tokens_and_backend(tiny_backend: BackendSettings) -> None:
    async with serve_client(make_settings(tiny_backend, cache_ttl_s=0)) as (client, _):
        await client.post("/summarize", json={"mode": "context", "context": "word " * 300, "max_summary_tokens": 20})
        await client.post("/summarize", json={"mode": "nonsense"})
        text = (await client.get("/summarize/metrics")).text
    value = Scrape.parse(text).value
    assert value("localfn_requests_total", function="summarize", status="200", mode="json") == 1
    assert value("localfn_requests_total", function="summarize", status="422", mode="json") == 1
    assert value("localfn_request_seconds_count", function="summarize") == 2
    assert value("localfn_engine_calls_total", backend="embedded", model="tiny", outcome="ok") == 1
    assert value("localfn_tokens_total", backend="embedded", model="tiny", direction="prompt") > 300 / 4
    assert value("localfn_tokens_total", backend="embedded", model="tiny", direction="completion") > 0


@pytest.mark.parametrize("path", ["/openapi.json", "/summarize/openapi.json"])
async def test_openapi_documents_are_valid_openapi_3_1(tiny_backend: BackendSettings, path: str) -> None:
    async with serve_client(make_settings(tiny_backend)) as (client, _):
        document = (await client.get(path)).json()
    validate(document)
    operation = next(iter(document["paths"].values()))["post"]
    schema_ref = operation["requestBody"]["content"]["application/json"]["schema"]["$ref"]
    assert schema_ref.endswith("/SummarizeRequest")
    assert {"400", "413", "422", "503", "504"} <= set(operation["responses"])
