"""SlotPeer, the fixed-latency fake of Ollama used by bench/ and the load tests, checked against Ollama's spec."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
from collections.abc import Iterator

import httpx
import pytest

from localfn.engine.base import ChatRequest, Message
from localfn.engine.ollama import OllamaEngine
from localfn.settings import BackendSettings
from tests.support.asgi_server import serve_in_thread
from tests.support.ollama_spec import ERROR_SCHEMA, JSON, NDJSON, ollama_spec, request_schema, response_schema
from tests.support.slot_peer import MODEL, REPLY, SlotPeer

SLOTS = 2


@pytest.fixture
def peer() -> SlotPeer:
    return SlotPeer(slots=SLOTS, latency_s=0.2)


@pytest.fixture
def base_url(peer: SlotPeer) -> Iterator[str]:
    with serve_in_thread(peer) as url:
        yield url


def fits(pointer: str, instance: object) -> None:
    assert ollama_spec().problem(pointer, instance) is None


@pytest.mark.parametrize("path", ["/api/tags", "/api/ps", "/api/version"])
def test_metadata_fits_the_spec(base_url: str, path: str) -> None:
    response = httpx.get(base_url + path)
    assert response.status_code == 200
    fits(response_schema(path, "get", JSON), response.json())


def test_show_fits_the_spec_and_unknown_models_are_404(base_url: str) -> None:
    fits(request_schema("/api/show"), {"model": MODEL})
    shown = httpx.post(base_url + "/api/show", json={"model": MODEL})
    fits(response_schema("/api/show", "post", JSON), shown.json())
    missing = httpx.post(base_url + "/api/show", json={"model": "absent"})
    assert missing.status_code == 404
    fits(ERROR_SCHEMA, missing.json())


@pytest.mark.parametrize("stream", [True, False])
def test_chat_fits_the_spec(base_url: str, stream: bool) -> None:
    body = {"model": MODEL, "messages": [{"role": "user", "content": "Why?"}], "stream": stream}
    fits(request_schema("/api/chat"), body)
    response = httpx.post(base_url + "/api/chat", json=body)
    assert response.status_code == 200
    if stream:
        assert response.headers["content-type"].startswith(NDJSON)
        lines = [json.loads(line) for line in response.text.splitlines()]
        for line in lines:
            fits(response_schema("/api/chat", "post", NDJSON), line)
        assert "".join(line["message"]["content"] for line in lines) == REPLY
        assert [line["done"] for line in lines] == [False, True]
    else:
        fits(response_schema("/api/chat", "post", JSON), response.json())
        assert response.json()["message"]["content"] == REPLY


async def test_the_product_engine_reads_its_answers(base_url: str, peer: SlotPeer) -> None:
    async with httpx.AsyncClient() as http:
        engine = OllamaEngine(BackendSettings(name="peer", kind="ollama", url=base_url, model=MODEL), http)
        result = await engine.chat(ChatRequest(messages=(Message(role="user", content="Why?"),)))
        health = await engine.health()
    assert (result.content, result.completion_tokens, result.backend) == (REPLY, 16, "peer")
    assert health.reachable and health.model_present
    assert peer.stats.calls == 1


async def test_requests_beyond_the_slots_wait(base_url: str, peer: SlotPeer) -> None:
    body = {"model": MODEL, "messages": [{"role": "user", "content": "Why?"}], "stream": False}
    async with httpx.AsyncClient(base_url=base_url) as http:
        replies = await asyncio.gather(*(http.post("/api/chat", json=body) for _ in range(3 * SLOTS)))
    assert [reply.status_code for reply in replies] == [200] * (3 * SLOTS)
    assert peer.stats.calls == 3 * SLOTS
    assert peer.stats.max_in_flight == SLOTS
    assert peer.stats.in_flight == 0


def test_runs_as_its_own_process() -> None:
    command = [sys.executable, "-m", "tests.support.slot_peer", "--slots", "3", "--latency-ms", "5"]
    with subprocess.Popen(command, stdout=subprocess.PIPE, text=True) as process:
        try:
            assert process.stdout is not None
            url = process.stdout.readline().strip()
            stats = _when_up(url + "/_peer/stats")
            assert (stats["slots"], stats["latency_s"], stats["calls"]) == (3, 0.005, 0)
        finally:
            process.terminate()


def _when_up(url: str) -> dict[str, object]:
    """The socket is bound before uvicorn serves it, so the first requests may wait in its backlog."""
    return httpx.get(url, timeout=10).json()
