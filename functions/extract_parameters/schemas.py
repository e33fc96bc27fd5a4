"""The JSON Schemas around a function's ``parameters``: checking the caller's, and building the model's.

The model's schema is the caller's with every property optional and nullable, at every
depth: a model that must fill a required field invents a value, one that may write
``null`` can say the message does not give it. Every other keyword (types, enums,
patterns, ranges, nested objects, arrays) is kept, so engines that constrain decoding
(Ollama ``format``, llama.cpp grammars) still enforce them. Patterns have their shorthand
classes spelled out, which those grammar builders need to enforce them at all.

With ``phrases``, a date, date-time or time property (see temporal.kind_of) loses its
``format`` and ``pattern`` in the model's schema: the model copies the message's words
for it ("tomorrow evening") and the product resolves them, instead of computing a date
it cannot know.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

import jsonschema_rs

from localfn.functions.extract_parameters.temporal import kind_of
from localfn.jsonschemas import place, validator

__all__ = ["call_schema", "check_parameters", "choice_schema"]

# Keywords whose value is a map of name -> subschema, a list of subschemas, or one subschema.
# Conditions ("if", "not") are left as written: loosening them would flip what they test.
_SCHEMA_MAPS = ("properties", "patternProperties", "$defs", "definitions", "dependentSchemas")
_SCHEMA_LISTS = ("prefixItems", "allOf", "anyOf", "oneOf")
_SCHEMA_ONES = ("items", "additionalProperties", "contains", "then", "else")
# Kept at the root of the model's schema, so "#/$defs/..." references still resolve there.
_DEFINITIONS = ("$defs", "definitions")
_LOCAL_REFS = ("#/$defs/", "#/definitions/")
# In JSON Schema's regex dialect (ECMA-262) these are exactly ASCII ranges.
_SHORTHANDS = {"d": "0-9", "w": "A-Za-z0-9_"}
_PHRASE_NOTE = 'Copy the words of the message that give it, e.g. "tomorrow evening".'


def check_parameters(parameters: dict[str, Any]) -> None:
    """Raise ``ValueError`` saying what is wrong unless ``parameters`` is a usable object schema."""
    _check(jsonschema_rs.meta.validate, parameters)
    if parameters.get("type") != "object":
        raise ValueError('parameters must describe an object: give it "type": "object"')
    for ref in _refs(parameters):
        if not ref.startswith(_LOCAL_REFS):
            raise ValueError(f"$ref {ref!r} is not supported: refer only to this schema's $defs or definitions")
    # Compiling catches what the metaschema cannot: a pattern that is no regex, a $ref to a missing definition.
    _check(validator, parameters)


def _check(step: Callable[[dict[str, Any]], object], parameters: dict[str, Any]) -> None:
    try:
        step(parameters)
    except jsonschema_rs.ValidationError as exc:
        raise ValueError(f"not a valid JSON Schema (2020-12) at {place(exc)}: {exc.message}") from None


def choice_schema(names: Sequence[str]) -> dict[str, Any]:
    """Which function the message calls for, if any."""
    return {
        "type": "object",
        "properties": {
            "function": {"enum": [*names, None]},
            "no_call_reason": {"type": ["string", "null"]},
        },
        "required": ["function"],
        "additionalProperties": False,
    }


def call_schema(name: str, parameters: dict[str, Any], *, phrases: bool = False) -> dict[str, Any]:
    """The function's name (or null: no call) and its arguments, each of them optional and nullable;
    with ``phrases``, dates and times as the message's words."""
    arguments = {key: value for key, value in parameters.items() if key not in (*_DEFINITIONS, "$schema", "$id")}
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {
            "function": {"enum": [name, None]},
            "arguments": _optional(arguments, phrases),
            "no_call_reason": {"type": ["string", "null"]},
        },
        "required": ["function", "arguments"],
        "additionalProperties": False,
    }
    for key in _DEFINITIONS:
        if isinstance(parameters.get(key), dict):
            schema[key] = {def_name: _optional(sub, phrases) for def_name, sub in parameters[key].items()}
    return schema


def _optional(schema: Any, phrases: bool) -> Any:
    """``schema`` with no ``required`` anywhere and every property nullable."""
    if not isinstance(schema, dict):
        return schema  # true / false
    out = {key: value for key, value in schema.items() if key != "required"}
    if phrases and kind_of(out) is not None:
        out = {key: value for key, value in out.items() if key not in ("format", "pattern")}
        out["description"] = " ".join(filter(None, [out.get("description"), _PHRASE_NOTE]))
    if isinstance(out.get("pattern"), str):
        out["pattern"] = _spelled_out(out["pattern"])
    for key in _SCHEMA_MAPS:
        if isinstance(out.get(key), dict):
            out[key] = {name: _optional(sub, phrases) for name, sub in out[key].items()}
    if "properties" in out:
        out["properties"] = {name: _nullable(sub) for name, sub in out["properties"].items()}
    for key in _SCHEMA_LISTS:
        if isinstance(out.get(key), list):
            out[key] = [_optional(sub, phrases) for sub in out[key]]
    for key in _SCHEMA_ONES:
        if isinstance(out.get(key), dict):
            out[key] = _optional(out[key], phrases)
    return out


def _nullable(schema: Any) -> Any:
    """``schema`` that also accepts null, keeping its shape where it can (so references into it hold)."""
    if schema is True or schema == {}:
        return schema
    if schema is False:
        return {"type": "null"}
    kind = schema.get("type")
    if "const" in schema or (kind is None and "enum" not in schema):
        return {"anyOf": [schema, {"type": "null"}]}
    out = dict(schema)
    if isinstance(kind, str):
        out["type"] = [kind, "null"]
    elif isinstance(kind, list) and "null" not in kind:
        out["type"] = [*kind, "null"]
    if "enum" in out and None not in out["enum"]:
        out["enum"] = [*out["enum"], None]
    return out


def _spelled_out(pattern: str) -> str:
    r"""``pattern`` with ``\d`` and ``\w`` written as ranges: llama.cpp's grammar builder (Ollama's too)
    rejects shorthand classes and then accepts any string at all."""
    out: list[str] = []
    in_class = False
    index = 0
    while index < len(pattern):
        char = pattern[index]
        if char == "\\" and index + 1 < len(pattern):
            escaped = pattern[index + 1]
            if escaped in _SHORTHANDS:
                out.append(_SHORTHANDS[escaped] if in_class else f"[{_SHORTHANDS[escaped]}]")
            else:
                out.append(pattern[index : index + 2])
            index += 2
            continue
        if char == "[":
            in_class = True
        elif char == "]":
            in_class = False
        out.append(char)
        index += 1
    return "".join(out)


def _refs(schema: Any) -> Iterator[str]:
    if isinstance(schema, dict):
        for key, value in schema.items():
            if key == "$ref" and isinstance(value, str):
                yield value
            elif key not in ("enum", "const", "default", "examples"):
                yield from _refs(value)
    elif isinstance(schema, list):
        for item in schema:
            yield from _refs(item)
