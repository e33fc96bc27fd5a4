"""OpenAPI 3.1 documents generated from the capabilities' pydantic models."""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from pydantic.json_schema import models_json_schema

import localfn

if TYPE_CHECKING:
    from localfn.capability import Capability

__all__ = ["openapi_document"]

_REF = "#/components/schemas/{model}"

_PROBLEM = {
    "type": "object",
    "description": "RFC 9457 problem details; `errors` lists field paths for 422 answers.",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "errors": {
            "type": "array",
            "items": {
                "type": "object",
                "required": ["path", "message"],
                "properties": {"path": {"type": "string"}, "message": {"type": "string"}},
            },
        },
    },
}

_ERRORS = {
    "400": "Malformed JSON or CloudEvent",
    "413": "Body over the size limit",
    "422": "Input breaks the request schema",
    "502": "The model's output never matched its schema, or the engine rejected the call",
    "503": "No engine available, or too many requests in flight (see Retry-After)",
    "504": "The engine did not answer in time",
}


def _problem_responses() -> dict[str, Any]:
    content = {"application/problem+json": {"schema": {"$ref": _REF.format(model="Problem")}}}
    return {code: {"description": text, "content": content} for code, text in _ERRORS.items()}


def _operation(capability: type[Capability[Any, Any]]) -> dict[str, Any]:
    request_ref = {"$ref": _REF.format(model=capability.request_model.__name__)}
    response_ref = {"$ref": _REF.format(model=capability.response_model.__name__)}
    return {
        "post": {
            "operationId": capability.name.replace("-", "_"),
            "summary": capability.summary,
            "description": (
                "Plain JSON, or a CloudEvent (binary or structured mode) of type "
                f"`{capability.event_types()[0]}`, answered by a reply event whose data is the response."
            ),
            "requestBody": {"required": True, "content": {"application/json": {"schema": request_ref}}},
            "responses": {
                "200": {"description": "The result", "content": {"application/json": {"schema": response_ref}}},
                **_problem_responses(),
            },
        }
    }


def openapi_document(capabilities: Sequence[type[Capability[Any, Any]]], *, prefixed: bool = False) -> dict[str, Any]:
    """One document for the given functions; ``prefixed`` puts each under ``/<name>`` as `localfn serve` does."""
    models = [(c.request_model, "validation") for c in capabilities] + [
        (c.response_model, "serialization") for c in capabilities
    ]
    _, definitions = models_json_schema(models, ref_template=_REF)
    schemas = {**definitions.get("$defs", {}), "Problem": _PROBLEM}
    paths = {(f"/{c.name}" if prefixed else "/"): _operation(c) for c in capabilities}
    title = "localfn" if prefixed or len(capabilities) != 1 else f"localfn {capabilities[0].name}"
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": localfn.__version__},
        "paths": paths,
        "components": {"schemas": schemas},
    }
