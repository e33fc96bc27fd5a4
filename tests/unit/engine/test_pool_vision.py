"""EnginePool.check_vision: is a vision model that can see served, and which engines may take images."""

from __future__ import annotations

from collections.abc import Sequence

import pytest

from localfn.engine.base import ChatRequest, Message
from localfn.engine.pool import VISION_HINT, EnginePool
from localfn.errors import EngineUnavailable, ModelNotFound
from localfn.metrics import Metrics
from tests.support.scripted_engine import ScriptedEngine

IMAGE = ChatRequest(messages=(Message("user", "what is on the plate?", images=(b"\xff\xd8jpeg",)),))


class DescribingEngine(ScriptedEngine):
    """A scripted engine that, like Ollama, says what a model can do; it counts the questions."""

    def __init__(self, name: str, answer: Sequence[str] | Exception) -> None:
        super().__init__(name, ["{}"], vision_model=f"{name}-eyes")
        self.answer = answer
        self.asked: list[str] = []

    async def capabilities(self, model: str) -> tuple[str, ...]:
        self.asked.append(model)
        if isinstance(self.answer, Exception):
            raise self.answer
        return tuple(self.answer)


def pool_of(*engines: ScriptedEngine) -> EnginePool:
    return EnginePool(engines, metrics=Metrics())


async def test_a_model_that_lists_vision_passes_and_the_answer_is_kept() -> None:
    gpu = DescribingEngine("gpu", ["completion", "vision"])
    pool = pool_of(gpu)
    await pool.check_vision()
    await pool.check_vision()
    assert gpu.asked == ["gpu-eyes"]


async def test_a_model_that_cannot_see_is_a_503_naming_it_and_what_to_pull() -> None:
    gpu = DescribingEngine("gpu", ["completion", "tools"])
    pool = pool_of(gpu)
    with pytest.raises(ModelNotFound) as caught:
        await pool.check_vision()
    assert caught.value.status == 503
    assert "'gpu-eyes' cannot see images" in caught.value.detail
    assert VISION_HINT in caught.value.detail
    with pytest.raises(ModelNotFound):
        await pool.check_vision()
    assert gpu.asked == ["gpu-eyes"]  # the "no" is kept too


async def test_no_vision_model_anywhere_is_a_503_saying_what_to_configure() -> None:
    with pytest.raises(ModelNotFound) as caught:
        await pool_of(ScriptedEngine("gpu"), ScriptedEngine("cpu")).check_vision()
    assert "vision_model" in caught.value.detail and VISION_HINT in caught.value.detail


async def test_engines_that_cannot_describe_models_are_trusted_on_their_configuration() -> None:
    await pool_of(ScriptedEngine("llamacpp", vision_model="some-vlm")).check_vision()


async def test_ollama_without_a_capabilities_list_is_trusted() -> None:
    # Ollama before 0.6 answers /api/show without "capabilities".
    await pool_of(DescribingEngine("old", [])).check_vision()


async def test_a_vision_model_not_pulled_is_reported_and_asked_again_next_time() -> None:
    gpu = DescribingEngine("gpu", ModelNotFound("gpu: model 'gpu-eyes' is not on this Ollama; pull it with: ollama pull gpu-eyes"))
    pool = pool_of(gpu)
    for _ in range(2):
        with pytest.raises(ModelNotFound, match="ollama pull gpu-eyes"):
            await pool.check_vision()
    assert len(gpu.asked) == 2


async def test_an_unreachable_engine_is_left_to_chat_to_fail_over() -> None:
    down = DescribingEngine("gpu", EngineUnavailable("gpu: cannot connect", backend="gpu"))
    await pool_of(down).check_vision()


async def test_image_requests_skip_engines_known_to_be_blind() -> None:
    blind = DescribingEngine("gpu", ["completion"])
    seeing = DescribingEngine("cpu", ["completion", "vision"])
    pool = pool_of(blind, seeing)
    await pool.check_vision()

    result = await pool.chat(IMAGE)

    assert result.backend == "cpu"
    assert blind.requests == [] and len(seeing.requests) == 1
