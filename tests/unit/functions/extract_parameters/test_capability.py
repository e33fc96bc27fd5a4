"""ExtractParameters on a scripted engine: choosing, filling, missing values, no call, repairs, limits."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import ValidationError

from localfn.errors import InvalidInput
from localfn.functions.extract_parameters.capability import ExtractParameters, call_token_cap
from localfn.functions.extract_parameters.models import ExtractParametersRequest
from localfn.settings import Settings
from localfn.tokens import estimate_tokens
from tests.support.scripted_engine import ScriptedEngine, run_capability

WEATHER = {
    "name": "get_weather",
    "description": "Current weather for a place.",
    "parameters": {
        "type": "object",
        "properties": {"location": {"type": "string"}, "units": {"type": "string", "enum": ["celsius", "fahrenheit"]}},
        "required": ["location"],
        "additionalProperties": False,
    },
}
FLIGHT = {
    "name": "book_flight",
    "description": "Book a flight.",
    "parameters": {
        "type": "object",
        "properties": {
            "origin": {"type": "string"},
            "destination": {"type": "string"},
            "date": {"type": "string", "format": "date"},
            "seats": {"type": "integer", "minimum": 1},
        },
        "required": ["origin", "destination", "date"],
        "additionalProperties": False,
    },
}


def reply(**fields: Any) -> str:
    return json.dumps(fields)


async def run(engine: ScriptedEngine, **request: Any) -> dict[str, Any]:
    return await run_capability(ExtractParameters, engine, request, Settings(max_repairs=1))


async def test_a_value_the_message_does_not_give_is_missing_not_invented() -> None:
    engine = ScriptedEngine(
        "gpu", [reply(function="book_flight", arguments={"origin": None, "destination": "Madrid", "date": "2025-06-20", "seats": None})]
    )
    body = await run(engine, user_message="A flight to Madrid on 2025-06-20.", function_schema=FLIGHT)

    assert body == {
        "function": "book_flight",
        "arguments": {"destination": "Madrid", "date": "2025-06-20"},
        "missing_required": ["origin"],
        "no_call_reason": None,
        "ungrounded": [],
        "model": "text-model",
        "backend": "gpu",
    }
    sent = engine.requests[0]
    assert sent.json_schema is not None and "required" not in sent.json_schema["properties"]["arguments"]  # the model may say "don't know"
    assert "book_flight" in sent.messages[0].content and sent.messages[1].content == "A flight to Madrid on 2025-06-20."


async def test_a_value_that_breaks_the_schema_is_sent_back_to_the_model() -> None:
    engine = ScriptedEngine(
        "gpu",
        [
            reply(function="book_flight", arguments={"origin": "Oslo", "destination": "Rome", "date": "2025-02-30"}),
            reply(function="book_flight", arguments={"origin": "Oslo", "destination": "Rome", "date": "2025-03-01"}),
        ],
    )
    body = await run(engine, user_message="Oslo to Rome on 1 March 2025", function_schema=FLIGHT, grounding="off")

    assert body["arguments"]["date"] == "2025-03-01"
    assert 'arguments/date: "2025-02-30" is not a "date"' in engine.requests[1].messages[-1].content


async def test_light_normalisation_saves_a_repair() -> None:
    engine = ScriptedEngine(
        "gpu", [reply(function="book_flight", arguments={"origin": "Oslo", "destination": "Rome", "date": "2025-03-01", "seats": "three"})]
    )
    body = await run(engine, user_message="Three seats Oslo to Rome on 2025-03-01", function_schema=FLIGHT)
    assert body["arguments"]["seats"] == 3
    assert len(engine.requests) == 1


async def test_with_several_functions_the_model_first_chooses() -> None:
    engine = ScriptedEngine(
        "gpu",
        [
            reply(function="get_weather", no_call_reason=None),
            reply(function="get_weather", arguments={"location": "Lisbon", "units": "Celsius"}),
        ],
    )
    body = await run(engine, user_message="Weather in Lisbon, celsius", functions=[FLIGHT, WEATHER])

    assert (body["function"], body["arguments"], body["missing_required"]) == (
        "get_weather",
        {"location": "Lisbon", "units": "celsius"},
        [],
    )
    choice_schema, call_schema = (request.json_schema or {} for request in engine.requests)
    assert choice_schema["properties"]["function"]["enum"] == ["book_flight", "get_weather", None]
    assert call_schema["properties"]["function"]["enum"] == ["get_weather", None]
    assert "- book_flight: Book a flight." in engine.requests[0].messages[0].content


async def test_no_function_applies_after_the_choice() -> None:
    engine = ScriptedEngine("gpu", [reply(function=None, no_call_reason="It is a general question.")])
    body = await run(engine, user_message="Why is the sky blue?", functions=[FLIGHT, WEATHER])

    assert body == {
        "function": None,
        "arguments": {},
        "missing_required": [],
        "no_call_reason": "It is a general question.",
        "ungrounded": [],
        "model": "text-model",
        "backend": "gpu",
    }
    assert len(engine.requests) == 1


async def test_the_one_function_can_be_declined_and_a_reason_is_always_given() -> None:
    engine = ScriptedEngine("gpu", [reply(function=None, arguments={"location": "nowhere"}, no_call_reason=" ")])
    body = await run(engine, user_message="thanks, bye!", function_schema=WEATHER)
    assert (body["function"], body["arguments"]) == (None, {})
    assert body["no_call_reason"]


@pytest.mark.parametrize(("field", "schemas"), [("function_schema", lambda f: f), ("functions", lambda f: [WEATHER, f])])
async def test_schemas_over_the_size_limit_are_422_naming_the_field_without_a_model_call(field: str, schemas: Any) -> None:
    wide = {
        "name": "wide",
        "parameters": {"type": "object", "properties": {f"field_{i}": {"type": "string", "description": "x" * 100} for i in range(700)}},
    }
    engine = ScriptedEngine("gpu")
    with pytest.raises(InvalidInput, match="LOCALFN_EXTRACT_PARAMETERS__MAX_SCHEMA_BYTES") as raised:
        await run(engine, user_message="hi", **{field: schemas(wide)})
    assert [error.path for error in raised.value.errors] == [field]
    assert engine.requests == []


@pytest.mark.parametrize(
    ("request_body", "message"),
    [
        ({"user_message": "  ", "function_schema": WEATHER}, "the user message is empty"),
        ({"user_message": "hi"}, "send either 'function_schema'"),
        ({"user_message": "hi", "function_schema": WEATHER, "functions": [WEATHER]}, "send either 'function_schema'"),
        ({"user_message": "hi", "functions": []}, "at least 1 item"),
        ({"user_message": "hi", "functions": [WEATHER, WEATHER]}, "repeated: get_weather"),
        ({"user_message": "hi", "function_schema": {**WEATHER, "name": "has spaces"}}, "should match pattern"),
        (
            {"user_message": "hi", "function_schema": {**WEATHER, "parameters": {"type": "object", "properties": {"a": {"type": 3}}}}},
            "not a valid JSON Schema",
        ),
    ],
)
def test_bad_requests_are_refused_by_the_request_model(request_body: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        ExtractParametersRequest.model_validate(request_body)


def test_the_call_token_cap_grows_with_the_schema_and_the_message_within_its_bounds() -> None:
    schema = json.dumps(FLIGHT["parameters"])
    short = call_token_cap("A flight to Madrid.", schema)
    longer = call_token_cap("A flight to Madrid. " * 10, schema)
    assert estimate_tokens(schema) < short < longer
    assert call_token_cap("", "{}") == 128
    assert call_token_cap("x" * 10_000, schema) == 1024


async def test_the_call_is_sent_with_the_cap_its_schema_and_message_need() -> None:
    engine = ScriptedEngine("gpu", [reply(function="get_weather", arguments={"location": "Lisbon", "units": None})])
    message = "Weather in Lisbon?"
    await run(engine, user_message=message, function_schema=WEATHER)

    assert engine.requests[0].max_tokens == call_token_cap(message, json.dumps(WEATHER["parameters"], ensure_ascii=False))


async def test_no_repeat_penalty_is_sent_as_copying_the_message_is_the_task() -> None:
    engine = ScriptedEngine(
        "gpu",
        [
            reply(function="get_weather", no_call_reason=None),
            reply(function="get_weather", arguments={"location": "Lisbon", "units": None}),
        ],
    )
    settings = Settings(max_repairs=1, repeat_penalty=1.3)
    await run_capability(ExtractParameters, engine, {"user_message": "Weather in Lisbon?", "functions": [WEATHER, FLIGHT]}, settings)

    assert [request.repeat_penalty for request in engine.requests] == [1.0, 1.0]
