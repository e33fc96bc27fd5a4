"""Reading the model's arguments: ``null`` means "not given", and two light, documented clean-ups.

* A string where the schema wants a number becomes that number when the whole string
  spells exactly one: "1,500", "twenty-five", "eighty-eight point five" (see ``numbers``).
* A string that is not one of an enum's values becomes the one value it matches when case
  and the separators " ", "-" and "_" are ignored ("Store Credit" -> "store_credit").

Nothing else is changed, and nothing is guessed: a value that fits no rule is left as the
model wrote it, and schema validation then asks the model again.
"""

from __future__ import annotations

import re
from typing import Any

from localfn.functions.extract_parameters.number_words import parse_number
from localfn.functions.extract_parameters.subschemas import item_schema, property_schema, resolve

__all__ = ["read_call"]

_SEPARATORS = re.compile(r"[\s_-]+")


def read_call(data: Any, parameters: dict[str, Any]) -> Any:
    """The model's reply (``{"function", "arguments", ...}``) with its arguments read against ``parameters``:
    nulls dropped at every depth, numbers and enum values normalised where the schema says."""
    if isinstance(data, dict) and isinstance(data.get("arguments"), dict):
        return {**data, "arguments": _read(data["arguments"], parameters, parameters)}
    return data


def _read(value: Any, schema: Any, root: dict[str, Any]) -> Any:
    schema = resolve(schema, root)
    if isinstance(value, dict):
        return {key: _read(item, property_schema(schema, key), root) for key, item in value.items() if item is not None}
    if isinstance(value, list):
        return [_read(item, item_schema(schema, index), root) for index, item in enumerate(value)]
    if isinstance(value, str):
        return _string(value, schema)
    return value


def _string(value: str, schema: dict[str, Any]) -> Any:
    kinds = schema.get("type")
    kinds = {kinds} if isinstance(kinds, str) else set(kinds or ())
    if kinds & {"number", "integer"} and "string" not in kinds:
        number = parse_number(value)
        if number is not None and ("number" in kinds or float(number).is_integer()):
            return number
    enum = schema.get("enum")
    if isinstance(enum, list) and value not in enum:
        key = _SEPARATORS.sub("_", value.strip()).casefold()
        matches = [option for option in enum if isinstance(option, str) and _SEPARATORS.sub("_", option).casefold() == key]
        if len(matches) == 1:
            return matches[0]
    return value
