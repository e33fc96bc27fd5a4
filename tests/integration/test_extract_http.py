"""extract-parameters over HTTP and CloudEvents on a real llama.cpp server with the tiny model, and
through OllamaPeer. The tiny model writes nonsense: these tests check the wire and the guarantees
(schema-valid arguments, errors before any model call), not what the arguments say."""

from __future__ import annotations

from typing import Any

import pytest
from cloudevents.conversion import to_binary
from cloudevents.http.conversion import from_http
from cloudevents.http.event import CloudEvent
from jsonschema import Draft202012Validator

from localfn.settings import BackendSettings
from tests.support.extract_functions import TRANSFER
from tests.support.localfn_app import backend, engine_calls, make_settings, serve_client
from tests.support.ollama_peer import OllamaPeer

FUNCTION = ["extract-parameters"]
REQUEST = {"user_message": "Send 300 EUR to Jonas Weber from savings.", "function_schema": TRANSFER}


def assert_schema_true(body: dict[str, Any], function: dict[str, Any]) -> None:
    """The arguments validate against the function's own schema, apart from the values listed missing."""
    validator = Draft202012Validator(function["parameters"], format_checker=Draft202012Validator.FORMAT_CHECKER)
    for error in validator.iter_errors(body["arguments"]):
        assert error.validator == "required", error.message
        assert all(name in body["missing_required"] for name in error.validator_value if name not in error.instance)
    assert all(name not in body["arguments"] for name in body["missing_required"])


async def test_a_call_comes_back_schema_true(tiny_backend: BackendSettings) -> None:
    async with serve_client(make_settings(tiny_backend), FUNCTION) as (client, _):
        response = await client.post("/extract-parameters", json=REQUEST)
    assert response.status_code == 200, response.text
    body = response.json()
    assert set(body) == {"function", "arguments", "missing_required", "no_call_reason", "ungrounded", "model", "backend"}
    assert body["function"] in ("transfer_money", None)
    assert (body["model"], body["backend"]) == ("tiny", "embedded")
    assert_schema_true(body, TRANSFER)
    for dropped in body["ungrounded"]:  # strict by default: what the message does not support is not returned
        assert set(dropped) == {"field", "value", "reason", "kept"} and not dropped["kept"]
        assert dropped["field"] not in body["arguments"]


async def test_a_request_event_gets_a_reply_event(tiny_backend: BackendSettings) -> None:
    event = CloudEvent({"type": "io.localfn.extract-parameters.request", "source": "/tests/assistant", "subject": "chat-7"}, REQUEST)
    headers, body = to_binary(event)
    async with serve_client(make_settings(tiny_backend), FUNCTION) as (client, _):
        response = await client.post("/events", headers=headers, content=body)
    assert response.status_code == 200, response.text
    reply = from_http(dict(response.headers), response.content)
    assert reply["type"] == "io.localfn.extract-parameters.response"
    assert reply["subject"] == "chat-7"
    data = reply.get_data()
    assert isinstance(data, dict)
    assert_schema_true(data, TRANSFER)


@pytest.mark.parametrize(
    ("request_body", "status", "path", "detail"),
    [
        ({**REQUEST, "user_message": ""}, 422, "user_message", "the user message is empty"),
        (
            {**REQUEST, "function_schema": {**TRANSFER, "parameters": {"type": "object", "properties": {"a": {"minimum": "one"}}}}},
            422,
            "function_schema/parameters",
            "at properties/a/minimum",
        ),
        ({"user_message": "hi", "functions": [TRANSFER, TRANSFER]}, 422, "(root)", "repeated: transfer_money"),
        (
            {
                **REQUEST,
                "function_schema": {
                    **TRANSFER,
                    "description": "x" * 3000,
                    "parameters": {**TRANSFER["parameters"], "description": "y" * 1500},
                },
            },
            422,
            "function_schema",
            "LOCALFN_EXTRACT_PARAMETERS__MAX_SCHEMA_BYTES",
        ),
    ],
    ids=["empty-message", "invalid-schema", "duplicate-names", "schema-too-large"],
)
async def test_bad_input_is_refused_before_any_model_call(
    tiny_backend: BackendSettings, request_body: dict[str, Any], status: int, path: str | None, detail: str
) -> None:
    settings = make_settings(tiny_backend, extract_parameters={"max_schema_bytes": 4096})
    async with serve_client(settings, FUNCTION) as (client, holder):
        response = await client.post("/extract-parameters", json=request_body)
        calls = engine_calls(await holder.get())
    assert response.status_code == status, response.text
    problem = response.json()
    assert detail in problem["detail"]
    if path is not None:
        assert path in [error["path"] for error in problem["errors"]]
    assert calls == 0


async def test_the_openapi_document_describes_the_function(tiny_backend: BackendSettings) -> None:
    async with serve_client(make_settings(tiny_backend), FUNCTION) as (client, _):
        document = (await client.get("/extract-parameters/openapi.json")).json()
    schemas = document["components"]["schemas"]
    assert {"ExtractParametersRequest", "ExtractParametersResponse", "FunctionSchema"} <= set(schemas)


async def test_through_ollama_the_loosened_schema_is_the_format(ollama_peer: tuple[OllamaPeer, str]) -> None:
    peer, url = ollama_peer
    async with serve_client(make_settings(backend("cpu", url, "tiny", kind="ollama")), FUNCTION) as (client, _):
        response = await client.post("/extract-parameters", json=REQUEST)
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["backend"] == "cpu"
    assert_schema_true(body, TRANSFER)
    sent = next(body for path, body in peer.requests if path == "/api/chat")["format"]
    assert sent["properties"]["function"]["enum"] == ["transfer_money", None]
    assert sent["properties"]["arguments"]["properties"]["amount"] == {"type": ["number", "null"], "exclusiveMinimum": 0}
    assert "required" not in sent["properties"]["arguments"]
