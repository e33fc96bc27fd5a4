"""The OpenAI-compatible backend against a real llama-server."""

from __future__ import annotations

import httpx
import jsonschema
import pytest

from localfn.engine.base import ChatRequest, Message
from localfn.engine.embedded import LlamaServer
from localfn.engine.openai import OpenAIEngine
from localfn.errors import EngineRejected, EngineUnavailable
from tests.support.localfn_app import backend

SCHEMA = {
    "type": "object",
    "properties": {"name": {"type": "string", "maxLength": 20}, "level": {"type": "integer", "minimum": 1, "maximum": 5}},
    "required": ["name", "level"],
    "additionalProperties": False,
}


@pytest.fixture
async def engine(tiny_server: LlamaServer):
    async with httpx.AsyncClient(timeout=60) as client:
        yield OpenAIEngine(backend("local", tiny_server.url, "tiny"), client)


async def test_chat_reports_text_usage_model_and_backend(engine: OpenAIEngine) -> None:
    result = await engine.chat(ChatRequest(messages=(Message("user", "Say hello."),), max_tokens=12, temperature=0))
    assert result.content
    assert (result.model, result.backend) == ("tiny", "local")
    assert result.prompt_tokens > 0 and 0 < result.completion_tokens <= 12


async def test_json_schema_constrains_the_reply(engine: OpenAIEngine) -> None:
    request = ChatRequest(messages=(Message("user", "Describe a badge as JSON."),), json_schema=SCHEMA, temperature=0.8, max_tokens=400)
    for _ in range(5):
        result = await engine.chat(request)
        jsonschema.validate(__import__("json").loads(result.content), SCHEMA)


async def test_count_tokens_uses_the_server_tokenizer(engine: OpenAIEngine) -> None:
    short, long = await engine.count_tokens("hello"), await engine.count_tokens("hello " * 50)
    assert short is not None and long is not None and long > short > 0


async def test_health_and_models(engine: OpenAIEngine) -> None:
    health = await engine.health()
    assert health.ready and "tiny" in health.models
    assert [m.name for m in await engine.models()] == ["tiny"]


async def test_images_without_a_vision_model_are_rejected(engine: OpenAIEngine) -> None:
    with pytest.raises(EngineRejected, match="vision"):
        await engine.chat(ChatRequest(messages=(Message("user", "What is this?", images=(b"\x89PNG...",)),)))


async def test_unreachable_server_is_engine_unavailable(closed_port_url: str) -> None:
    async with httpx.AsyncClient(timeout=5) as client:
        engine = OpenAIEngine(backend("down", f"{closed_port_url}/v1", "tiny"), client)
        with pytest.raises(EngineUnavailable, match="cannot connect"):
            await engine.chat(ChatRequest(messages=(Message("user", "hi"),)))
        assert not (await engine.health()).reachable
