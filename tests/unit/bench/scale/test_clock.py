"""bench.scale.clock.VirtualLoop: timers fire in order at their virtual times, without real sleeping."""

from __future__ import annotations

import asyncio

import pytest

from bench.scale.clock import run


def test_timers_fire_in_order_at_their_virtual_times() -> None:
    fired: list[tuple[str, float]] = []

    async def after(name: str, seconds: float) -> None:
        await asyncio.sleep(seconds)
        fired.append((name, asyncio.get_running_loop().time()))

    async def main() -> None:
        # A year of virtual waiting: with real sleeping the test would never end.
        await asyncio.gather(after("year", 365 * 86400.0), after("minute", 60.0), after("second", 1.0))

    run(main(), start=100.0)

    assert fired == [("second", 101.0), ("minute", 160.0), ("year", 100.0 + 365 * 86400.0)]


def test_timeouts_use_the_virtual_clock() -> None:
    async def main() -> float:
        loop = asyncio.get_running_loop()
        with pytest.raises(TimeoutError):
            async with asyncio.timeout(5.0):
                await asyncio.sleep(3600.0)
        return loop.time()

    assert run(main()) == 5.0


def test_waiting_with_no_timer_is_a_deadlock() -> None:
    async def main() -> None:
        await asyncio.Event().wait()

    with pytest.raises(RuntimeError, match="deadlock"):
        run(main())
