"""OllamaPeer against a real llama-server running the tiny test model."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
import jsonschema
import pytest

from localfn.engine.embedded import LlamaServer
from tests.support.asgi_server import serve_in_thread
from tests.support.ollama_peer import BUSY, OFF_SCHEMA, PROSE, OllamaPeer

IMAGE = "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR4nGNgYGD4DwABBAEAwS2OUAAAAABJRU5ErkJggg=="
PERSON = {
    "type": "object",
    "properties": {"name": {"type": "string"}, "age": {"type": "integer", "minimum": 0, "maximum": 120}},
    "required": ["name", "age"],
}


@pytest.fixture(scope="module")
def llama_server(tiny_server: LlamaServer) -> str:
    """The session's real llama-server (the product's own launcher), by its root URL."""
    return tiny_server.url.removesuffix("/v1")


# --- the peer ----------------------------------------------------------------------------


@pytest.fixture
def peer(llama_server: str) -> OllamaPeer:
    return OllamaPeer(
        llama_server,
        {"tiny:latest": "tiny", "eyes:latest": "tiny"},
        capabilities={"eyes:latest": ["completion", "vision"]},
    )


@pytest.fixture
def client(peer: OllamaPeer) -> Iterator[httpx.Client]:
    with serve_in_thread(peer) as base_url, httpx.Client(base_url=base_url, timeout=30) as http:
        yield http


def chat(**fields: Any) -> dict[str, Any]:
    return {"model": "tiny", "messages": [{"role": "user", "content": "Say hello."}], **fields}


def ndjson(response: httpx.Response) -> list[dict[str, Any]]:
    assert response.headers["content-type"].startswith("application/x-ndjson")
    return [json.loads(line) for line in response.text.splitlines()]


def test_root_answers_like_ollama(client: httpx.Client) -> None:
    assert client.head("/").status_code == 200
    assert client.get("/").text == "Ollama is running"


def test_metadata_routes(client: httpx.Client, peer: OllamaPeer) -> None:
    assert [m["name"] for m in client.get("/api/tags").json()["models"]] == ["tiny:latest", "eyes:latest"]
    assert client.head("/api/tags").status_code == 200
    assert client.get("/api/version").json()["version"]
    assert client.post("/api/show", json={"model": "eyes"}).json()["capabilities"] == ["completion", "vision"]
    assert client.post("/api/show", json={"model": "tiny"}).json()["capabilities"] == ["completion"]
    assert [path for path, _ in peer.requests] == ["/api/tags", "/api/tags", "/api/version", "/api/show", "/api/show"]
    assert peer.violations == []


def test_chat_without_stream(client: httpx.Client, peer: OllamaPeer) -> None:
    reply = client.post("/api/chat", json=chat(stream=False, options={"temperature": 0})).json()
    assert reply["message"]["role"] == "assistant"
    assert reply["message"]["content"]
    assert reply["done"] is True and reply["done_reason"] == "stop"
    assert reply["prompt_eval_count"] > 0 and reply["eval_count"] > 0
    assert reply["total_duration"] >= reply["eval_duration"] > 0
    assert peer.violations == []


def test_chat_streams_ndjson(client: httpx.Client, peer: OllamaPeer) -> None:
    *pieces, last = ndjson(client.post("/api/chat", json=chat(options={"temperature": 0.8, "seed": 7})))
    assert pieces and all(p["done"] is False for p in pieces)
    assert "".join(p["message"]["content"] for p in pieces)
    assert last["done"] is True and last["done_reason"] in {"stop", "length"}
    assert last["eval_count"] > 0 and isinstance(last["eval_duration"], int)
    assert peer.violations == []


def test_generate_both_modes(client: httpx.Client, peer: OllamaPeer) -> None:
    request = {"model": "tiny", "prompt": "Why is the sky blue?", "system": "Be brief."}
    whole = client.post("/api/generate", json={**request, "stream": False, "options": {"temperature": 0}}).json()
    *pieces, last = ndjson(client.post("/api/generate", json={**request, "options": {"temperature": 0}}))
    assert whole["response"] and whole["done"] is True
    assert "".join(p["response"] for p in pieces) == whole["response"]  # greedy: same text either way
    assert last["done"] is True and last["response"] == ""
    assert peer.violations == []


def test_num_predict_limits_tokens(client: httpx.Client) -> None:
    reply = client.post("/api/chat", json=chat(stream=False, options={"num_predict": 3, "temperature": 0})).json()
    assert reply["eval_count"] <= 3
    assert reply["done_reason"] == "length"


@pytest.mark.parametrize("temperature", [0, 0.8])
def test_format_schema_yields_valid_json(client: httpx.Client, peer: OllamaPeer, temperature: float) -> None:
    for seed in range(5):
        options = {"temperature": temperature, "seed": seed, "num_predict": 128}
        reply = client.post("/api/chat", json=chat(stream=False, format=PERSON, options=options)).json()
        jsonschema.validate(json.loads(reply["message"]["content"]), PERSON)
    reply = client.post("/api/generate", json={"model": "tiny", "prompt": "JSON!", "format": "json", "stream": False})
    assert isinstance(json.loads(reply.json()["response"]), dict)
    assert peer.violations == []


def test_unknown_model_is_404(client: httpx.Client) -> None:
    response = client.post("/api/chat", json={**chat(), "model": "nope"})
    assert response.status_code == 404
    assert response.json() == {"error": 'model "nope" not found, try pulling it first'}


def test_images_are_recorded_and_need_vision(client: httpx.Client, peer: OllamaPeer) -> None:
    looked = [{"role": "user", "content": "What is this?", "images": [IMAGE]}]
    assert client.post("/api/chat", json={"model": "eyes", "messages": looked, "stream": False}).status_code == 200
    generated = {"model": "eyes", "prompt": "And this?", "images": [IMAGE], "stream": False}
    assert client.post("/api/generate", json=generated).status_code == 200
    blind = client.post("/api/chat", json={"model": "tiny", "messages": looked, "stream": False})
    assert blind.status_code == 400
    assert "vision" in blind.json()["error"]
    assert peer.images == [IMAGE] * 3
    assert peer.violations == []


def test_load_unload_and_ps(client: httpx.Client, peer: OllamaPeer) -> None:
    assert client.get("/api/ps").json() == {"models": []}
    assert client.post("/api/generate", json={"model": "tiny"}).json()["done_reason"] == "load"
    assert [m["name"] for m in client.get("/api/ps").json()["models"]] == ["tiny:latest"]
    unloaded = client.post("/api/generate", json={"model": "tiny", "keep_alive": 0}).json()
    assert unloaded["done_reason"] == "unload"
    assert client.get("/api/ps").json() == {"models": []}
    client.post("/api/chat", json=chat(stream=False, options={"num_predict": 2}))
    assert [m["name"] for m in client.get("/api/ps").json()["models"]] == ["tiny:latest"]
    assert peer.violations == []


def test_fault_busy_and_error(client: httpx.Client, peer: OllamaPeer) -> None:
    peer.fault = "busy"
    busy = client.post("/api/chat", json=chat())
    assert (busy.status_code, busy.json()) == (503, {"error": BUSY})
    peer.fault = "error"
    crashed = client.post("/api/generate", json={"model": "tiny", "prompt": "hi"})
    assert crashed.status_code == 500 and crashed.json()["error"]
    assert peer.violations == []


def test_fault_not_json(client: httpx.Client, peer: OllamaPeer) -> None:
    peer.fault = "not_json"
    content = client.post("/api/chat", json=chat(stream=False, format=PERSON)).json()["message"]["content"]
    assert content == PROSE
    with pytest.raises(json.JSONDecodeError):
        json.loads(content)


def test_fault_off_schema(client: httpx.Client, peer: OllamaPeer) -> None:
    peer.fault = "off_schema"
    lines = ndjson(client.post("/api/chat", json=chat(format=PERSON)))
    assert "".join(line["message"]["content"] for line in lines) == OFF_SCHEMA
    with pytest.raises(jsonschema.ValidationError):
        jsonschema.validate(json.loads(OFF_SCHEMA), PERSON)
    assert peer.violations == []


def test_pull_makes_a_missing_model_available(client: httpx.Client, peer: OllamaPeer) -> None:
    assert client.post("/api/show", json={"model": "llama3.1:8b"}).status_code == 404
    peer.pull("llama3.1:8b", "tiny")
    assert client.post("/api/chat", json=chat(model="llama3.1:8b", options={"num_predict": 2})).status_code == 200
    assert "llama3.1:8b" in [m["name"] for m in client.get("/api/tags").json()["models"]]


def test_fault_drop_mid_stream(client: httpx.Client, peer: OllamaPeer) -> None:
    peer.fault = "drop_mid_stream"
    with client.stream("POST", "/api/chat", json=chat()) as response:
        assert response.status_code == 200
        with pytest.raises(httpx.RemoteProtocolError):
            response.read()


def test_fault_error_mid_stream(client: httpx.Client, peer: OllamaPeer) -> None:
    peer.fault = "error_mid_stream"
    response = client.post("/api/chat", json=chat())
    lines = ndjson(response)
    assert response.status_code == 200
    assert lines[0]["done"] is False
    assert set(lines[-1]) == {"error"}
    assert peer.violations == []


def test_delay(client: httpx.Client, peer: OllamaPeer) -> None:
    peer.delay_s = 0.5
    started = time.monotonic()
    reply = client.post("/api/chat", json=chat(stream=False, options={"num_predict": 2})).json()
    assert time.monotonic() - started >= 0.5
    assert reply["total_duration"] >= 0.5e9  # nanoseconds, waiting included


def test_spec_violations_are_rejected_and_recorded(client: httpx.Client, peer: OllamaPeer) -> None:
    response = client.post("/api/chat", json={"messages": []})
    assert response.status_code == 400
    assert "model" in response.json()["error"]
    assert client.post("/api/generate", content=b"not json").status_code == 400
    assert len(peer.violations) == 2
