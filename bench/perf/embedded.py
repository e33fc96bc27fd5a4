"""Embedded engine: tokens per second through summarize against llama-server called directly.

One llama-server (the embedded engine, SmolLM2-135M-Instruct, one slot, greedy decoding)
serves both. Direct: summarize's own prompt to /v1/chat/completions, tokens from its
``usage``. Through the function: the summarize request, tokens from the function's
``localfn_tokens_total`` counter. Tokens per second = completion tokens / wall seconds of
the request. Each run's document number differs, so llama-server's prompt cache helps
neither side; the two take turns going first, and the medians are compared.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any

import httpx

from bench.perf.harness import function, median
from bench.perf.options import Options
from bench.perf.record import Check, Result
from bench.perf.workload import direct_messages, summarize_request
from localfn.engine.embedded import LlamaServer, default_model_path

NAME = "embedded"
BUDGET = 64
PARAGRAPHS = 2  # about 200 prompt tokens: one chunk, and quick on a CPU
TARGET = 0.95


def completion_tokens(metrics: str) -> float:
    """The function's completion-token counter, from its Prometheus text."""
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in metrics.splitlines()
        if line.startswith("localfn_tokens_total{") and 'direction="completion"' in line
    )


async def direct_rate(http: httpx.AsyncClient, server: LlamaServer, n: int) -> float:
    body = {
        "model": server.name,
        "messages": direct_messages(n, budget=BUDGET, paragraphs=PARAGRAPHS),
        "max_tokens": BUDGET,
        "temperature": 0.0,
    }
    started = time.perf_counter()
    response = (await http.post(f"{server.url}/chat/completions", json=body)).raise_for_status()
    return int(response.json()["usage"]["completion_tokens"]) / (time.perf_counter() - started)


async def function_rate(http: httpx.AsyncClient, url: str, n: int) -> float:
    before = completion_tokens((await http.get(f"{url}/metrics")).text)
    started = time.perf_counter()
    (await http.post(url, json=summarize_request(n, budget=BUDGET, paragraphs=PARAGRAPHS))).raise_for_status()
    seconds = time.perf_counter() - started
    return (completion_tokens((await http.get(f"{url}/metrics")).text) - before) / seconds


async def measure(repeats: int) -> dict[str, Any]:
    rates: dict[str, list[float]] = {"direct": [], "function": []}
    async with LlamaServer(default_model_path(), name="smollm2", parallel=1, ctx_size=4096) as server:
        env = {"LOCALFN_ENGINES": f"[{server.backend().model_dump_json()}]", "LOCALFN_CACHE_TTL_S": "0", "LOCALFN_TEMPERATURE": "0"}
        with function("summarize", env) as fn:
            async with httpx.AsyncClient(timeout=300) as http:
                await function_rate(http, fn.url, -1)  # warm-up: model pages, connections
                for run in range(repeats):
                    direct = direct_rate(http, server, 2 * run)
                    through = function_rate(http, fn.url, 2 * run + 1)
                    # Each side goes first every other run, so neither always meets a warmer engine.
                    for side, rate in (("direct", direct), ("function", through))[:: 1 if run % 2 == 0 else -1]:
                        rates[side].append(await rate)
    return rates


def run(options: Options) -> Result:
    rates = asyncio.run(measure(options.repeats))
    direct, through = median(rates["direct"]), median(rates["function"])
    return Result(
        benchmark=NAME,
        parameters={
            "model": default_model_path().name,
            "slots": 1,
            "max_tokens": BUDGET,
            "temperature": 0,
            "repeats": options.repeats,
            "function": "summarize, LOCALFN_CACHE_TTL_S=0",
        },
        raw={
            "median_tokens_per_s": {"direct": round(direct, 2), "function": round(through, 2)},
            "tokens_per_s": {key: [round(v, 2) for v in values] for key, values in rates.items()},
        },
        checks=[Check.at_least("function / direct tokens per second", through / direct, TARGET)],
    )
