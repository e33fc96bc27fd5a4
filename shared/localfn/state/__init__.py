"""State shared by every process of a function through Redis (or Valkey): redelivery, result cache, single-flight, totals.

Imported only when ``LOCALFN_STATE_URL`` is set (runtime.py): a process without a Redis neither
imports redis-py nor connects anywhere, and keeps today's in-process ``Memo``.

    client.py  StateClient: the process's one bounded connection pool, the store's few operations
               (each under LOCALFN_STATE_TIMEOUT_MS), and one pub/sub listener that wakes waiters
    memo.py    SharedMemo: the ``Store`` rules kept across processes, on top of an in-process ``Memo``
    totals.py  SharedTotals: numbers every process adds to (route-query's statistics), best effort
    keys.py    which Redis keys hold one flight (prefix, kind, sha256 of the key), and a function's totals
    codec.py   how values become JSON bytes and back (a reply CloudEvent exactly as first sent)
"""

from __future__ import annotations

from localfn.state.client import StateClient, StateUnavailable
from localfn.state.codec import EVENTS, JSON, Codec
from localfn.state.memo import SharedMemo
from localfn.state.totals import SharedTotals

__all__ = ["EVENTS", "JSON", "Codec", "SharedMemo", "SharedTotals", "StateClient", "StateUnavailable"]
