"""Every function in one process, as `localfn serve` runs them on a laptop.

Each function's routes sit under ``/<function-name>``; ``POST /events`` takes any CloudEvent
and hands it to the function whose request type it carries, as a Knative Trigger would.
The process answers ``/health/live``, ``/health/ready`` and ``/metrics`` for all of them,
and ``/openapi.json`` describes every function.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager
from typing import Any

from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Mount, Route

from localfn.app import FunctionApp
from localfn.capability import Capability
from localfn.errors import BadRequest, LocalfnError, MethodNotAllowed, NotFound
from localfn.events import is_cloudevent, parse_event
from localfn.functions import FUNCTIONS
from localfn.limits import read_body
from localfn.metrics import CONTENT_TYPE
from localfn.openapi import openapi_document
from localfn.problems import problem_response, with_problems
from localfn.runtime import RuntimeHolder

__all__ = ["FUNCTIONS", "build_app", "load_capabilities"]


def load_capabilities(names: Sequence[str] | None = None) -> dict[str, type[Capability[Any, Any]]]:
    """The capability classes of the named functions (all by default), imported now."""
    selected = names or list(FUNCTIONS)
    unknown = [name for name in selected if name not in FUNCTIONS]
    if unknown:
        raise ValueError(f"unknown function(s) {', '.join(unknown)}; choose from {', '.join(FUNCTIONS)}")
    return {name: FUNCTIONS[name].load() for name in selected}


def build_app(holder: RuntimeHolder, names: Sequence[str] | None = None) -> Starlette:
    capabilities = load_capabilities(names)
    apps = {name: FunctionApp(cls, holder) for name, cls in capabilities.items()}

    def wrap(endpoint: Any) -> Any:
        return with_problems(endpoint, lambda: holder.settings.retry_after_s)

    routes: list[BaseRoute] = []
    for name, cls in capabilities.items():
        # POST /<name> itself, not only /<name>/: Mount alone would answer it with a redirect.
        routes.append(Route(f"/{name}", apps[name].routes[0].endpoint, methods=["POST"]))
        routes.append(Mount(f"/{name}", routes=apps[name].routes))
        routes += apps[name].operation_routes(cls.root_routes)

    async def events(request: Request) -> Response:
        if not is_cloudevent(request.headers):
            raise BadRequest("POST /events takes a CloudEvent (binary or structured mode)")
        # The largest limit of any function (LOCALFN_MAX_BODY_BYTES when set); the one it goes to checks its own.
        max_body_bytes = holder.settings.max_body_bytes
        body = await read_body(request, max(app.capability.body_limit(max_body_bytes) for app in apps.values()))
        event_type = parse_event(request.headers, body).type
        for app in apps.values():
            if event_type in app.capability.event_types():
                return await app.invoke(request, body)
        known = [t for app in apps.values() for t in app.capability.event_types()]
        raise BadRequest(f"no function handles events of type {event_type!r}; known types: {', '.join(known)}")

    async def live(request: Request) -> Response:
        return JSONResponse({"status": "live", "functions": list(capabilities)})

    async def ready(request: Request) -> Response:
        runtime = await holder.get()
        health = await runtime.pool.health()
        # What `localfn doctor` and `localfn models` show: the model each engine serves, and all it has.
        engines = [
            {
                "backend": c.backend,
                "model": engine.model,
                "ready": c.ready,
                "reachable": c.reachable,
                "model_present": c.model_present,
                "detail": c.detail,
                "models": list(c.models),
            }
            for engine, c in zip(runtime.pool.engines, health.engines, strict=True)
        ]
        status = 200 if health.ready else 503
        return JSONResponse({"status": "ready" if health.ready else "not ready", "engines": engines}, status_code=status)

    async def metrics(request: Request) -> Response:
        return Response((await holder.get()).metrics.render(), media_type=CONTENT_TYPE)

    async def openapi(request: Request) -> Response:
        return JSONResponse(openapi_document(list(capabilities.values()), prefixed=True))

    async def index(request: Request) -> Response:
        return JSONResponse({"functions": dict.fromkeys(capabilities, "ready")})

    routes += [
        Route("/", wrap(index), methods=["GET"]),
        Route("/events", wrap(events), methods=["POST"]),
        Route("/health/live", wrap(live), methods=["GET"]),
        Route("/health/ready", wrap(ready), methods=["GET"]),
        Route("/metrics", wrap(metrics), methods=["GET"]),
        Route("/openapi.json", wrap(openapi), methods=["GET"]),
    ]

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await holder.get()  # start the runtime before the first request
        try:
            yield
        finally:
            await holder.aclose()

    async def no_route(request: Request, exc: Exception) -> Response:
        """Starlette's own 404 and 405 (no route, or not that method), as problems like every other error."""
        assert isinstance(exc, HTTPException)  # the only exception this handler is registered for
        what = f"{request.method} {request.url.path}"
        error: LocalfnError
        if exc.status_code == 404:
            error = NotFound(f"{what} is not a route of localfn serve; GET /openapi.json lists them")
        elif exc.status_code == 405:
            error = MethodNotAllowed(f"{what}: the route does not take {request.method}; GET /openapi.json lists its methods")
        else:
            error = LocalfnError(f"{what} failed with HTTP {exc.status_code}")
        response = problem_response(error, instance=request.url.path, retry_after_s=holder.settings.retry_after_s)
        response.headers.update(exc.headers or {})  # a 405's Allow
        return response

    return Starlette(routes=routes, lifespan=lifespan, exception_handlers={HTTPException: no_route})
