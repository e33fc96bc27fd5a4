"""`localfn serve` as a user runs it (its CLI, its own process) in front of a SlotPeer, and load to drive it."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Self

import httpx
import psutil

from tests.support.asgi_server import serve_in_thread
from tests.support.http_checks import Scrape
from tests.support.processes import free_port, wait_ready
from tests.support.slot_peer import MODEL, SlotPeer

BIN = Path(sys.executable).parent
CLIENTS = 200
# Generous: a request that has not answered by then is hung, whatever the machine's speed.
CLIENT_TIMEOUT_S = 120.0


@dataclass
class ServeProcess:
    """A running `localfn serve`: where it listens, and what the kernel says it holds."""

    url: str
    process: subprocess.Popen[bytes]

    def rss_bytes(self) -> int:
        return psutil.Process(self.process.pid).memory_info().rss

    def scrape(self) -> Scrape:
        response = httpx.get(f"{self.url}/metrics", timeout=CLIENT_TIMEOUT_S)
        assert response.status_code == 200, response.text
        return Scrape.parse(response.text)


@contextmanager
def slot_peer(*, slots: int, latency_s: float) -> Iterator[tuple[SlotPeer, str]]:
    """A SlotPeer on a loopback port, in a thread of this process; its `stats` are read directly."""
    peer = SlotPeer(slots=slots, latency_s=latency_s)
    with serve_in_thread(peer) as url:
        yield peer, url


@contextmanager
def localfn_serve(peer_url: str, home: Path, **settings: object) -> Iterator[ServeProcess]:
    """`localfn serve` on a free port, its only engine the SlotPeer at ``peer_url``; ``settings`` as LOCALFN_* variables.

    Stopped with SIGINT (Ctrl-C) at the end, as a user stops it.
    """
    port = free_port()
    engines = [{"name": "peer", "kind": "ollama", "url": peer_url, "model": MODEL}]
    env = {key: value for key, value in os.environ.items() if not key.startswith("LOCALFN_")}
    env.update(
        HOME=str(home),  # generate-badge's history goes under it
        LOCALFN_ENGINES=json.dumps(engines),
        LOCALFN_EMBEDDED="never",
        LOCALFN_HOST="127.0.0.1",
        LOCALFN_PORT=str(port),
        # uvicorn logs every request at INFO; 1,000 log lines would be CPU taken from the server.
        LOCALFN_LOG_LEVEL="WARNING",
        **{f"LOCALFN_{key.upper()}": str(value) for key, value in settings.items()},
    )
    log = home / "serve.log"
    with log.open("wb") as output:
        process = subprocess.Popen([str(BIN / "localfn"), "serve"], env=env, stdout=output, stderr=output)
    url = f"http://127.0.0.1:{port}"
    try:
        wait_ready(f"{url}/health/ready", process, log)
        yield ServeProcess(url, process)
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)


class Clients:
    """``count`` independent HTTP clients, one keep-alive connection each, like that many users' programs.

    One httpx client with a pool this large spends its time scanning the pool (the test
    process, not the server, would be the bottleneck); separate clients do not.
    """

    def __init__(self, count: int = CLIENTS) -> None:
        self._clients = [httpx.AsyncClient(timeout=CLIENT_TIMEOUT_S) for _ in range(count)]

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc: object) -> None:
        await asyncio.gather(*(client.aclose() for client in self._clients))

    async def connect(self, base_url: str) -> None:
        """Open every client's connection (GET /health/live), so the server holds all of them from now on."""
        answers = await asyncio.gather(*(client.get(f"{base_url}/health/live") for client in self._clients))
        assert {answer.status_code for answer in answers} == {200}

    async def post_all(self, url: str, bodies: Iterable[Any]) -> list[httpx.Response]:
        """POST every body to ``url``, each client taking the next as soon as it has its answer; answers in order.

        Any transport error (refused or reset connection, timeout) propagates: a load test must see it.
        """
        pending = iter(enumerate(bodies))
        answers: dict[int, httpx.Response] = {}

        async def run(client: httpx.AsyncClient) -> None:
            for index, body in pending:
                answers[index] = await client.post(url, json=body)

        await asyncio.gather(*(run(client) for client in self._clients))
        return [answers[index] for index in sorted(answers)]


def deep_size(value: object) -> int:
    """Bytes a JSON-like value (str, number, None, and tuples, lists, dicts of them) takes in this Python."""
    size = sys.getsizeof(value)
    if isinstance(value, dict):
        return size + sum(deep_size(k) + deep_size(v) for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return size + sum(deep_size(item) for item in value)
    return size
