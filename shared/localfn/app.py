"""Turns a capability into a function: one route for JSON and CloudEvents, health, metrics, OpenAPI.

The same ``FunctionApp`` serves two hosts. Under functions-framework (``--asgi``) the
function's entrypoint is the app itself, called for every path; under ``localfn serve``
its routes are mounted under ``/<function-name>``.
"""

from __future__ import annotations

import json
import time
from collections.abc import Awaitable, Callable, Iterable, Mapping
from typing import Any

import functions_framework.aio
from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Match, Route

from localfn.cache import Reuse
from localfn.capability import Call, Capability, ExtraRoute, Operation, RouteDoc
from localfn.errors import BadRequest, LocalfnError, NotFound
from localfn.events import CloudEvent, IncomingEvent, is_cloudevent, parse_event, reply_event, to_http
from localfn.limits import check_body, read_body
from localfn.metrics import CONTENT_TYPE
from localfn.openapi import openapi_document
from localfn.problems import Endpoint, invalid_input, problem_response, with_problems
from localfn.runtime import Runtime, RuntimeHolder

__all__ = ["FunctionApp", "entrypoint"]

_JSON_TYPES = ("application/json", "")


class FunctionApp:
    def __init__(self, capability: type[Capability[Any, Any]], holder: RuntimeHolder) -> None:
        self.capability = capability
        self.name = capability.name
        self._holder = holder
        self.routes = self._routes()

    async def __call__(self, request: Request) -> Response:
        """functions-framework entrypoint: route any path of this function."""
        for route in self.routes:
            match, child = route.matches(request.scope)
            if match is Match.FULL:
                scoped = Request({**request.scope, **child}, request.receive)
                response: Response = await route.endpoint(scoped)  # starlette types a route's endpoint loosely
                return response
        error = NotFound(f"{request.method} {request.url.path} is not a route of {self.name}")
        return problem_response(error, instance=request.url.path, retry_after_s=self._retry_after_s())

    async def invoke(self, request: Request, body: bytes | None = None) -> Response:
        """One invocation: JSON in and out, or a CloudEvent in and a reply out.

        ``body`` is given when the caller had to read it already (``POST /events`` does, to route).
        """

        event = is_cloudevent(request.headers)

        async def respond(runtime: Runtime) -> Response:
            limit = self.capability.body_limit(runtime.settings.max_body_bytes)
            if body is None:
                return await self._respond(request.headers, await read_body(request, limit), runtime, event=event)
            check_body(len(body), limit)
            return await self._respond(request.headers, body, runtime, event=event)

        return await self._measured("cloudevent" if event else "json", respond)

    async def _measured(self, mode: str, respond: Callable[[Runtime], Awaitable[Response]]) -> Response:
        """Every request of every route, counted (``localfn_requests``, latency, in flight) and bounded.

        Every request holds a slot of ``LOCALFN_MAX_REQUESTS``; only one that computes an answer also
        takes one of ``LOCALFN_MAX_IN_FLIGHT`` (in ``_process``, or an engine ``Operation``).
        """
        runtime = await self._holder.get()
        started = time.perf_counter()
        status = 500
        metrics = runtime.metrics
        gauge = metrics.series(metrics.in_flight, self.name)
        gauge.inc()
        try:
            with runtime.held:
                response = await respond(runtime)
            status = response.status_code
            return response
        except LocalfnError as exc:
            status = exc.status
            raise
        finally:
            gauge.dec()
            metrics.series(metrics.requests, self.name, str(status), mode).inc()
            metrics.series(metrics.latency, self.name).observe(time.perf_counter() - started)

    def _routes(self) -> list[Route]:
        def wrap(endpoint: Any) -> Any:
            return with_problems(endpoint, self._retry_after_s)

        routes = [
            Route("/", wrap(self.invoke), methods=["POST"], name=f"{self.name}:invoke"),
            Route("/health/live", wrap(self._live), methods=["GET"]),
            Route("/health/ready", wrap(self._ready), methods=["GET"]),
            Route("/metrics", wrap(self._metrics), methods=["GET"]),
            Route("/openapi.json", wrap(self._openapi), methods=["GET"]),
        ]
        return routes + self.operation_routes(self.capability.extra_routes)

    def _retry_after_s(self) -> int:
        return self._holder.settings.retry_after_s

    async def _respond(self, headers: Mapping[str, str], body: bytes, runtime: Runtime, *, event: bool) -> Response:
        if event:
            return await self._handle_event(parse_event(headers, body), runtime)
        data, _ = await self._process(self._parse_json(headers, body), runtime)
        return JSONResponse(data)

    async def _handle_event(self, event: IncomingEvent, runtime: Runtime) -> Response:
        if event.type not in self.capability.event_types():
            expected = ", ".join(self.capability.event_types())
            raise BadRequest(f"{self.name} does not handle events of type {event.type!r}; send {expected}")
        payload = self.capability.request_from_event(event)

        async def reply() -> CloudEvent:
            data, _ = await self._process(payload, runtime)
            source = f"{runtime.settings.event_source.rstrip('/')}/{self.name}"
            return reply_event(event, type=self.capability.reply_type(event.type, data), source=source, data=data)

        # At-least-once delivery: a redelivered (source, id) gets the stored reply (same id, same
        # time), no second model call, in the mode this delivery came in.
        stored, reuse = await runtime.replies.get_or_run(("event", self.name, event.source, event.id), reply)
        if reuse is not Reuse.MISS:
            runtime.metrics.series(runtime.metrics.reused, self.name, "redelivered").inc()
        headers, body = to_http(stored, event.structured)
        return Response(body, headers=headers)

    async def _process(self, payload: Any, runtime: Runtime) -> tuple[dict[str, Any], Reuse]:
        request = _validated(self.capability.request_model, payload)
        capability = runtime.capability(self.capability)

        async def compute() -> dict[str, Any]:
            # Only work is bounded by the in-flight limit: a cache hit, or a waiter on this flight, is not
            # work. Refused here, before the first await, no waiter can have joined the flight yet.
            with runtime.in_flight:
                response: BaseModel = await capability.run(request)
            return response.model_dump(mode="json")

        if not self.capability.cacheable or not runtime.results.enabled:
            return await compute(), Reuse.MISS
        data, reuse = await runtime.results.get_or_run(capability.cache_key(request), compute)
        if reuse is not Reuse.MISS:
            runtime.metrics.series(runtime.metrics.reused, self.name, reuse.value).inc()
        return data, reuse

    @staticmethod
    def _parse_json(headers: Mapping[str, str], body: bytes) -> Any:
        content_type = _media_type(headers)
        if content_type not in _JSON_TYPES and not content_type.endswith("+json"):
            raise BadRequest(f"Content-Type {content_type!r} is not supported: send application/json or a CloudEvent")
        if not body.strip():
            raise BadRequest("the request body is empty: send a JSON object")
        try:
            return json.loads(body)
        except ValueError as exc:
            raise BadRequest(f"the body is not valid JSON: {exc}") from exc

    async def _live(self, request: Request) -> Response:
        return JSONResponse({"status": "live", "function": self.name})

    async def _ready(self, request: Request) -> Response:
        runtime = await self._holder.get()
        health = await runtime.pool.health()
        body = {
            "status": "ready" if health.ready else "not ready",
            "function": self.name,
            "engines": [
                {"backend": c.backend, "reachable": c.reachable, "model_present": c.model_present, "detail": c.detail}
                for c in health.engines
            ],
        }
        return JSONResponse(body, status_code=200 if health.ready else 503)

    async def _metrics(self, request: Request) -> Response:
        runtime = await self._holder.get()
        return Response(runtime.metrics.render(), media_type=CONTENT_TYPE)

    async def _openapi(self, request: Request) -> Response:
        return JSONResponse(openapi_document([self.capability]))

    def operation_routes(self, routes: Iterable[ExtraRoute]) -> list[Route]:
        """Starlette routes for extra (or root) routes: one per operation, errors as problem+json."""
        return [
            Route(route.path, with_problems(self._operate(operation), self._retry_after_s), methods=[operation.method])
            for route in routes
            for operation in route.operations
        ]

    def _operate(self, operation: Operation) -> Endpoint:
        doc = operation.doc

        async def respond(request: Request, runtime: Runtime) -> Response:
            call = await self._call(request, doc, runtime)
            capability = runtime.capability(self.capability)
            if operation.engine:
                with runtime.in_flight:
                    result = await operation.handler(capability, call)
            else:
                result = await operation.handler(capability, call)
            if isinstance(result, Response):
                return result
            if doc.response is None or not isinstance(result, doc.response):
                raise TypeError(f"{operation.handler.__qualname__} answered {type(result).__name__}, not its RouteDoc's response")
            return JSONResponse(result.model_dump(mode="json"))

        async def endpoint(request: Request) -> Response:
            return await self._measured("json", lambda runtime: respond(request, runtime))

        return endpoint

    async def _call(self, request: Request, doc: RouteDoc, runtime: Runtime) -> Call:
        """The request's path, query and body, validated against the models ``doc`` names."""
        path = _validated(doc.path_params, request.path_params, "path") if doc.path_params else None
        query = _validated(doc.query, dict(request.query_params), "query") if doc.query else None
        if doc.body is None and not doc.body_media_types:
            return Call(query=query, path=path)
        raw = await read_body(request, self.capability.body_limit(runtime.settings.max_body_bytes))
        media_type = _media_type(request.headers)
        if media_type in doc.body_media_types:
            return Call(body=raw, query=query, path=path, media_type=media_type)
        if doc.body is None:  # the route takes documents only (none yet does)
            raise BadRequest(f"Content-Type {media_type!r} is not supported: send {', '.join(doc.body_media_types)}")
        return Call(body=_validated(doc.body, self._parse_json(request.headers, raw)), query=query, path=path, media_type=media_type)


def _media_type(headers: Mapping[str, str]) -> str:
    return headers.get("content-type", "").split(";")[0].strip().lower()


def _validated(model: type[BaseModel], data: Any, what: str = "request") -> Any:
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise invalid_input(exc, what) from exc


def entrypoint(capability: type[Capability[Any, Any]]) -> Endpoint:
    """The async function a function's main.py exposes to functions-framework as its target.

    Its name is the function's name with '_' for '-' (``generate_badge``), which is what
    FUNCTION_TARGET must say.
    """
    app = FunctionApp(capability, RuntimeHolder())

    async def handler(request: Request) -> Response:
        return await app(request)

    handler.__name__ = handler.__qualname__ = capability.name.replace("-", "_")
    # Registers the name as an HTTP target; what it returns is a wrapper that awaits the handler,
    # typed as any HTTP function, sync or async, so the handler itself is what the entry returns.
    functions_framework.aio.http(handler)
    return handler
