"""chat_structured's two hooks for shapes known only at run time: ``schema`` and ``prepare``."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import BaseModel

from localfn.engine.base import ChatRequest, Message
from localfn.engine.pool import EnginePool
from localfn.errors import StructuredOutputError
from localfn.metrics import Metrics
from localfn.structured import chat_structured
from tests.support.scripted_engine import ScriptedEngine

REQUEST = ChatRequest(messages=(Message("user", "Give me the count."),))
SCHEMA = {"type": "object", "properties": {"count": {"type": "integer", "minimum": 1}}, "required": ["count"]}


class Anything(BaseModel):
    count: Any


async def ask(engine: ScriptedEngine, **hooks: Any) -> Any:
    return await chat_structured(EnginePool([engine], metrics=Metrics()), REQUEST, Anything, metrics=Metrics(), max_repairs=1, **hooks)


async def test_a_given_schema_is_sent_and_enforced_instead_of_the_models() -> None:
    engine = ScriptedEngine("gpu", ['{"count": 0}', '{"count": 3}'])
    out = await ask(engine, schema=SCHEMA)

    assert out.value.count == 3 and out.attempts == 2
    assert engine.requests[0].json_schema == SCHEMA
    assert "count: 0 is less than the minimum of 1" in engine.requests[1].messages[-1].content


async def test_prepare_cleans_the_reply_before_it_is_validated() -> None:
    def numbers(data: Any) -> Any:
        return {"count": int(data["count"])} if isinstance(data.get("count"), str) and data["count"].isdigit() else data

    engine = ScriptedEngine("gpu", ['{"count": "7"}'])
    out = await ask(engine, schema=SCHEMA, prepare=numbers)
    assert out.value.count == 7 and out.attempts == 1


async def test_without_hooks_the_models_own_schema_is_used() -> None:
    engine = ScriptedEngine("gpu", ['{"count": "anything"}'])
    out = await ask(engine)
    assert engine.requests[0].json_schema == Anything.model_json_schema()
    assert out.value.count == "anything"


async def test_a_reply_that_stays_invalid_still_raises() -> None:
    with pytest.raises(StructuredOutputError):
        await ask(ScriptedEngine("gpu", ['{"count": 0}', '{"count": -1}']), schema=SCHEMA)
