"""Reading the extra routes' requests: a JSON body or query parameters into a pydantic model (422 with paths)."""

from __future__ import annotations

import json
from typing import TypeVar

from pydantic import BaseModel, ValidationError
from starlette.requests import Request

from localfn.app import read_body
from localfn.errors import BadRequest
from localfn.problems import invalid_input

__all__ = ["json_body", "query"]

M = TypeVar("M", bound=BaseModel)


async def json_body(request: Request, model: type[M], limit: int) -> M:
    body = await read_body(request, limit)
    if not body.strip():
        raise BadRequest("the request body is empty: send a JSON object")
    try:
        data = json.loads(body)
    except ValueError as exc:
        raise BadRequest(f"the body is not valid JSON: {exc}") from exc
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        raise invalid_input(exc) from exc


def query(request: Request, model: type[M]) -> M:
    try:
        return model.model_validate(dict(request.query_params))
    except ValidationError as exc:
        raise invalid_input(exc, "query") from exc
