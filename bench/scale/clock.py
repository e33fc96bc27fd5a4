"""An asyncio event loop whose clock is virtual: when nothing is ready it jumps to the next timer.

The code under simulation runs unmodified: ``asyncio.sleep``, ``asyncio.timeout`` and every
``call_later`` read ``loop.time()``, and the loop's selector, asked to wait ``t`` seconds with
no file descriptor ready, advances the clock by ``t`` instead of sleeping. A day of traffic
then takes as long as its callbacks take to run. Waiting with no timer at all (``None``)
would wait forever in virtual time: that is a deadlock in the simulation, raised as one.
"""

from __future__ import annotations

import asyncio
import selectors
from collections.abc import Coroutine
from typing import Any, TypeVar

__all__ = ["VirtualLoop", "run"]

T = TypeVar("T")


class _JumpingSelector(selectors.DefaultSelector):
    """A real selector (the loop's self-pipe stays registered) that never blocks: it moves the clock."""

    def __init__(self, loop: VirtualLoop) -> None:
        super().__init__()
        self._loop = loop

    def select(self, timeout: float | None = None) -> list[tuple[selectors.SelectorKey, int]]:
        ready = super().select(0)
        if ready or timeout == 0:
            return ready
        if timeout is None:
            raise RuntimeError("virtual time: every task waits and no timer is set (a deadlock in the simulation)")
        self._loop.advance(timeout)
        return []


class VirtualLoop(asyncio.SelectorEventLoop):
    """``time()`` starts at ``start`` and moves only when the loop would otherwise sleep."""

    def __init__(self, start: float = 0.0) -> None:
        self._now = start
        super().__init__(_JumpingSelector(self))
        # Timers within this of now are due. The monotonic clock's 1 ns is below a float's step at
        # a year of seconds (now + 1 ns == now): the loop would spin on a timer it never calls due.
        self._clock_resolution = 1e-6

    def time(self) -> float:
        return self._now

    def advance(self, seconds: float) -> None:
        self._now += max(seconds, 0.0)


def run(main: Coroutine[Any, Any, T], *, start: float = 0.0) -> T:
    """Run ``main`` to completion on a fresh virtual loop; tasks left running (pollers) are cancelled, as ``asyncio.run`` does."""
    loop = VirtualLoop(start)
    try:
        return loop.run_until_complete(main)
    finally:
        loop.run_until_complete(_cancel(asyncio.all_tasks(loop)))
        loop.run_until_complete(loop.shutdown_asyncgens())
        loop.close()


async def _cancel(tasks: set[asyncio.Task[Any]]) -> None:
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
