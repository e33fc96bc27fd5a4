"""The overhead anchor: what a user could deploy instead of localfn, a bare function that forwards to the engine.

    ENGINE_URL=http://127.0.0.1:11434 functions-framework --asgi --target forwarder --source bench/perf/hello/forwarder.py

It POSTs the request's body unchanged to the engine's /api/chat with one shared httpx client
(made on the first request: functions-framework has no start-up hook) and answers with the
engine's bytes (any GET: 200, for the harness's readiness poll). No validation, prompts, metrics or parsing: its added latency over calling
the engine directly is the floor of any function in front of it.
"""

import os

import functions_framework.aio
import httpx
from starlette.requests import Request
from starlette.responses import Response

_client: list[httpx.AsyncClient] = []


@functions_framework.aio.http
async def forwarder(request: Request) -> Response:
    if request.method != "POST":  # the harness's readiness poll
        return Response("ready")
    if not _client:
        # As localfn's: no connection cap, idle connections dropped before the engine closes them.
        limits = httpx.Limits(max_connections=None, max_keepalive_connections=None, keepalive_expiry=2.0)
        _client.append(httpx.AsyncClient(timeout=120, limits=limits))
    answer = await _client[0].post(
        f"{os.environ['ENGINE_URL']}/api/chat", content=await request.body(), headers={"content-type": "application/json"}
    )
    return Response(answer.content, status_code=answer.status_code, media_type="application/x-ndjson")
