"""Repetition on the wire: the repeat penalty reaches llama-server through both backends, and
the Ollama backend stops reading a reply that loops.

llama-server reports each slot's sampling parameters at ``GET /slots``, so the penalty is
checked where it takes effect, not only in the request localfn sent. A looping model is
OllamaPeer's ``loop`` fault: one sentence, 2,000 times.
"""

from __future__ import annotations

import re

import httpx
import pytest

from localfn.engine.base import ChatRequest, Message
from localfn.engine.embedded import LlamaServer
from localfn.engine.ollama import OllamaEngine
from localfn.engine.openai import OpenAIEngine
from localfn.sentences import LOOP_REPEATS, LOOPED
from tests.support.localfn_app import backend, make_settings, serve_client
from tests.support.ollama_peer import LOOPING_SENTENCE, OllamaPeer

HELLO = (Message("user", "Say hello."),)


async def slot_penalties(client: httpx.AsyncClient, server: LlamaServer) -> list[float]:
    """The repeat_penalty each of llama-server's slots last decoded with (a slot never used has none)."""
    response = await client.get(f"{server.url.removesuffix('/v1')}/slots")
    response.raise_for_status()
    return [slot["params"]["repeat_penalty"] for slot in response.json() if "params" in slot]


async def test_llama_server_decodes_with_the_penalty_the_openai_backend_sends(tiny_server: LlamaServer) -> None:
    async with httpx.AsyncClient(timeout=60) as client:
        engine = OpenAIEngine(backend("local", tiny_server.url, "tiny"), client)
        await engine.chat(ChatRequest(messages=HELLO, max_tokens=4, repeat_penalty=1.37))
        assert pytest.approx(1.37) in await slot_penalties(client, tiny_server)


async def test_the_ollama_backend_sends_the_penalty_as_an_option_llama_server_decodes_with(
    ollama_peer: tuple[OllamaPeer, str], tiny_server: LlamaServer
) -> None:
    peer, url = ollama_peer
    async with httpx.AsyncClient(timeout=60) as client:
        engine = OllamaEngine(backend("gpu", url, "tiny", kind="ollama"), client)
        await engine.chat(ChatRequest(messages=HELLO, max_tokens=4, repeat_penalty=1.23))
        assert peer.requests[-1][1]["options"]["repeat_penalty"] == 1.23  # checked against Ollama's spec too
        assert pytest.approx(1.23) in await slot_penalties(client, tiny_server)


async def test_the_ollama_backend_stops_reading_a_reply_that_loops(ollama_peer: tuple[OllamaPeer, str]) -> None:
    peer, url = ollama_peer
    peer.fault = "loop"  # the same sentence 2,000 times
    async with httpx.AsyncClient(timeout=60) as client:
        engine = OllamaEngine(backend("gpu", url, "tiny", kind="ollama"), client)
        result = await engine.chat(ChatRequest(messages=HELLO))
    assert (result.content, result.finish_reason) == (LOOPING_SENTENCE, LOOPED)
    # The peer streams a word (with the space after it) a chunk: reading stopped at the third copy's end.
    words = len(re.findall(r"\S+", LOOPING_SENTENCE))
    assert result.completion_tokens == words * LOOP_REPEATS


async def test_summarize_on_a_looping_ollama_returns_the_sentence_once(ollama_peer: tuple[OllamaPeer, str]) -> None:
    peer, url = ollama_peer
    peer.fault = "loop"
    context = "Plants turn light, water and carbon dioxide into sugar and oxygen in their leaves. " * 20
    settings = make_settings(backend("gpu", url, "tiny", kind="ollama"), cache_ttl_s=0)
    async with serve_client(settings) as (client, _):
        response = await client.post("/summarize", json={"mode": "context", "context": context, "max_summary_tokens": 60})
    assert response.status_code == 200, response.text
    assert response.json()["summary"] == LOOPING_SENTENCE
    chats = [body for path, body in peer.requests if path == "/api/chat"]
    assert [body["options"]["repeat_penalty"] for body in chats] == [settings.repeat_penalty]
