"""OpenAPI 3.1 documents generated from the capabilities' pydantic models."""

from __future__ import annotations

import inspect
import re
from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING, Any

from pydantic import BaseModel
from pydantic.json_schema import JsonSchemaMode, models_json_schema

import localfn

if TYPE_CHECKING:
    from localfn.capability import Capability, ExtraRoute, Operation

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

# Every problem status localfn answers with, described once for the main route and the extra ones.
_ERRORS = {
    400: "Malformed JSON or CloudEvent",
    403: "The caller is not allowed",
    404: "No such route, or no stored object with that id",
    413: "Body over the size limit",
    422: "Input breaks the request schema (`errors` lists the fields)",
    502: "The model's output never matched its schema, or the engine rejected the call",
    503: "No engine available, too many requests in flight, or a store unavailable (see Retry-After)",
    504: "The engine did not answer in time",
}
_MAIN_ERRORS = (400, 413, 422, 502, 503, 504)
_PATH_PARAM = re.compile(r"{([^}:]+)(?::[^}]*)?}")


def _problem_responses(codes: Iterable[int]) -> dict[str, Any]:
    content = {"application/problem+json": {"schema": {"$ref": _REF.format(model="Problem")}}}
    return {str(code): {"description": _ERRORS[code], "content": content} for code in sorted(codes)}


def _json(schema: dict[str, Any]) -> dict[str, Any]:
    return {"application/json": {"schema": schema}}


def _documents(media_types: Iterable[str]) -> dict[str, Any]:
    """Request or answer bodies that are documents of other types than JSON (SVG or PNG images).

    No schema: OpenAPI 3.1 describes raw bytes by the media type alone, and a schema would make
    a fuzzer send JSON non-strings as "invalid" images, though any bytes are a possible body.
    """
    return {media_type: {} for media_type in media_types}


def _operation(capability: type[Capability[Any, Any]], refs: _Refs) -> dict[str, Any]:
    return {
        "post": {
            "operationId": capability.name.replace("-", "_"),
            "summary": capability.summary,
            "description": (
                "Plain JSON, or a CloudEvent (binary or structured mode) of type "
                f"`{capability.event_types()[0]}`, answered by a reply event whose data is the response."
            ),
            "tags": [capability.name],
            "requestBody": {"required": True, "content": _json(refs.ref(capability.request_model, "validation"))},
            "responses": {
                "200": {"description": "The result", "content": _json(refs.ref(capability.response_model, "serialization"))},
                **_problem_responses(_MAIN_ERRORS),
            },
        }
    }


def _parameters(where: str, model: type[BaseModel] | None, refs: _Refs, names: Sequence[str] = ()) -> list[dict[str, Any]]:
    """One parameter per field of ``model`` (path ones: per name in the path, strings unless the model says more)."""
    schema = refs.schema(model) if model is not None else {"properties": {}, "required": []}
    properties: dict[str, Any] = schema.get("properties", {})
    if where == "path":
        if model is not None and set(properties) != set(names):
            raise ValueError(f"{model.__name__} describes path parameters {sorted(properties)}, the path has {list(names)}")
        properties = {name: properties.get(name, {"type": "string"}) for name in names}
    required = set(schema.get("required", ())) | (set(names) if where == "path" else set())
    parameters = []
    for name, field in properties.items():
        parameter = {"name": name, "in": where, "required": name in required, "schema": field}
        if "description" in field:
            parameter["description"] = field["description"]
        parameters.append(parameter)
    return parameters


def _extra_operation(capability: type[Capability[Any, Any]], route: ExtraRoute, operation: Operation, refs: _Refs) -> dict[str, Any]:
    doc, method = operation.doc, operation.method
    lines = (inspect.getdoc(operation.handler) or "").splitlines()
    operation_id = f"{capability.name}_{operation.handler.__name__}"
    names = _PATH_PARAM.findall(route.path)
    parameters = _parameters("path", doc.path_params, refs, names) + _parameters("query", doc.query, refs)
    if doc.status == 204:
        success: dict[str, Any] = {"description": "Done; no content"}
    elif doc.response is not None:
        success = {"description": "The result", "content": {doc.media_type: {"schema": refs.ref(doc.response, "serialization")}}}
    elif doc.media_type == "application/json":  # any JSON
        success = {"description": "The result", "content": {doc.media_type: {"schema": {}}}}
    else:  # documents of other types (an SVG or PNG image)
        success = {"description": "The result", "content": _documents((doc.media_type, *doc.other_media_types))}
    errors = set(doc.errors) | ({400, 413, 422} if doc.body is not None else set()) | ({422} if doc.query else set())
    document: dict[str, Any] = {
        "operationId": operation_id.lower().replace("-", "_"),
        "summary": lines[0] if lines else f"{method} {route.path}",
        "tags": [capability.name],
    }
    if parameters:
        document["parameters"] = parameters
    if doc.body is not None:
        content = _json(refs.ref(doc.body, "validation")) | _documents(doc.body_media_types)
        document["requestBody"] = {"required": True, "content": content}
    document["responses"] = {str(doc.status): success, **_problem_responses(errors)}
    return document


def _template(path: str) -> str:
    """A Starlette route path as an OpenAPI path template: ``{name:converter}`` becomes ``{name}``."""
    return _PATH_PARAM.sub(r"{\1}", path)


def _extra_paths(capability: type[Capability[Any, Any]], routes: Iterable[ExtraRoute], prefix: str, refs: _Refs) -> dict[str, Any]:
    return {
        f"{prefix}{_template(route.path)}": {
            operation.method.lower(): _extra_operation(capability, route, operation, refs) for operation in route.operations
        }
        for route in routes
    }


def _route_models(capability: type[Capability[Any, Any]], routes: Iterable[ExtraRoute]) -> list[tuple[type[BaseModel], JsonSchemaMode]]:
    models: list[tuple[type[BaseModel], JsonSchemaMode]] = []
    for route in routes:
        for doc in {operation.doc for operation in route.operations}:
            models += [(model, "validation") for model in (doc.body, doc.query, doc.path_params) if model is not None]
            models += [(doc.response, "serialization")] if doc.response is not None else []
    return models


class _Refs:
    """Every model's JSON Schema, once, in ``components/schemas``; ``ref`` points at one of them."""

    def __init__(self, models: list[tuple[type[BaseModel], JsonSchemaMode]]) -> None:
        self._refs, definitions = models_json_schema(list(dict.fromkeys(models)), ref_template=_REF)
        self.schemas: dict[str, Any] = {**definitions.get("$defs", {}), "Problem": _PROBLEM}

    def ref(self, model: type[BaseModel], mode: JsonSchemaMode) -> dict[str, Any]:
        return dict(self._refs[(model, mode)])

    def schema(self, model: type[BaseModel]) -> dict[str, Any]:
        """A (query or path) model's own schema, to spread into parameters."""
        name = self._refs[(model, "validation")]["$ref"].rsplit("/", 1)[-1]
        return dict(self.schemas[name])


def openapi_document(capabilities: Sequence[type[Capability[Any, Any]]], *, prefixed: bool = False) -> dict[str, Any]:
    """One document for the given functions; ``prefixed`` puts each under ``/<name>`` as `localfn serve` does.

    Each function's extra routes sit beside its main one; with ``prefixed``, the root routes
    `localfn serve` answers are there too, at their own paths.
    """
    models: list[tuple[type[BaseModel], JsonSchemaMode]] = [(c.request_model, "validation") for c in capabilities] + [
        (c.response_model, "serialization") for c in capabilities
    ]
    for c in capabilities:
        models += _route_models(c, (*c.extra_routes, *(c.root_routes if prefixed else ())))
    refs = _Refs(models)
    paths: dict[str, Any] = {}
    for c in capabilities:
        prefix = f"/{c.name}" if prefixed else ""
        paths[prefix or "/"] = _operation(c, refs)
        paths |= _extra_paths(c, c.extra_routes, prefix, refs)
        if prefixed:  # `localfn serve` alone answers these, at its root
            paths |= _extra_paths(c, c.root_routes, "", refs)
    title = "localfn" if prefixed or len(capabilities) != 1 else f"localfn {capabilities[0].name}"
    return {
        "openapi": "3.1.0",
        "info": {"title": title, "version": localfn.__version__},
        "paths": paths,
        "components": {"schemas": refs.schemas},
    }
