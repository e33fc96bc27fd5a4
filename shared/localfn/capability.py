"""What a capability is: request and response models, one ``run`` method, and optional extras.

Each folder under ``functions/`` defines one subclass. ``app.FunctionApp`` does everything
around it (decoding, validation, caching, events, errors, metrics), so a capability holds
only its own logic.
"""

from __future__ import annotations

import json
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Hashable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Generic, TypeVar

from pydantic import BaseModel
from starlette.responses import Response

from localfn.errors import BadRequest
from localfn.events import IncomingEvent, request_type, response_type

if TYPE_CHECKING:
    from localfn.runtime import Runtime

__all__ = ["Call", "Capability", "ExtraRoute", "Handler", "Operation", "RouteDoc"]

Req = TypeVar("Req", bound=BaseModel)
Resp = TypeVar("Resp", bound=BaseModel)


@dataclass(frozen=True)
class RouteDoc:
    """What one method of an extra route takes and answers, for the OpenAPI document (none: nothing).

    The app validates the request against these models and the handler's answer against
    ``response``, so the document cannot drift from the code. The 4xx a body, query or path
    model implies (400, 413, 422) are added by ``openapi.py``; ``errors`` lists the other problem
    statuses the handler raises.
    """

    body: type[BaseModel] | None = None  # JSON request body
    body_media_types: tuple[str, ...] = ()  # other bodies the handler takes (read as bytes), e.g. ("image/png",)
    query: type[BaseModel] | None = None  # query parameters, one per field
    path_params: type[BaseModel] | None = None  # describes the path's {names}; none: each is a string
    response: type[BaseModel] | None = None  # JSON body of the success answer
    status: int = 200  # of the success answer; 204 answers carry no body
    media_type: str = "application/json"  # of the success answer; a non-JSON one is documented as a string
    other_media_types: tuple[str, ...] = ()  # further media types of the success answer, e.g. chosen by a query
    errors: tuple[int, ...] = ()  # further problem+json statuses, e.g. (404,) or the engine's (502, 503, 504)


@dataclass(frozen=True)
class Call:
    """One request to an extra route, read and validated by the app against its ``RouteDoc``.

    ``body`` is an instance of ``RouteDoc.body``, or the raw bytes when the request came as one
    of ``RouteDoc.body_media_types`` (``media_type`` says which); ``query`` and ``path`` are
    instances of ``RouteDoc.query`` and ``RouteDoc.path_params``. What a RouteDoc does not name is None.
    """

    body: Any = None
    query: Any = None
    path: Any = None
    media_type: str = ""


# An (unbound) method of the capability: ``handler(capability, call)``. A model it returns must be an
# instance of its RouteDoc's ``response`` and is answered as JSON; a Response is answered as it is.
Handler = Callable[[Any, Call], Awaitable[BaseModel | Response]]


@dataclass(frozen=True)
class Operation:
    """One method of an extra route: its handler, what it takes and answers, and whether it asks the engine.

    ``engine``: the handler computes with the model, so it takes a ``LOCALFN_MAX_IN_FLIGHT`` slot
    as ``POST /`` does on a cache miss. The OpenAPI summary is the handler's first docstring line,
    its operation id ``<function>_<handler name>``.
    """

    method: str
    handler: Handler
    doc: RouteDoc = RouteDoc()
    engine: bool = False


@dataclass(frozen=True)
class ExtraRoute:
    """A route beside the main one, e.g. ``GET /options``, with one ``Operation`` per method.

    ``FunctionApp`` answers every operation as it answers ``POST /``: one body limit, JSON
    parsing and Content-Type check, validation against the RouteDoc's models (422 with field
    paths), the request limits, and ``localfn_requests``.
    """

    path: str
    operations: tuple[Operation, ...]

    @property
    def methods(self) -> tuple[str, ...]:
        return tuple(operation.method for operation in self.operations)


class Capability(ABC, Generic[Req, Resp]):
    name: ClassVar[str]  # the function's name: its route, event types and Knative Service
    summary: ClassVar[str]  # one line, for docs and the OpenAPI document
    request_model: ClassVar[type[BaseModel]]
    response_model: ClassVar[type[BaseModel]]
    max_body_bytes: ClassVar[int] = 1 << 20
    cacheable: ClassVar[bool] = True  # False where a call has effects (e.g. stores a badge)
    extra_routes: ClassVar[tuple[ExtraRoute, ...]] = ()  # under the function's own root
    # Routes `localfn serve` also answers at its root, e.g. an earlier API's paths kept for its users.
    root_routes: ClassVar[tuple[ExtraRoute, ...]] = ()

    def __init__(self, runtime: Runtime) -> None:
        self.runtime = runtime

    @abstractmethod
    async def run(self, request: Req) -> Resp:
        """Do the work for one validated request."""

    @classmethod
    def event_types(cls) -> tuple[str, ...]:
        """CloudEvent types this function accepts."""
        return (request_type(cls.name),)

    @classmethod
    def reply_type(cls, event_type: str, data: dict[str, Any]) -> str:
        """CloudEvent type of the reply to an event of ``event_type`` whose response is ``data``."""
        return response_type(cls.name)

    @classmethod
    def request_from_event(cls, event: IncomingEvent) -> Any:
        """The request JSON carried by an event (its ``data``)."""
        if not isinstance(event.data, dict):
            raise BadRequest(f"event data must be a JSON object for {cls.name} (datacontenttype application/json)")
        return event.data

    def cache_key(self, request: Req) -> Hashable:
        """Same function, same normalised input, same models: same answer."""
        return (self.name, json.dumps(request.model_dump(mode="json"), sort_keys=True), self.runtime.pool.models())

    @classmethod
    def body_limit(cls, max_body_bytes: int | None) -> int:
        """Bytes a request body may have: ``LOCALFN_MAX_BODY_BYTES`` when set, else the function's own."""
        return max_body_bytes or cls.max_body_bytes
