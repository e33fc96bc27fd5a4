"""The Ollama backend against OllamaPeer (a named fake of Ollama, checked against its OpenAPI spec)
fronting a real llama-server."""

from __future__ import annotations

import base64
import json

import httpx
import jsonschema
import pytest

from localfn.engine.base import ChatRequest, Message
from localfn.engine.ollama import OllamaEngine, same_model
from localfn.errors import EngineBusy, EngineUnavailable, ModelNotFound
from tests.support.localfn_app import backend
from tests.support.ollama_peer import OllamaPeer

SCHEMA = {
    "type": "object",
    "properties": {"title": {"type": "string", "maxLength": 30}, "tags": {"type": "array", "items": {"type": "string"}, "maxItems": 3}},
    "required": ["title", "tags"],
}
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture
async def engine(ollama_peer: tuple[OllamaPeer, str]):
    async with httpx.AsyncClient(timeout=30) as client:
        yield OllamaEngine(backend("gpu", ollama_peer[1], "tiny", kind="ollama", vision_model="eyes"), client, keep_alive="10m")


async def test_chat_streams_and_reports_usage(engine: OllamaEngine, ollama_peer) -> None:
    result = await engine.chat(ChatRequest(messages=(Message("system", "Be brief."), Message("user", "Hi")), max_tokens=10, temperature=0))
    assert result.content and result.backend == "gpu" and same_model(result.model, "tiny")
    assert result.prompt_tokens > 0 and 0 < result.completion_tokens <= 10
    path, body = ollama_peer[0].requests[-1]
    assert path == "/api/chat"
    assert body["stream"] is True and body["keep_alive"] == "10m"
    assert body["options"] == {"temperature": 0, "num_predict": 10}


async def test_format_carries_the_json_schema(engine: OllamaEngine, ollama_peer) -> None:
    result = await engine.chat(ChatRequest(messages=(Message("user", "A course as JSON."),), json_schema=SCHEMA))
    jsonschema.validate(json.loads(result.content), SCHEMA)
    assert ollama_peer[0].requests[-1][1]["format"] == SCHEMA


async def test_images_go_as_plain_base64_to_the_vision_model(engine: OllamaEngine, ollama_peer) -> None:
    result = await engine.chat(ChatRequest(messages=(Message("user", "What dish is this?", images=(PNG,)),), max_tokens=8))
    assert same_model(result.model, "eyes")
    assert ollama_peer[0].images == [base64.b64encode(PNG).decode()]


async def test_health_models_and_capabilities(engine: OllamaEngine, ollama_peer) -> None:
    health = await engine.health()
    assert health.ready
    assert {"tiny:latest", "eyes:latest"} <= set(health.models)
    assert "vision" in await engine.capabilities("eyes")
    await engine.chat(ChatRequest(messages=(Message("user", "hi"),), max_tokens=2))  # loads the model
    loaded = {info.name for info in await engine.models() if info.loaded}
    assert "tiny:latest" in loaded


async def test_unknown_model_says_how_to_pull_it(ollama_peer) -> None:
    async with httpx.AsyncClient(timeout=30) as client:
        engine = OllamaEngine(backend("gpu", ollama_peer[1], "llama3.1:8b", kind="ollama"), client)
        with pytest.raises(ModelNotFound, match=r"ollama pull llama3\.1:8b"):
            await engine.chat(ChatRequest(messages=(Message("user", "hi"),)))
        health = await engine.health()
    assert health.reachable and not health.model_present and "ollama pull llama3.1:8b" in health.detail


@pytest.mark.parametrize(
    ("fault", "error", "says"),
    [
        ("busy", EngineBusy, "server busy"),
        ("error", EngineUnavailable, "HTTP 500"),
        ("error_mid_stream", EngineUnavailable, "mid-answer"),
        ("drop_mid_stream", EngineUnavailable, "dropped|before Ollama said done"),
    ],
)
async def test_engine_faults_become_clear_errors(engine: OllamaEngine, ollama_peer, fault: str, error: type, says: str) -> None:
    ollama_peer[0].fault = fault
    with pytest.raises(error, match=says):
        await engine.chat(ChatRequest(messages=(Message("user", "hi"),), max_tokens=20))


def test_model_names_without_a_tag_mean_latest() -> None:
    assert same_model("llama3.2", "llama3.2:latest")
    assert same_model("library/llama3.2", "library/llama3.2:latest")
    assert not same_model("llama3.2:1b", "llama3.2:3b")
