"""summarize with a real small instruct model (SmolLM2-135M-Instruct), where the text must make sense."""

from __future__ import annotations

from pathlib import Path

import pytest

from localfn.engine.embedded import LlamaServer
from tests.support.localfn_app import make_settings, serve_client

pytestmark = pytest.mark.smollm2

TEXT = (Path(__file__).parents[1] / "fixtures" / "photosynthesis.txt").read_text()
SUBJECT_WORDS = ("photosynthesis", "plant", "chlorophyll", "light", "leaf", "leaves", "glucose", "oxygen")


async def test_context_summary_is_about_the_subject_and_within_budget(smollm2_server: LlamaServer) -> None:
    async with serve_client(make_settings(smollm2_server.backend(), cache_ttl_s=0)) as (client, _):
        response = await client.post("/summarize", json={"mode": "context", "context": TEXT, "max_summary_tokens": 120})
    assert response.status_code == 200, response.text
    body = response.json()
    summary = body["summary"].lower()
    assert sum(word in summary for word in SUBJECT_WORDS) >= 2, summary
    assert body["token_count"] == "tokenizer"
    assert body["tokens_after"] <= 120 < body["tokens_before"]
    assert body["model"] == "smollm2"


async def test_conversation_summary_keeps_what_the_user_said(smollm2_server: LlamaServer) -> None:
    messages = [
        {"role": "user", "content": "Hi, I am Maria and I am preparing for my biology exam on photosynthesis next Friday."},
        {"role": "assistant", "content": TEXT.split("\n\n")[0]},
        {"role": "user", "content": "What are the two stages?"},
        {"role": "assistant", "content": TEXT.split("\n\n")[2]},
        {"role": "user", "content": "Thanks. Which factors limit the rate?"},
    ]
    request = {"mode": "conversation", "messages": messages, "keep_last": 1, "max_summary_tokens": 100}
    async with serve_client(make_settings(smollm2_server.backend(), cache_ttl_s=0)) as (client, _):
        response = await client.post("/summarize", json=request)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["messages"][-1] == messages[-1]
    summary = body["summary"].lower()
    assert any(word in summary for word in SUBJECT_WORDS), summary
    assert body["tokens_after"] <= 100
