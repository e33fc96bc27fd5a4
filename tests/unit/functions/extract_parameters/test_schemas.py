"""extract-parameters' schemas: the caller's checked, the model's built optional, nullable and enforceable."""

from __future__ import annotations

import re
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from localfn.functions.extract_parameters.schemas import call_schema, check_parameters, choice_schema

FLIGHT: dict[str, Any] = {
    "type": "object",
    "$defs": {"date": {"type": "string", "pattern": r"^\d{4}-\d{2}-\d{2}$"}},
    "properties": {
        "origin": {"type": "string"},
        "when": {"$ref": "#/$defs/date"},
        "cabin": {"type": "string", "enum": ["economy", "business"]},
        "passengers": {
            "type": "object",
            "properties": {"adults": {"type": "integer", "minimum": 1}, "children": {"type": "integer"}},
            "required": ["adults"],
            "additionalProperties": False,
        },
        "legs": {"type": "array", "items": {"type": "object", "properties": {"to": {"type": "string"}}, "required": ["to"]}},
        "seat": {"const": "aisle"},
    },
    "required": ["origin", "when"],
    "additionalProperties": False,
}


def arguments_validator(schema: dict[str, Any]) -> Draft202012Validator:
    Draft202012Validator.check_schema(schema)
    return Draft202012Validator(schema)


def test_every_property_is_optional_and_nullable_at_every_depth() -> None:
    validator = arguments_validator(call_schema("book", FLIGHT))
    nothing_known: dict[str, Any] = {
        "origin": None,
        "when": None,
        "cabin": None,
        "passengers": {"adults": None},
        "legs": [{}],
        "seat": None,
    }
    assert validator.is_valid({"function": "book", "arguments": nothing_known})
    assert validator.is_valid({"function": "book", "arguments": {}})


def test_every_other_constraint_is_kept() -> None:
    validator = arguments_validator(call_schema("book", FLIGHT))
    for wrong in [
        {"cabin": "first"},
        {"when": "next week"},
        {"passengers": {"adults": 0}},
        {"passengers": {"adults": 1, "pets": 2}},
        {"seat": "window"},
        {"stopover": "Rome"},
    ]:
        assert not validator.is_valid({"function": "book", "arguments": wrong}), wrong


def test_the_reply_names_the_function_or_null() -> None:
    validator = arguments_validator(call_schema("book", FLIGHT))
    assert validator.is_valid({"function": None, "arguments": {}, "no_call_reason": "a question"})
    assert not validator.is_valid({"function": "other", "arguments": {}})
    assert not validator.is_valid({"function": "book"})


def test_definitions_move_to_the_root_so_references_resolve() -> None:
    schema = call_schema("book", FLIGHT)
    assert schema["$defs"]["date"]["pattern"] == "^[0-9]{4}-[0-9]{2}-[0-9]{2}$"
    assert "$defs" not in schema["properties"]["arguments"]


@pytest.mark.parametrize(
    ("pattern", "spelled"),
    [
        (r"^\d{4}$", "^[0-9]{4}$"),
        (r"^[\d-]+$", "^[0-9-]+$"),
        (r"^\w+\.\d$", r"^[A-Za-z0-9_]+\.[0-9]$"),
        (r"^\\d$", r"^\\d$"),  # an escaped backslash followed by d stays as written
        (r"^\D\s$", r"^\D\s$"),
    ],
)
def test_shorthand_classes_in_patterns_are_spelled_out_for_grammar_engines(pattern: str, spelled: str) -> None:
    schema = call_schema("f", {"type": "object", "properties": {"x": {"type": "string", "pattern": pattern}}})
    assert schema["properties"]["arguments"]["properties"]["x"]["pattern"] == spelled


def test_the_choice_is_one_of_the_names_or_null() -> None:
    validator = arguments_validator(choice_schema(["a", "b"]))
    assert validator.is_valid({"function": "a"})
    assert validator.is_valid({"function": None, "no_call_reason": "small talk"})
    assert not validator.is_valid({"function": "c"})


@pytest.mark.parametrize(
    ("parameters", "message"),
    [
        ({"type": "object", "properties": {"a": {"type": "strin"}}}, "not a valid JSON Schema (2020-12) at properties/a/type"),
        ({"type": "object", "properties": {"a": {"type": "string", "pattern": "["}}}, "at properties/a/pattern"),
        ({"type": "object", "required": "a"}, "at required"),
        ({"type": "array", "items": {"type": "string"}}, 'must describe an object: give it "type": "object"'),
        ({"properties": {"a": {"type": "string"}}}, 'give it "type": "object"'),
        ({"type": "object", "properties": {"a": {"$ref": "#/properties/b"}}}, "refer only to this schema's $defs"),
        ({"type": "object", "properties": {"a": {"$ref": "https://example.org/s.json"}}}, "is not supported"),
        # A local reference to a definition that is not there: the metaschema can't see it, compiling does.
        ({"type": "object", "properties": {"a": {"$ref": "#/$defs/when"}}}, "/$defs/when' does not exist"),
    ],
)
def test_unusable_parameters_are_refused_naming_the_problem(parameters: dict[str, Any], message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        check_parameters(parameters)


def test_usable_parameters_pass() -> None:
    check_parameters(FLIGHT)
    check_parameters({"type": "object"})
