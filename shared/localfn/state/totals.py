"""SharedTotals: numbers every process of an installation adds to, kept in one hash of the store.

Rules:
- ``add`` increments fields of the installation's hash in one atomic round trip and renews the
  hash's TTL: totals nobody adds to any more expire, so nothing grows without bound.
- Counting is best effort: when the store fails, ``add`` drops the amounts (the caller keeps its
  own per-process count) and ``read`` answers None, so the caller can say it shows its own.
"""

from __future__ import annotations

from collections.abc import Mapping

from localfn.state.client import StateClient, StateUnavailable
from localfn.state.keys import totals_key

__all__ = ["SharedTotals"]


class SharedTotals:
    def __init__(self, client: StateClient, name: str, *, ttl_s: float) -> None:
        self._client = client
        self._key = totals_key(client.prefix, name)
        self._ttl_ms = max(int(ttl_s * 1000), 1)

    async def add(self, amounts: Mapping[str, float]) -> bool:
        """Add ``amounts`` to the totals; False when the store failed and they were dropped."""
        try:
            await self._client.add(self._key, amounts, self._ttl_ms)
        except StateUnavailable:
            return False
        return True

    async def read(self) -> dict[str, float] | None:
        """Every field counted so far by any process, or None when the store failed."""
        try:
            return await self._client.totals(self._key)
        except StateUnavailable:
            return None
