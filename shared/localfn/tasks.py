"""Running awaitables side by side without leaving any behind.

``asyncio.gather`` raises the first failure but lets the other awaitables run on as orphan
tasks: after an engine fault, a request would have answered while its sibling calls kept
the engine busy (and kept counting failovers). ``TaskGroup`` cancels them, but raises an
``ExceptionGroup`` where callers and the problem middleware expect the engine's own error.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable
from typing import TypeVar

__all__ = ["gather_or_cancel"]

T = TypeVar("T")


async def gather_or_cancel(*awaitables: Awaitable[T]) -> list[T]:
    """Every result in order; on the first failure (or cancellation) the rest are cancelled and
    awaited, then that failure is raised unchanged."""
    tasks = [asyncio.ensure_future(awaitable) for awaitable in awaitables]
    try:
        return await asyncio.gather(*tasks)
    except BaseException:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
