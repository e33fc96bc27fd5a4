"""gather_or_cancel: results in order, and on a failure no sibling left running."""

from __future__ import annotations

import asyncio

import pytest

from localfn.errors import EngineBusy
from localfn.tasks import gather_or_cancel


async def _wait_for_ever(name: str, started: asyncio.Event, cancelled: list[str]) -> None:
    try:
        started.set()
        await asyncio.sleep(60)
    except asyncio.CancelledError:
        cancelled.append(name)
        raise


async def test_results_come_back_in_order() -> None:
    async def value(x: int, wait_s: float) -> int:
        await asyncio.sleep(wait_s)
        return x

    assert await gather_or_cancel(value(1, 0.02), value(2, 0), value(3, 0.01)) == [1, 2, 3]


async def test_the_first_failure_is_raised_as_it_is_and_cancels_the_rest() -> None:
    started, cancelled = asyncio.Event(), []

    async def busy() -> None:
        await started.wait()
        raise EngineBusy("gpu: HTTP 503: server busy")

    before = asyncio.all_tasks()
    with pytest.raises(EngineBusy, match="server busy"):
        await gather_or_cancel(_wait_for_ever("a", started, cancelled), busy(), _wait_for_ever("b", started, cancelled))
    assert sorted(cancelled) == ["a", "b"]
    assert asyncio.all_tasks() <= before  # nothing left running


async def test_cancelling_the_caller_cancels_every_awaitable() -> None:
    started, cancelled = asyncio.Event(), []
    caller = asyncio.create_task(gather_or_cancel(_wait_for_ever("a", started, cancelled), _wait_for_ever("b", started, cancelled)))
    await started.wait()
    caller.cancel()
    with pytest.raises(asyncio.CancelledError):
        await caller
    assert sorted(cancelled) == ["a", "b"]
