"""Every function's OpenAPI document drives schemathesis against `localfn serve` on the tiny model.

Each operation of each function's document (``GET /<name>/openapi.json``: the main route and
the extra ones) and each root route of the merged one (``GET /openapi.json``, the earlier
badge API) generates requests that fit it (positive) and requests that break it (negative;
only where there is something to break: a body or query parameters). Each goes over loopback to the whole app,
whose engine is the session's real tiny llama-server (schemathesis' ASGI client is not used:
it starts an event loop per request, and the runtime's shared httpx client lives on one).

What must hold for every answer:
* a 5xx only when the engine caused it: a 502, 503 or 504 problem whose type is one of
  the engine problems, the slugs of ``EngineError`` and its subclasses (the product's own
  classification of failures that come from calling a model). A tiny model's gibberish
  legitimately ends as ``invalid-model-output``; anything else (``internal-error``, an
  overload, a 500 without a problem body) is the product's fault;
* every 4xx and 5xx is ``application/problem+json`` with type, title, status and detail;
* status code, content type and body conform to the document (schemathesis' own checks),
  and requests that break the document are refused with a 4xx.

``LOCALFN_FUZZ_MAX_EXAMPLES`` (default 25) bounds the examples per operation and mode.

``DELETE /generate-badge/history?confirm=true`` (and its earlier-API twin) are fuzzed too: the
app's history is a throwaway SQLite file (conftest.py), and no check here depends on what it
holds; generated badge ids match no stored badge whether or not it was just wiped.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
import requests
import schemathesis
from hypothesis import given
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    negative_data_rejection,
    response_schema_conformance,
    status_code_conformance,
)

from localfn.errors import EngineError
from localfn.openapi import openapi_document
from localfn.problems import PROBLEM_TYPE
from localfn.serve import load_capabilities
from tests.fuzz.budget import FUZZ, REQUEST_TIMEOUT_S
from tests.support.http_checks import PROBLEM


def _engine_errors(error: type[EngineError] = EngineError) -> list[type[EngineError]]:
    return [error, *(sub for subclass in error.__subclasses__() for sub in _engine_errors(subclass))]


ENGINE_ERRORS = _engine_errors()
ENGINE_PROBLEMS = {PROBLEM_TYPE.format(slug=error.slug) for error in ENGINE_ERRORS}


def _content_type(response: schemathesis.Response) -> str:
    return (response.headers.get("content-type") or [""])[0]


def errors_are_problems(ctx: Any, response: schemathesis.Response, case: schemathesis.Case) -> None:
    """Every 4xx and 5xx is an RFC 9457 problem document that says what went wrong."""
    if response.status_code < 400:
        return
    assert _content_type(response).startswith(PROBLEM), f"{response.status_code} as {_content_type(response)!r}"
    body = response.json()
    missing = [member for member in ("type", "title", "status", "detail") if not body.get(member)]
    assert not missing, f"problem without {', '.join(missing)}: {body}"
    assert body["status"] == response.status_code, body


def server_errors_come_from_the_engine(ctx: Any, response: schemathesis.Response, case: schemathesis.Case) -> None:
    """A 5xx is allowed only as an engine problem (see the module docstring for why that is the line)."""
    if response.status_code < 500:
        return
    problem_type = response.json().get("type") if _content_type(response).startswith(PROBLEM) else None
    assert response.status_code in (502, 503, 504) and problem_type in ENGINE_PROBLEMS, (
        f"{response.status_code} {problem_type!r} is not an engine failure: {response.text[:500]}"
    )


CHECKS = [
    errors_are_problems,
    server_errors_come_from_the_engine,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    negative_data_rejection,
]


def _operations() -> list[Any]:
    """(document's function, or "" for the merged one's root routes; method; path; mode), each with an id."""
    capabilities = [cls for cls in load_capabilities().values() if cls is not None]
    documents = [(cls.name, openapi_document([cls])["paths"]) for cls in capabilities]
    merged = openapi_document(capabilities, prefixed=True)["paths"]
    roots = {route.path for cls in capabilities for route in cls.root_routes}
    documents.append(("", {path: item for path, item in merged.items() if path in roots}))
    params = []
    for function, paths in documents:
        for path, item in paths.items():
            for method, operation in item.items():
                modes = [GenerationMode.POSITIVE]
                # A path parameter is any text: only a body or query parameters can be broken.
                if operation.get("requestBody") or any(p["in"] != "path" for p in operation.get("parameters", ())):
                    modes.append(GenerationMode.NEGATIVE)
                label = f"{function or 'root'} {method.upper()} {path}"
                params += [pytest.param(function, method.upper(), path, mode, id=f"{label} {mode.value}") for mode in modes]
    return params


@pytest.mark.parametrize(("function", "method", "path", "mode"), _operations())
def test_generated_requests_get_documented_answers(served: str, function: str, method: str, path: str, mode: GenerationMode) -> None:
    base_url = f"{served}/{function}" if function else served
    schema = schemathesis.openapi.from_url(f"{base_url}/openapi.json")
    operation = schema[path][method]

    @FUZZ
    @given(case=operation.as_strategy(generation_mode=mode))
    def answers_as_documented(case: schemathesis.Case) -> None:
        case.call_and_validate(base_url=base_url, checks=CHECKS, timeout=REQUEST_TIMEOUT_S)

    answers_as_documented()


def _answer(code: int, slug: str, content_type: str = PROBLEM, **members: Any) -> schemathesis.Response:
    """An HTTP answer of status ``code``: a problem body (``members`` override its own) as ``content_type``."""
    body = {"type": PROBLEM_TYPE.format(slug=slug), "title": "t", "status": code, "detail": "d", **members}
    request = requests.Request("POST", "http://localfn.test/").prepare()
    return schemathesis.Response(code, {"content-type": [content_type]}, json.dumps(body).encode(), request, 0.0, True)


@pytest.mark.parametrize(
    "response",
    [
        _answer(500, "internal-error"),
        _answer(503, "overloaded"),
        _answer(503, "history-unavailable"),
        _answer(502, "invalid-model-output", content_type="application/json"),
        _answer(422, "invalid-input", content_type="application/json"),
        _answer(400, "bad-request", detail=""),
        _answer(400, "bad-request", status=422),
    ],
    ids=["internal", "overloaded", "not-the-engine", "engine-as-plain-json", "plain-json", "no-detail", "wrong-status"],
)
def test_the_checks_refuse_answers_the_product_must_not_give(response: schemathesis.Response) -> None:
    with pytest.raises(AssertionError):
        for check in (errors_are_problems, server_errors_come_from_the_engine):
            check(None, response, None)


@pytest.mark.parametrize("error", ENGINE_ERRORS, ids=lambda error: error.slug)
def test_the_checks_let_engine_failures_through(error: type[EngineError]) -> None:
    for check in (errors_are_problems, server_errors_come_from_the_engine):
        check(None, _answer(error.status, error.slug), None)
