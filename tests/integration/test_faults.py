"""Fault injection: `localfn serve`'s app over real HTTP, its engine an OllamaPeer (a named fake
of Ollama, spec-checked) in front of the real tiny llama-server, and one fault at a time.

For each fault: the documented status and problem document (README "Errors", architecture
"Failover rules"), the metric that counts it in GET /metrics, no asyncio task or engine
connection left over, and the same process answering a normal request once the fault is gone.
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest

from localfn.engine.embedded import LlamaServer
from localfn.engine.transport import ShardedTransport
from localfn.errors import (
    EngineBusy,
    EngineTimeout,
    EngineUnavailable,
    LocalfnError,
    ModelNotFound,
    StructuredOutputError,
)
from localfn.runtime import RuntimeHolder
from localfn.serve import build_app
from localfn.settings import BackendSettings
from tests.support.asgi_server import serve_in_loop, serve_in_thread
from tests.support.http_checks import Scrape, assert_problem
from tests.support.leaks import LeakCheck
from tests.support.localfn_app import backend, make_settings
from tests.support.ollama_peer import OFF_SCHEMA, PROSE, Fault, OllamaPeer

RETRY_AFTER_S = 7
MAX_REPAIRS = 2
SUMMARIZE = {"mode": "context", "context": "word " * 60, "max_summary_tokens": 16}
CITY = {
    "name": "weather",
    "description": "Today's weather in a city.",
    "parameters": {"type": "object", "properties": {"city": {"type": "string"}}, "required": ["city"]},
}
EXTRACT = {"user_message": "What's the weather in Lisbon?", "function_schema": CITY}
REQUESTS = {"summarize": SUMMARIZE, "extract-parameters": EXTRACT}
# Three chunks of 128 estimated tokens, summarised one at a time: when the first call fails,
# the two others must be cancelled, not left to run against the engine after the answer.
CHUNKED = {**SUMMARIZE, "context": "word " * 200}
ONE_CHUNK_AT_A_TIME = {"summarize": {"chunk_tokens": 128, "parallel_chunks": 1}}

Counted = tuple[str, dict[str, str], float]  # a Prometheus sample and how much the fault adds to it


def failover(reason: str) -> Counted:
    return ("localfn_engine_failovers_total", {"backend": "gpu", "reason": reason}, 1)


REPAIRED: Counted = ("localfn_structured_repairs_total", {}, MAX_REPAIRS)


@dataclass(frozen=True)
class Case:
    """One fault: how to cause it, and what the caller and the metrics must see."""

    id: str
    status: int
    error: type[LocalfnError] | None  # None: the request succeeds despite the fault
    says: tuple[str, ...] = ()  # in the problem's detail
    counted: tuple[Counted, ...] = ()
    function: str = "summarize"
    fault: Fault | None = None
    delay_s: float = 0.0
    down: bool = False  # nothing listens on the engine's port
    model: str = "tiny"  # what localfn asks the engine for; "tiny" is the only model pulled
    second_backend: bool = False  # the real llama-server, directly, after the peer
    problem: dict[str, Any] = field(default_factory=dict)  # members the problem must carry
    settings: dict[str, Any] = field(default_factory=dict)
    request: dict[str, Any] | None = None  # the faulty request, when not the function's normal one


CASES = [
    Case("engine-down", 503, EngineUnavailable, ("gpu", "cannot connect"), (failover("engine-unavailable"),), down=True),
    Case(
        "engine-slow",
        504,
        EngineTimeout,
        ("no answer in time",),
        (("localfn_engine_calls_total", {"backend": "gpu", "model": "tiny", "outcome": "engine-timeout"}, 1),),
        # Well above a loaded CPU's wait for the tiny model's next token, so only the delay trips it.
        delay_s=10.0,
        settings={"request_timeout_s": 5.0},
    ),
    Case("busy-fails-over", 200, None, (), (failover("engine-busy"),), fault="busy", second_backend=True),
    Case("busy-alone", 503, EngineBusy, ("server busy",), (failover("engine-busy"),), fault="busy"),
    Case(
        "reply-not-json",
        502,
        StructuredOutputError,
        ("after 3 attempts", "no JSON value"),
        (REPAIRED,),
        function="extract-parameters",
        fault="not_json",
        problem={"attempts": 3, "last_output": PROSE},
    ),
    Case(
        "reply-off-schema",
        502,
        StructuredOutputError,
        ("after 3 attempts", 'is not of type "object"'),
        (REPAIRED,),
        function="extract-parameters",
        fault="off_schema",
        problem={"attempts": 3, "last_output": OFF_SCHEMA},
    ),
    Case(
        "drop-mid-stream",
        503,
        EngineUnavailable,
        ("gpu", "connection dropped"),
        (failover("engine-unavailable"),),
        fault="drop_mid_stream",
    ),
    Case(
        "drop-mid-stream-chunked",
        503,
        EngineUnavailable,
        ("gpu", "connection dropped"),
        (failover("engine-unavailable"),),
        fault="drop_mid_stream",
        request=CHUNKED,
        settings=ONE_CHUNK_AT_A_TIME,
    ),
    Case(
        "error-mid-stream",
        503,
        EngineUnavailable,
        ("failed mid-answer", "unexpected EOF"),
        (failover("engine-unavailable"),),
        fault="error_mid_stream",
    ),
    Case(
        "model-not-pulled",
        503,
        ModelNotFound,
        ("'llama3.1:8b'", "ollama pull llama3.1:8b"),
        (failover("model-not-found"),),
        model="llama3.1:8b",
    ),
]


@pytest.fixture
def engine_socket() -> Iterator[socket.socket]:
    """A loopback port reserved for the engine: bound, not listening, so connections are refused until it serves."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        yield sock


def backends(case: Case, engine_url: str, tiny_server: LlamaServer) -> list[BackendSettings]:
    gpu = backend("gpu", engine_url, case.model, kind="ollama")
    return [gpu, backend("cpu", tiny_server.url, "tiny")] if case.second_backend else [gpu]


def heal(case: Case, peer: OllamaPeer, stack: contextlib.ExitStack, sock: socket.socket) -> None:
    """Take the fault away: the engine comes up, stops failing, has the model."""
    peer.fault, peer.delay_s = None, 0.0
    if case.down:
        stack.enter_context(serve_in_thread(peer, sock))
    if case.model not in peer.models:
        peer.pull(case.model, "tiny")


def assert_answer(case: Case, response: httpx.Response) -> None:
    if case.error is None:
        assert response.status_code == case.status, response.text
        assert response.json()["backend"] == "cpu"
        return
    assert case.error.status == case.status  # the class localfn raises carries the README's status
    body = assert_problem(response, case.status, case.error.slug)
    assert body["title"] == case.error.title
    assert all(text in body["detail"] for text in case.says), body["detail"]
    assert case.problem.items() <= body.items()
    # Retry-After exactly on the answers a retry can fix.
    assert response.headers.get("retry-after") == (str(RETRY_AFTER_S) if case.error.retryable else None)


def assert_counted(case: Case, before: Scrape, after: Scrape) -> None:
    status = {"function": case.function, "status": str(case.status), "mode": "json"}
    for name, labels, added in (("localfn_requests_total", status, 1), *case.counted):
        assert after.value(name, **labels) - before.value(name, **labels) == added, (name, labels)
    assert after.value("localfn_in_flight", function=case.function) == 0


async def scrape(client: httpx.AsyncClient) -> Scrape:
    response = await client.get("/metrics")
    assert response.status_code == 200
    return Scrape.parse(response.text)


@pytest.mark.parametrize("case", CASES, ids=lambda case: case.id)
async def test_fault(case: Case, tiny_server: LlamaServer, engine_socket: socket.socket) -> None:
    peer = OllamaPeer(tiny_server.url.removesuffix("/v1"), {"tiny:latest": "tiny"})
    engine_url = "http://{}:{}".format(*engine_socket.getsockname())
    settings = make_settings(
        *backends(case, engine_url, tiny_server),
        cache_ttl_s=0,
        retry_after_s=RETRY_AFTER_S,
        max_repairs=MAX_REPAIRS,
        **case.settings,
    )
    holder = RuntimeHolder(lambda: settings)
    request = REQUESTS[case.function]
    with contextlib.ExitStack() as stack:
        if not case.down:
            stack.enter_context(serve_in_thread(peer, engine_socket))
        async with serve_in_loop(build_app(holder, [case.function])) as url, httpx.AsyncClient(base_url=url, timeout=60) as client:
            before = await scrape(client)
            leaks = LeakCheck((await holder.get()).http, engine_url)
            peer.fault, peer.delay_s = case.fault, case.delay_s

            assert_answer(case, await client.post(f"/{case.function}", json=case.request or request))
            await leaks.assert_clean()
            assert_counted(case, before, await scrape(client))

            heal(case, peer, stack, engine_socket)
            healed = await client.post(f"/{case.function}", json=request)
            assert healed.status_code == 200, healed.text
            # A failover leaves the peer cooling down (LOCALFN_ENGINE_COOLDOWN_S): the second backend serves.
            assert healed.json()["backend"] == ("cpu" if case.second_backend else "gpu")
            await leaks.assert_clean()
    assert peer.violations == [], "localfn sent or received something off Ollama's spec"


async def test_the_leak_check_sees_a_held_response_a_stray_socket_and_a_stray_task(
    closed_port_url: str, engine_socket: socket.socket
) -> None:
    peer = OllamaPeer(closed_port_url, {"tiny:latest": "tiny"})  # /api/tags needs no upstream
    with serve_in_thread(peer, engine_socket) as url:
        async with httpx.AsyncClient(transport=ShardedTransport()) as client:
            leaks = LeakCheck(client, url)
            async with client.stream("GET", f"{url}/api/tags"):
                with pytest.raises(AssertionError, match="still in use"):
                    await leaks.assert_clean()
            await leaks.assert_clean()  # read and closed: an idle keep-alive connection is fine
            with socket.create_connection(engine_socket.getsockname()), pytest.raises(AssertionError, match="open sockets"):
                await leaks.assert_clean()
            stray = asyncio.create_task(asyncio.sleep(60), name="stray")
            with pytest.raises(AssertionError, match="stray"):
                await leaks.assert_clean()
            stray.cancel()
            await asyncio.gather(stray, return_exceptions=True)
