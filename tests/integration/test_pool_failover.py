"""Failover across real engines: GPU first, CPU next, as the chart configures them."""

from __future__ import annotations

from localfn.engine.embedded import LlamaServer
from tests.support.localfn_app import backend, make_settings, sample, serve_client

REQUEST = {"mode": "context", "context": "word " * 300, "max_summary_tokens": 20}


async def test_first_backend_down_the_second_serves_and_says_so(closed_port_url: str, tiny_server: LlamaServer) -> None:
    settings = make_settings(backend("gpu", closed_port_url, "tiny", kind="ollama"), backend("cpu", tiny_server.url, "tiny"), cache_ttl_s=0)
    async with serve_client(settings) as (client, holder):
        first = await client.post("/summarize", json=REQUEST)
        second = await client.post("/summarize", json={**REQUEST, "max_summary_tokens": 21})
        runtime = await holder.get()
    assert first.status_code == second.status_code == 200
    assert first.json()["backend"] == second.json()["backend"] == "cpu"
    # The second request skipped the cooling GPU backend instead of failing over again.
    assert sample(runtime, "localfn_engine_failovers_total", {"backend": "gpu", "reason": "engine-unavailable"}) == 1


async def test_recovered_gpu_serves_again_after_its_cooldown(ollama_peer, tiny_server: LlamaServer) -> None:
    peer, url = ollama_peer
    peer.fault = "error"
    settings = make_settings(
        backend("gpu", url, "tiny", kind="ollama"), backend("cpu", tiny_server.url, "tiny"), cache_ttl_s=0, engine_cooldown_s=0.01
    )
    async with serve_client(settings) as (client, _):
        during = await client.post("/summarize", json=REQUEST)
        peer.fault = None
        after = await client.post("/summarize", json={**REQUEST, "max_summary_tokens": 22})
    assert during.json()["backend"] == "cpu"
    assert after.json()["backend"] == "gpu"
