"""Schema-constrained calls: send the JSON Schema, extract and validate the reply, re-ask on failure.

Engines constrain decoding with the schema (Ollama ``format``, OpenAI ``response_format``),
but not every engine honours every keyword, and models wrap JSON in prose or code fences.
So the reply is always extracted and validated here; a bounded number of re-asks quote the
validation errors back to the model; what still fails raises ``StructuredOutputError``,
never an invalid object.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any, Generic, TypeVar

import jsonschema_rs
from pydantic import BaseModel, ValidationError

from localfn.engine.base import ChatRequest, ChatResult, Message
from localfn.engine.pool import EnginePool
from localfn.errors import StructuredOutputError
from localfn.jsonschemas import place
from localfn.jsonschemas import validator as compile_schema
from localfn.metrics import Metrics

__all__ = ["Structured", "chat_structured", "extract_json"]

T = TypeVar("T", bound=BaseModel)

_FENCE = re.compile(r"```(?:json)?\s*(.*?)```", re.DOTALL)

# A check a capability adds beyond the schema (e.g. "no placeholder text"): returns problems.
Check = Callable[[T], list[str]]
# A capability's documented clean-up of the reply's JSON before it is validated (e.g. "1,500" -> 1500).
Prepare = Callable[[Any], Any]


@dataclass(frozen=True)
class Structured(Generic[T]):
    """A validated reply and what producing it cost."""

    value: T
    last: ChatResult  # the call that produced the accepted reply
    attempts: int
    prompt_tokens: int  # summed over every attempt
    completion_tokens: int


def extract_json(text: str) -> Any:
    """The first JSON value in ``text``: bare, inside a code fence, or after leading prose."""
    candidates = [text.strip(), *(m.strip() for m in _FENCE.findall(text))]
    for candidate in candidates:
        try:
            return json.loads(candidate)
        except ValueError:
            pass
    decoder = json.JSONDecoder()
    for start, char in enumerate(text):
        if char in "{[":
            try:
                value, _ = decoder.raw_decode(text, start)
            except ValueError:
                continue
            return value
    raise ValueError("no JSON value found in the reply")


def _problems(
    raw: str, output: type[T], validator: jsonschema_rs.Validator, checks: Sequence[Check[T]], prepare: Prepare | None
) -> tuple[T | None, list[str]]:
    try:
        data = extract_json(raw)
    except ValueError as exc:
        return None, [str(exc)]
    if prepare is not None:
        data = prepare(data)
    errors = [f"{place(e)}: {e.message}" for e in validator.iter_errors(data)]
    if errors:
        return None, errors[:10]
    try:
        value = output.model_validate(data)
    except ValidationError as exc:
        return None, [f"{'/'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()][:10]
    problems = [problem for check in checks for problem in check(value)]
    return (None, problems) if problems else (value, [])


def _repair_message(problems: list[str], *, soft: bool = False) -> Message:
    listing = "\n".join(f"- {problem}" for problem in problems)
    if soft:
        return Message("user", f"Your reply is valid JSON but:\n{listing}\nReply again with only the corrected JSON object.")
    return Message(
        "user",
        f"Your reply did not match the required JSON Schema:\n{listing}\nReply again with only the corrected JSON object, nothing else.",
    )


async def chat_structured(
    pool: EnginePool,
    request: ChatRequest,
    output: type[T],
    *,
    metrics: Metrics,
    max_repairs: int,
    checks: Sequence[Check[T]] = (),
    soft: Sequence[Check[T]] = (),
    schema: dict[str, Any] | None = None,
    prepare: Prepare | None = None,
) -> Structured[T]:
    """Ask for a reply shaped like ``output`` and return it validated, or raise.

    ``schema`` replaces ``output``'s own JSON Schema when the shape is only known at run time
    (it must describe data ``output`` accepts); ``prepare`` runs on the reply's JSON before
    it is validated. ``checks`` are hard: a reply that breaks one is no answer.

    ``soft`` checks are wishes: a reply that passes the hard ones but breaks a soft one is
    re-asked once, if a repair is left, quoting the soft problems; the first reply that passes
    the hard checks is the answer whenever the rest fail or the budget runs out (the caller
    tidies what is left). Every attempt, soft or not, counts against ``max_repairs``.
    """
    schema = schema if schema is not None else output.model_json_schema()
    validator = compile_schema(schema)
    request = replace(request, json_schema=schema)
    prompt_tokens = completion_tokens = 0
    fallback: tuple[T, ChatResult] | None = None  # passed the hard checks, broke a soft one
    for attempt in range(1, max_repairs + 2):
        result = await pool.chat(request)
        prompt_tokens += result.prompt_tokens
        completion_tokens += result.completion_tokens
        value, problems = _problems(result.content, output, validator, checks, prepare)
        if value is not None:
            wishes = [problem for check in soft for problem in check(value)] if fallback is None else []
            if not wishes or attempt > max_repairs:
                return Structured(value, result, attempt, prompt_tokens, completion_tokens)
            fallback = (value, result)
        if attempt <= max_repairs:
            metrics.repairs.inc()
            message = _repair_message(wishes, soft=True) if value is not None else _repair_message(problems)
            request = replace(request, messages=(*request.messages, Message("assistant", result.content), message))
    if fallback is not None:
        return Structured(fallback[0], fallback[1], attempt, prompt_tokens, completion_tokens)
    raise StructuredOutputError(
        f"the model's reply broke its schema after {attempt} attempts: {'; '.join(problems)}",
        attempts=attempt,
        last_output=result.content,
        backend=result.backend,
    )
