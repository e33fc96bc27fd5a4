"""JSON Schema validators, made one way: jsonschema-rs, never fetching a ``$ref``.

A schema may come from a caller (extract-parameters' ``parameters``): a validator that
fetched remote references would let a request make the function call any URL, so every
validator is offline and a ``$ref`` resolves inside its own schema or fails to compile
(``jsonschema_rs.ValidationError``). ``formats=True`` makes ``format`` an assertion, for
every format the spec defines (2019-09 and 2020-12 leave it an annotation by default).
jsonschema-rs rather than the Python jsonschema: it imports in ~2 ms, not ~35 ms, and cold
start is what Knative's first request waits for (bench/perf cold_start).
"""

from __future__ import annotations

from typing import Any

import jsonschema_rs

__all__ = ["place", "validator"]


def validator(
    schema: dict[str, Any], *, formats: bool = False, draft: type[jsonschema_rs.Validator] = jsonschema_rs.Draft202012Validator
) -> jsonschema_rs.Validator:
    """A compiled validator for ``schema`` (Draft 2020-12 unless ``draft`` says otherwise)."""
    return draft(schema, validate_formats=formats, offline=True)


def place(error: jsonschema_rs.ValidationError, *, below: int = 0) -> str:
    """Where ``error`` is in the instance, as a path ("guests/0/name"; "(root)" for the whole),
    leaving out the first ``below`` parts (for an instance wrapped around the one checked)."""
    return "/".join(map(str, error.instance_path[below:])) or "(root)"
