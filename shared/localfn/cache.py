"""Reusing answers: a bounded TTL store plus single-flight, so identical work runs once.

One ``Store`` serves two purposes with different keys and lifetimes: the result cache
(same function, same normalised input, same models) and CloudEvent redelivery
(same source and id). ``Memo`` keeps them in the process; ``localfn.state.SharedMemo``
shares them between processes through Redis when ``LOCALFN_STATE_URL`` is set.
"""

from __future__ import annotations

import asyncio
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Hashable
from enum import Enum
from typing import Generic, Protocol, TypeVar

__all__ = ["Memo", "Reuse", "Store"]

V = TypeVar("V")


class Reuse(str, Enum):
    """How an answer was obtained."""

    MISS = "miss"  # computed now
    HIT = "hit"  # taken from the store
    COALESCED = "coalesced"  # shared with an identical request in flight


class Store(Protocol[V]):
    """Where answers are kept and identical work is coalesced. Every implementation keeps these rules:

    - ``get_or_run`` returns the stored value (``HIT``), or the value of an identical call in flight
      (``COALESCED``), or ``compute()``'s (``MISS``); only the caller that owns a flight runs
      ``compute``, so whatever ``compute`` takes (the in-flight limit) is taken by one caller.
    - A failure reaches the callers waiting on that flight in the process but is never stored; a
      flight whose owner goes away (cancelled, or its process dead) is taken over by a waiter.
    - Values live at most their TTL and the store is bounded: nothing grows without limit.
    - ``enabled`` False (a zero TTL or size): ``compute`` runs every time, nothing is coalesced.
    """

    @property
    def enabled(self) -> bool: ...

    async def get_or_run(self, key: Hashable, compute: Callable[[], Awaitable[V]]) -> tuple[V, Reuse]: ...


class Memo(Generic[V]):
    """The in-process ``Store``: a TTL + LRU dictionary and a future per flight."""

    def __init__(self, *, ttl_s: float, max_entries: int, clock: Callable[[], float] = time.monotonic) -> None:
        self._ttl_s = ttl_s
        self._max_entries = max_entries
        self._clock = clock
        self._entries: OrderedDict[Hashable, tuple[float, V]] = OrderedDict()
        self._in_flight: dict[Hashable, asyncio.Future[V]] = {}

    @property
    def enabled(self) -> bool:
        return self._ttl_s > 0 and self._max_entries > 0

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, key: Hashable) -> V | None:
        entry = self._entries.get(key)
        if entry is None:
            return None
        stored_at, value = entry
        if self._clock() - stored_at >= self._ttl_s:
            del self._entries[key]
            return None
        self._entries.move_to_end(key)
        return value

    def put(self, key: Hashable, value: V) -> None:
        if not self.enabled:
            return
        self._entries[key] = (self._clock(), value)
        self._entries.move_to_end(key)
        while len(self._entries) > self._max_entries:
            self._entries.popitem(last=False)

    async def get_or_run(self, key: Hashable, compute: Callable[[], Awaitable[V]]) -> tuple[V, Reuse]:
        """The stored value, or the value of an identical call in flight, or ``compute()``'s."""
        stored = self.get(key)
        if stored is not None:
            return stored, Reuse.HIT
        pending = self._in_flight.get(key)
        if pending is not None:
            try:
                # shield: one waiter giving up must not cancel the work the others wait on.
                return await asyncio.shield(pending), Reuse.COALESCED
            except asyncio.CancelledError:
                task = asyncio.current_task()
                if not pending.cancelled() or (task is not None and task.cancelling()):
                    raise
                # The caller doing the work went away (its client hung up): take it over.
                return await self.get_or_run(key, compute)
        future: asyncio.Future[V] = asyncio.get_running_loop().create_future()
        self._in_flight[key] = future
        try:
            value = await compute()
        except asyncio.CancelledError:
            future.cancel()
            raise
        except BaseException as exc:
            future.set_exception(exc)
            future.exception()  # mark retrieved: nobody may be waiting
            raise
        else:
            self.put(key, value)
            future.set_result(value)
            return value, Reuse.MISS
        finally:
            del self._in_flight[key]
