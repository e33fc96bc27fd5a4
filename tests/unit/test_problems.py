"""localfn.problems: errors as RFC 9457 application/problem+json responses."""

from __future__ import annotations

import json

import pytest
from pydantic import ValidationError

from localfn.errors import (
    EngineBusy,
    EngineUnavailable,
    FieldError,
    InvalidInput,
    LocalfnError,
    ModelNotFound,
    Overloaded,
    StructuredOutputError,
)
from localfn.functions.summarize.models import SummarizeRequest
from localfn.problems import invalid_input, problem_response

RETRY_AFTER_S = 7


def problem(error: LocalfnError):
    response = problem_response(error, instance="/summarize", retry_after_s=RETRY_AFTER_S)
    return response, json.loads(response.body)


def test_invalid_input_is_a_422_problem_listing_field_errors() -> None:
    error = InvalidInput("bad request body", errors=[FieldError("messages/1/role", "unknown role")])
    response, body = problem(error)

    assert response.status_code == 422
    assert response.media_type == "application/problem+json"
    assert response.headers["content-type"].startswith("application/problem+json")
    assert body == {
        "type": "urn:localfn:problem:invalid-input",
        "title": InvalidInput.title,
        "status": 422,
        "detail": "bad request body",
        "instance": "/summarize",
        "errors": [{"path": "messages/1/role", "message": "unknown role"}],
    }


def test_a_problem_without_field_errors_has_no_errors_member() -> None:
    _, body = problem(LocalfnError("boom"))
    assert body["status"] == 500
    assert "errors" not in body


@pytest.mark.parametrize(
    "error",
    [EngineUnavailable("gpu: cannot connect", backend="gpu"), EngineBusy("gpu: busy", backend="gpu"), Overloaded("64 in flight")],
    ids=["engine-unavailable", "engine-busy", "overloaded"],
)
def test_retryable_errors_are_503_with_retry_after(error: LocalfnError) -> None:
    response, _ = problem(error)
    assert response.status_code == 503
    assert response.headers["retry-after"] == str(RETRY_AFTER_S)


def test_a_missing_model_is_not_worth_retrying() -> None:
    response, body = problem(ModelNotFound("gpu: model 'm' is not on this Ollama", backend="gpu"))
    assert response.status_code == 503
    assert "retry-after" not in response.headers
    assert body["type"] == "urn:localfn:problem:model-not-found"
    assert body["backend"] == "gpu"


def test_structured_output_error_reports_attempts_and_a_cut_last_output() -> None:
    error = StructuredOutputError("never matched", attempts=3, last_output="x" * 5000, backend="cpu")
    response, body = problem(error)

    assert response.status_code == 502
    assert body["attempts"] == 3
    assert body["backend"] == "cpu"
    assert body["last_output"] == "x" * 2000
    assert "retry-after" not in response.headers


def test_invalid_input_from_pydantic_gives_slash_separated_paths() -> None:
    payload = {"mode": "conversation", "messages": [{"role": "user", "content": "hi"}, {"role": "robot", "content": "x"}]}
    with pytest.raises(ValidationError) as caught:
        SummarizeRequest.model_validate(payload)
    error = invalid_input(caught.value)

    assert isinstance(error, InvalidInput)
    assert [e.path for e in error.errors] == ["messages/1/role"]
    assert "messages/1/role" in error.detail
    _, body = problem(error)
    assert body["errors"][0]["path"] == "messages/1/role"


def test_a_whole_model_error_is_located_at_the_root() -> None:
    with pytest.raises(ValidationError) as caught:
        SummarizeRequest.model_validate({"mode": "context"})  # fails the model validator, not a field
    (only,) = invalid_input(caught.value).errors
    assert only.path == "(root)"
    assert "context" in only.message
