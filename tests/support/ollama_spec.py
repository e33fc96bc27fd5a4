"""Ollama's OpenAPI description (assets/specs/ollama/openapi.yaml) as validators, for the fakes of Ollama.

OpenAPI 3.1 schemas are JSON Schema 2020-12, so the whole document is registered as one
2020-12 resource: its internal "#/components/..." references then resolve as written, and a
schema inside it is addressed by a JSON pointer (`request_schema`, `response_schema`).
"""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import referencing
import referencing.jsonschema
import yaml
from jsonschema import Draft202012Validator
from jsonschema.exceptions import best_match
from starlette.routing import Route

SPEC_PATH = Path(__file__).resolve().parents[2] / "assets" / "specs" / "ollama" / "openapi.yaml"
SPEC_URI = "urn:ollama:openapi"
ERROR_SCHEMA = "/components/schemas/ErrorResponse"
JSON = "application/json"
NDJSON = "application/x-ndjson"

__all__ = ["ERROR_SCHEMA", "JSON", "NDJSON", "OllamaSpec", "ollama_routes", "ollama_spec", "request_schema", "response_schema"]


# Ollama's paths, the handler method a fake serves each with, and their HTTP methods.
_ROUTES = {
    "/": ("_root", ["GET", "HEAD"]),
    "/api/version": ("_version", ["GET"]),
    "/api/tags": ("_tags", ["GET"]),
    "/api/ps": ("_ps", ["GET"]),
    "/api/show": ("_show", ["POST"]),
    "/api/chat": ("_chat", ["POST"]),
    "/api/generate": ("_generate", ["POST"]),
    "/api/pull": ("_pull", ["POST"]),
}


def ollama_routes(fake: object) -> list[Route]:
    """Starlette routes for every Ollama path the fake has a handler for (``_chat`` for /api/chat, ...)."""
    return [Route(path, getattr(fake, handler), methods=methods) for path, (handler, methods) in _ROUTES.items() if hasattr(fake, handler)]


def _pointer_segment(segment: str) -> str:
    return segment.replace("~", "~0").replace("/", "~1")


def request_schema(path: str) -> str:
    return f"/paths/{_pointer_segment(path)}/post/requestBody/content/application~1json/schema"


def response_schema(path: str, method: str, media: str) -> str:
    return f"/paths/{_pointer_segment(path)}/{method}/responses/200/content/{_pointer_segment(media)}/schema"


class OllamaSpec:
    """Validators for schemas inside the OpenAPI document, addressed by JSON pointer."""

    def __init__(self, path: Path) -> None:
        document = yaml.safe_load(path.read_text(encoding="utf-8"))
        resource = referencing.jsonschema.DRAFT202012.create_resource(document)
        self._registry: referencing.Registry[Any] = referencing.Registry().with_resource(SPEC_URI, resource)
        self._validators: dict[str, Draft202012Validator] = {}

    def problem(self, pointer: str, instance: Any) -> str | None:
        """None when `instance` fits the schema at `pointer`, else the most relevant error."""
        validator = self._validators.get(pointer)
        if validator is None:
            schema = {"$ref": f"{SPEC_URI}#{pointer}"}
            validator = self._validators[pointer] = Draft202012Validator(schema, registry=self._registry)
        error = best_match(validator.iter_errors(instance))
        return None if error is None else f"{error.message} (at {error.json_path})"


@cache
def ollama_spec() -> OllamaSpec:
    return OllamaSpec(SPEC_PATH)
