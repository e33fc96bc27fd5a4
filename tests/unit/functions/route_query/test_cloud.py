"""route-query's cloud settings and the cloud model's time limit and cool-down."""

from __future__ import annotations

import asyncio
import os

import pytest
from pydantic import ValidationError

from localfn.engine.base import ChatRequest, ChatResult, Message
from localfn.engine.pool import EnginePool
from localfn.errors import EngineRejected, EngineTimeout, EngineUnavailable
from localfn.functions.route_query.cloud import CloudCoolingDown, CloudModel
from localfn.metrics import Metrics
from localfn.settings import Settings
from tests.support.scripted_engine import ScriptedEngine
from tests.unit.conftest import FakeClock

REQUEST = ChatRequest(messages=(Message("user", "hi"),))


@pytest.fixture(autouse=True)
def clean_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in list(os.environ):
        if name.upper().startswith("LOCALFN_"):
            monkeypatch.delenv(name)


def test_cloud_settings_are_nested_under_localfn_cloud(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOCALFN_CLOUD__URL", "https://api.example.com/v1")
    monkeypatch.setenv("LOCALFN_CLOUD__MODEL", "gpt-4o-mini")
    monkeypatch.setenv("LOCALFN_CLOUD__API_KEY", "sk-very-secret")
    monkeypatch.setenv("LOCALFN_CLOUD__TIMEOUT_S", "7.5")
    settings = Settings()
    cloud = settings.cloud
    assert (str(cloud.url), cloud.model, cloud.timeout_s) == ("https://api.example.com/v1", "gpt-4o-mini", 7.5)
    assert cloud.api_key is not None and cloud.api_key.get_secret_value() == "sk-very-secret"
    assert "sk-very-secret" not in repr(settings) + str(settings) + settings.model_dump_json()


def test_no_cloud_by_default_and_empty_values_mean_unset(monkeypatch: pytest.MonkeyPatch) -> None:
    assert (Settings().cloud.url, Settings().cloud.model) == (None, None)
    monkeypatch.setenv("LOCALFN_CLOUD__URL", "")
    monkeypatch.setenv("LOCALFN_CLOUD__MODEL", "")
    assert (Settings().cloud.url, Settings().cloud.model) == (None, None)


def test_a_cloud_url_without_a_model_is_refused_at_start_up(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LOCALFN_CLOUD__URL", "https://api.example.com/v1")
    with pytest.raises(ValidationError, match="LOCALFN_CLOUD__MODEL"):
        Settings()


@pytest.mark.parametrize("name", ["LOCALFN_ROUTE_QUERY__CLOUD_MIN_PROBABILITY", "LOCALFN_ROUTE_QUERY__COMPLEX_MIN_PROBABILITY"])
def test_thresholds_are_probabilities(monkeypatch: pytest.MonkeyPatch, name: str) -> None:
    monkeypatch.setenv(name, "1.5")
    with pytest.raises(ValidationError):
        Settings()


class SilentEngine(ScriptedEngine):
    """A fake cloud that never answers (a black-holed connection)."""

    async def chat(self, request: ChatRequest) -> ChatResult:
        await asyncio.Event().wait()
        raise AssertionError("unreachable")


def cloud(engine: ScriptedEngine, clock: FakeClock, timeout_s: float = 5.0) -> CloudModel:
    pool = EnginePool([engine], metrics=Metrics(), cooldown_s=30, clock=clock)
    return CloudModel(pool, timeout_s=timeout_s)


@pytest.mark.parametrize("failure", [EngineUnavailable("down", backend="cloud"), EngineTimeout("read timeout", backend="cloud")], ids=type)
async def test_after_a_failure_the_cloud_is_skipped_until_its_pool_s_cool_down_ends(clock: FakeClock, failure: Exception) -> None:
    engine = ScriptedEngine("cloud", [failure, "back"])
    model = cloud(engine, clock)
    with pytest.raises(type(failure)):
        await model.chat(REQUEST)
    clock.advance(29)
    with pytest.raises(CloudCoolingDown):
        await model.chat(REQUEST)
    assert len(engine.requests) == 1  # skipped: not called while cooling down
    clock.advance(1)
    assert (await model.chat(REQUEST)).content == "back"  # retried once the pool's cool-down ends


async def test_a_rejected_request_does_not_cool_the_cloud_down(clock: FakeClock) -> None:
    engine = ScriptedEngine("cloud", [EngineRejected("too long", backend="cloud"), "fine"])
    model = cloud(engine, clock)
    with pytest.raises(EngineRejected):
        await model.chat(REQUEST)
    assert (await model.chat(REQUEST)).content == "fine"


async def test_no_answer_in_time_is_a_timeout_and_cools_down(clock: FakeClock) -> None:
    model = cloud(SilentEngine("cloud", []), clock, timeout_s=0.01)
    with pytest.raises(EngineTimeout, match="LOCALFN_CLOUD__TIMEOUT_S"):
        await model.chat(REQUEST)
    with pytest.raises(CloudCoolingDown):
        await model.chat(REQUEST)


async def test_the_cloud_is_not_sent_llama_cpp_s_repeat_penalty(clock: FakeClock) -> None:
    engine = ScriptedEngine("cloud", ["fine"])
    await cloud(engine, clock).chat(ChatRequest(messages=(Message("user", "hi"),), repeat_penalty=1.1))
    assert engine.requests[0].repeat_penalty is None
