"""summarize end to end over HTTP, on a real llama.cpp server with the tiny model."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from localfn.settings import BackendSettings
from tests.support.localfn_app import engine_calls, make_settings, sample, serve_client

TEXT = (Path(__file__).parents[1] / "fixtures" / "photosynthesis.txt").read_text()
PARAGRAPH = TEXT.split("\n\n")[0]  # short enough for a single engine call


async def test_context_mode_fits_the_budget_counted_by_the_engine_tokenizer(tiny_backend: BackendSettings) -> None:
    async with serve_client(make_settings(tiny_backend, cache_ttl_s=0)) as (client, _):
        response = await client.post("/summarize", json={"mode": "context", "context": TEXT, "max_summary_tokens": 60})
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["compressed"] is True
    assert body["token_count"] == "tokenizer"
    assert body["tokens_before"] > 60
    assert 0 < body["tokens_after"] <= 60
    assert body["summary"]
    assert (body["model"], body["backend"]) == ("tiny", "embedded")


async def test_list_of_chunks_is_accepted_and_joined(tiny_backend: BackendSettings) -> None:
    chunks = TEXT.split("\n\n")
    async with serve_client(make_settings(tiny_backend, cache_ttl_s=0)) as (client, _):
        response = await client.post("/summarize", json={"mode": "context", "context": chunks, "max_summary_tokens": 40})
    assert response.status_code == 200, response.text
    assert response.json()["tokens_after"] <= 40


async def test_input_already_within_budget_is_returned_without_a_model_call(tiny_backend: BackendSettings) -> None:
    async with serve_client(make_settings(tiny_backend)) as (client, holder):
        response = await client.post("/summarize", json={"mode": "context", "context": "Plants make sugar.", "max_summary_tokens": 50})
        calls = engine_calls(await holder.get())
    body = response.json()
    assert (body["compressed"], body["passes"], body["summary"]) == (False, 0, "Plants make sugar.")
    assert calls == 0


async def test_long_context_is_summarised_in_chunks_then_merged(tiny_backend: BackendSettings) -> None:
    settings = make_settings(tiny_backend, cache_ttl_s=0, summarize={"chunk_tokens": 128})
    async with serve_client(settings) as (client, holder):
        response = await client.post("/summarize", json={"mode": "context", "context": TEXT, "max_summary_tokens": 50})
        calls = engine_calls(await holder.get())
    body = response.json()
    assert response.status_code == 200, response.text
    assert body["passes"] > 2
    assert calls == body["passes"]
    assert body["tokens_after"] <= 50


async def test_conversation_mode_keeps_system_turns_and_last_turns_verbatim(tiny_backend: BackendSettings) -> None:
    paragraphs = TEXT.split("\n\n")
    messages = [{"role": "system", "content": "You are a biology tutor."}]
    for index, paragraph in enumerate(paragraphs):
        messages.append({"role": "user", "content": f"Tell me part {index + 1}."})
        messages.append({"role": "assistant", "content": paragraph})
    request = {"mode": "conversation", "messages": messages, "keep_last": 2, "max_summary_tokens": 80}
    async with serve_client(make_settings(tiny_backend, cache_ttl_s=0)) as (client, _):
        response = await client.post("/summarize", json=request)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["messages"][0] == messages[0]
    assert body["messages"][1]["role"] == "system"
    assert body["messages"][1]["content"].startswith("Summary of the earlier conversation:")
    assert body["messages"][2:] == messages[-2:]
    assert 0 < body["tokens_after"] <= 80 < body["tokens_before"]


async def test_identical_requests_are_served_from_the_cache(tiny_backend: BackendSettings) -> None:
    request = {"mode": "context", "context": PARAGRAPH, "max_summary_tokens": 30}
    async with serve_client(make_settings(tiny_backend)) as (client, holder):
        first = await client.post("/summarize", json=request)
        second = await client.post("/summarize", json=request)
        runtime = await holder.get()
        calls = engine_calls(runtime)
        hits = sample(runtime, "localfn_reused_total", {"function": "summarize", "kind": "hit"})
    assert first.json() == second.json()
    assert calls == 1
    assert hits == 1


async def test_identical_requests_in_flight_share_one_engine_call(tiny_backend: BackendSettings) -> None:
    request = {"mode": "context", "context": PARAGRAPH, "max_summary_tokens": 30}
    async with serve_client(make_settings(tiny_backend)) as (client, holder):
        responses = await asyncio.gather(*(client.post("/summarize", json=request) for _ in range(20)))
        calls = engine_calls(await holder.get())
    assert {r.status_code for r in responses} == {200}
    assert len({r.text for r in responses}) == 1
    assert calls == 1


@pytest.mark.parametrize("budget", [16, 40])
async def test_budget_holds_for_small_budgets(tiny_backend: BackendSettings, budget: int) -> None:
    async with serve_client(make_settings(tiny_backend, cache_ttl_s=0)) as (client, _):
        response = await client.post("/summarize", json={"mode": "context", "context": TEXT, "max_summary_tokens": budget})
    assert response.json()["tokens_after"] <= budget
