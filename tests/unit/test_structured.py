"""localfn.structured: JSON extraction from model replies and the validate-and-re-ask loop."""

from __future__ import annotations

import pytest
from pydantic import BaseModel

from localfn.engine.base import ChatRequest, Message
from localfn.engine.pool import EnginePool
from localfn.errors import StructuredOutputError
from localfn.metrics import Metrics
from localfn.structured import chat_structured, extract_json
from tests.support.scripted_engine import ScriptedEngine


class Badge(BaseModel):
    name: str
    level: int


VALID = '{"name": "Gold", "level": 3}'
MISSING_LEVEL = '{"name": "Gold"}'
REQUEST = ChatRequest(messages=(Message("system", "Make a badge."), Message("user", "for finishing a course")))


# extract_json


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"a": 1}', {"a": 1}),
        ('  \n{"a": [1, 2]}\n', {"a": [1, 2]}),
        ('```json\n{"a": 1}\n```', {"a": 1}),
        ('Here you go:\n```json\n{"a": 1}\n```\nEnjoy!', {"a": 1}),
        ('```\n{"a": 1}\n```', {"a": 1}),
        ('Sure! The badge is {"a": 1} as requested.', {"a": 1}),
        ("[1, 2, 3]", [1, 2, 3]),
        ('The list: [{"a": 1}, {"a": 2}] done', [{"a": 1}, {"a": 2}]),
        ('Answer: {"text": "a } and a { and \\"quotes\\""} trailing }', {"text": 'a } and a { and "quotes"'}),
        ('{"outer": {"inner": "{not a brace}"}}', {"outer": {"inner": "{not a brace}"}}),
    ],
    ids=[
        "bare",
        "padded",
        "json-fence",
        "fence-in-prose",
        "plain-fence",
        "prose-around",
        "array",
        "array-in-prose",
        "braces-in-strings",
        "nested",
    ],
)
def test_extract_json_finds_the_json_value(text: str, expected: object) -> None:
    assert extract_json(text) == expected


@pytest.mark.parametrize("text", ["", "no json here", "almost { but not quite", "```json\nnope\n```"])
def test_extract_json_without_json_raises_value_error(text: str) -> None:
    with pytest.raises(ValueError):
        extract_json(text)


# chat_structured


def pool_of(engine: ScriptedEngine) -> EnginePool:
    return EnginePool([engine], metrics=Metrics())


def repairs(metrics: Metrics) -> float | None:
    return metrics.registry.get_sample_value("localfn_structured_repairs_total")


async def test_a_valid_first_reply_takes_one_attempt() -> None:
    engine = ScriptedEngine("gpu", [f"Here it is: {VALID}"])
    metrics = Metrics()
    out = await chat_structured(pool_of(engine), REQUEST, Badge, metrics=metrics, max_repairs=2)

    assert out.value == Badge(name="Gold", level=3)
    assert out.attempts == 1
    assert repairs(metrics) == 0


async def test_the_request_carries_the_output_models_json_schema() -> None:
    engine = ScriptedEngine("gpu", [VALID])
    await chat_structured(pool_of(engine), REQUEST, Badge, metrics=Metrics(), max_repairs=0)

    assert engine.requests[0].json_schema == Badge.model_json_schema()
    assert engine.requests[0].messages == REQUEST.messages


async def test_an_invalid_reply_is_repaired_by_re_asking() -> None:
    engine = ScriptedEngine("gpu")
    engine.script.extend(
        [
            engine.result(MISSING_LEVEL, prompt_tokens=100, completion_tokens=7),
            engine.result(VALID, prompt_tokens=130, completion_tokens=9),
        ]
    )
    metrics = Metrics()
    out = await chat_structured(pool_of(engine), REQUEST, Badge, metrics=metrics, max_repairs=2)

    assert out.value == Badge(name="Gold", level=3)
    assert out.attempts == 2
    assert (out.prompt_tokens, out.completion_tokens) == (230, 16)
    assert out.last.content == VALID
    assert repairs(metrics) == 1

    retry = engine.requests[1].messages
    assert retry[: len(REQUEST.messages)] == REQUEST.messages
    assert retry[-2] == Message("assistant", MISSING_LEVEL)
    assert retry[-1].role == "user"
    assert '"level" is a required property' in retry[-1].content  # the validator's own wording (jsonschema-rs)


async def test_a_reply_that_never_validates_raises_with_attempts_and_last_output() -> None:
    replies = ["not json at all", MISSING_LEVEL, '{"name": "Gold", "level": "high"}']
    engine = ScriptedEngine("gpu", replies)
    metrics = Metrics()
    with pytest.raises(StructuredOutputError) as caught:
        await chat_structured(pool_of(engine), REQUEST, Badge, metrics=metrics, max_repairs=2)

    assert caught.value.attempts == 3
    assert caught.value.last_output == replies[-1]
    assert caught.value.backend == "gpu"
    assert len(engine.requests) == 3
    assert repairs(metrics) == 2


async def test_a_failing_check_triggers_a_repair() -> None:
    def no_placeholder(badge: Badge) -> list[str]:
        return ["name: must not be a placeholder"] if badge.name == "TODO" else []

    engine = ScriptedEngine("gpu", ['{"name": "TODO", "level": 1}', VALID])
    out = await chat_structured(pool_of(engine), REQUEST, Badge, metrics=Metrics(), max_repairs=1, checks=[no_placeholder])

    assert out.attempts == 2
    assert out.value.name == "Gold"
    assert "name: must not be a placeholder" in engine.requests[1].messages[-1].content


async def test_no_repairs_allowed_means_one_attempt() -> None:
    engine = ScriptedEngine("gpu", [MISSING_LEVEL])
    with pytest.raises(StructuredOutputError) as caught:
        await chat_structured(pool_of(engine), REQUEST, Badge, metrics=Metrics(), max_repairs=0)
    assert caught.value.attempts == 1


# Soft checks: wishes re-asked once, never a failure


def not_gold(badge: Badge) -> list[str]:
    return ["name: not Gold"] if badge.name == "Gold" else []


SILVER = '{"name": "Silver", "level": 3}'


@pytest.mark.parametrize(
    ("script", "max_repairs", "name", "attempts"),
    [
        ([VALID, SILVER], 2, "Silver", 2),  # the soft re-ask is answered
        ([VALID, VALID], 2, "Gold", 2),  # only one soft re-ask: its reply stands
        ([VALID], 0, "Gold", 1),  # no repair left: the first reply stands
        ([VALID, MISSING_LEVEL], 1, "Gold", 2),  # the re-ask broke the schema, budget spent: the first stands
        ([MISSING_LEVEL, VALID, SILVER], 2, "Silver", 3),  # a schema repair, then the soft one
    ],
    ids=["answered", "once", "no-budget", "fallback", "after-schema-repair"],
)
async def test_soft_checks_get_one_re_ask_within_the_budget(script: list[str], max_repairs: int, name: str, attempts: int) -> None:
    engine = ScriptedEngine("gpu", script)
    metrics = Metrics()
    out = await chat_structured(pool_of(engine), REQUEST, Badge, metrics=metrics, max_repairs=max_repairs, soft=[not_gold])

    assert (out.value.name, out.attempts, len(engine.requests)) == (name, attempts, attempts)
    assert repairs(metrics) == attempts - 1
    soft_asks = [r for r in engine.requests if "Your reply is valid JSON but:\n- name: not Gold" in r.messages[-1].content]
    assert len(soft_asks) == (1 if attempts > 1 and script[attempts - 2] == VALID else 0)
