"""SlotPeer: a named fake of Ollama with S parallel slots and a fixed latency L, for benchmarks and load tests.

It stands in for the GPU, which these machines do not have: each /api/chat holds one of
`slots` for `latency_s` and then answers a canned reply, so no client can get more than
slots / latency_s answers per second, and whatever a function adds shows on top of a
known, steady engine time. Requests beyond the slots wait in arrival order, as Ollama queues
them beyond OLLAMA_NUM_PARALLEL.

The hot path does no spec checking (it would spend the CPU being measured);
tests/integration/test_slot_peer.py checks every kind of reply against Ollama's OpenAPI
description instead. `GET /_peer/stats` (not an Ollama route) reports the calls it served;
`POST /_peer/held` hands over (and forgets) how long each /api/chat call since the last one
spent inside the peer, keyed by `held_key` of its messages, so a benchmark can take the
engine's own time out of each request's latency one by one (bench/perf/overhead.py).

Run it as its own process, so its CPU is not the measured process's:
    python -m tests.support.slot_peer --slots 4 --latency-ms 50
prints its base URL on the first line of stdout.
"""

from __future__ import annotations

import argparse
import asyncio
import datetime
import hashlib
import json
import socket
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import Route

from tests.support.ollama_spec import NDJSON, ollama_routes

MODEL = "bench:latest"
REPLY = "Plants turn light, water and carbon dioxide into sugar and oxygen."
PROMPT_TOKENS = 40
COMPLETION_TOKENS = 16
MODIFIED_AT = "2025-01-01T00:00:00Z"


@dataclass
class PeerStats:
    calls: int = 0
    in_flight: int = 0
    max_in_flight: int = 0
    models: list[str] = field(default_factory=list)


def held_key(messages: Sequence[dict[str, Any]]) -> str:
    """What `/_peer/held` files a call under: a digest of its messages' roles and contents."""
    text = json.dumps([[m.get("role"), m.get("content")] for m in messages])
    return hashlib.sha256(text.encode()).hexdigest()[:32]


def _now() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat().replace("+00:00", "Z")


def _details() -> dict[str, Any]:
    return {"format": "gguf", "family": "llama", "parameter_size": "135M", "quantization_level": "Q8_0"}


class SlotPeer:
    """An ASGI app: Ollama's /api/chat with `slots` parallel slots, each answer taking `latency_s`."""

    def __init__(self, *, slots: int, latency_s: float, model: str = MODEL, reply: str = REPLY) -> None:
        if slots < 1 or latency_s < 0:
            raise ValueError("slots must be at least 1 and latency_s at least 0")
        self.slots = slots
        self.latency_s = latency_s
        self.model = model
        self.reply = reply
        self.stats = PeerStats()
        self.held: dict[str, float] = {}  # held_key -> seconds a call spent in the peer
        self._slots = asyncio.Semaphore(slots)
        self.app = Starlette(
            routes=[
                *ollama_routes(self),
                Route("/_peer/stats", self._stats, methods=["GET"]),
                Route("/_peer/held", self._take_held, methods=["POST"]),
            ]
        )

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        await self.app(scope, receive, send)

    @property
    def bound_rps(self) -> float:
        """The most answers per second any client can get from this peer."""
        return self.slots / self.latency_s if self.latency_s else float("inf")

    async def _root(self, request: Request) -> Response:
        return PlainTextResponse("Ollama is running")

    async def _version(self, request: Request) -> Response:
        return JSONResponse({"version": "0.12.6"})

    def _entry(self) -> dict[str, Any]:
        digest = "0" * 64
        return {"name": self.model, "model": self.model, "size": 0, "digest": digest, "details": _details()}

    async def _tags(self, request: Request) -> Response:
        return JSONResponse({"models": [{**self._entry(), "modified_at": MODIFIED_AT}]})

    async def _ps(self, request: Request) -> Response:
        return JSONResponse({"models": [{**self._entry(), "expires_at": MODIFIED_AT, "size_vram": 0}]})

    async def _show(self, request: Request) -> Response:
        body = await request.json()
        if not self._known(body.get("model", "")):
            return self._not_found(body.get("model", ""))
        return JSONResponse({"modified_at": MODIFIED_AT, "details": _details(), "capabilities": ["completion"], "model_info": {}})

    async def _stats(self, request: Request) -> Response:
        stats = self.stats
        return JSONResponse(
            {
                "calls": stats.calls,
                "in_flight": stats.in_flight,
                "max_in_flight": stats.max_in_flight,
                "slots": self.slots,
                "latency_s": self.latency_s,
            }
        )

    async def _take_held(self, request: Request) -> Response:
        held, self.held = self.held, {}
        return JSONResponse(held)

    def _known(self, name: str) -> bool:
        return name in (self.model, self.model.removesuffix(":latest"))

    def _not_found(self, name: str) -> Response:
        return JSONResponse({"error": f'model "{name}" not found, try pulling it first'}, status_code=404)

    async def _chat(self, request: Request) -> Response:
        arrived = time.perf_counter()
        body = await request.json()
        if not self._known(body.get("model", "")):
            return self._not_found(body.get("model", ""))
        await self._hold_slot()
        self.held[held_key(body.get("messages", []))] = time.perf_counter() - arrived
        head = {"model": body["model"], "created_at": _now()}
        done = {
            **head,
            "message": {"role": "assistant", "content": "" if body.get("stream", True) else self.reply},
            "done": True,
            "done_reason": "stop",
            "total_duration": int(self.latency_s * 1e9),
            "prompt_eval_count": PROMPT_TOKENS,
            "eval_count": COMPLETION_TOKENS,
        }
        if not body.get("stream", True):
            return JSONResponse(done)
        first = {**head, "message": {"role": "assistant", "content": self.reply}, "done": False}
        lines = [json.dumps(first).encode() + b"\n", json.dumps(done).encode() + b"\n"]
        return StreamingResponse(iter(lines), media_type=NDJSON)

    async def _hold_slot(self) -> None:
        """Wait for a free slot, then keep it for the fixed latency: the engine's own time."""
        async with self._slots:
            stats = self.stats
            stats.calls += 1
            stats.in_flight += 1
            stats.max_in_flight = max(stats.max_in_flight, stats.in_flight)
            try:
                await asyncio.sleep(self.latency_s)
            finally:
                stats.in_flight -= 1


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Serve a SlotPeer (a fake Ollama with fixed slots and latency).")
    parser.add_argument("--slots", type=int, default=4, help="parallel slots (default 4)")
    parser.add_argument("--latency-ms", type=float, default=50.0, help="time each answer holds a slot (default 50)")
    parser.add_argument(
        "--host", default="127.0.0.1", help="loopback address to listen on, e.g. 127.0.0.2 for a second pod (default 127.0.0.1)"
    )
    parser.add_argument("--port", type=int, default=0, help="TCP port (default: any free one)")
    args = parser.parse_args(argv)
    peer = SlotPeer(slots=args.slots, latency_s=args.latency_ms / 1000)
    # IPPROTO_TCP named explicitly: asyncio sets TCP_NODELAY only on sockets that say so, and
    # without it a kept-alive connection waits ~40 ms (Nagle against delayed ACK) per answer.
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.bind((args.host, args.port))
    print(f"http://{args.host}:{sock.getsockname()[1]}", flush=True)
    config = uvicorn.Config(peer, log_level="warning", lifespan="off", ws="none", backlog=2048)
    uvicorn.Server(config).run(sockets=[sock])


if __name__ == "__main__":
    sys.exit(main())
