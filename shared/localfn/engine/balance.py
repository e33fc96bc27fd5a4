"""Which pod serves a call: the less loaded of two drawn at random, or the owner of the prompt's prefix.

Both rules see only the calls this process has in flight on each pod (Ollama exports no
load figures, so whoever calls it counts). Every function pod decides alone, which is why
neither rule takes the global minimum: all of them would herd onto the same idle pod at once.

* ``least_loaded`` (power of two choices, Mitzenmacher): two distinct pods at random, the one
  with fewer calls in flight. Nearly as even as the minimum, without the herding.
* ``PrefixRing.owner`` (consistent hashing with bounded load, Mirrokni et al.): a key (the
  model and the conversation's first message: the system prompt when there is one) belongs
  to the first pod clockwise on a hash ring, so the same prompt prefix meets the same
  Ollama prompt cache; a pod already above ``LOAD_BOUND`` x the average load passes the call
  on to the next pod on the ring. The hash is blake2b, not ``hash()``: every process must
  place keys and pods alike.
"""

from __future__ import annotations

import bisect
import hashlib
import math
import random
from collections.abc import Iterable, Iterator, Mapping, Sequence

__all__ = ["LOAD_BOUND", "PrefixRing", "least_loaded"]

# A pod takes at most 25% more calls than the average before its keys spill to the next pod:
# the bound the paper and HAProxy's hash-balance-factor use; lower spreads more, caches less.
LOAD_BOUND = 1.25
# Places per pod on the ring: with 100, each pod's share of keys is within a few percent of 1/n.
_POINTS = 100


def least_loaded(loads: Sequence[int], rng: random.Random) -> int:
    """Index of the less loaded of two distinct pods drawn at random; a tie keeps the first drawn."""
    if len(loads) == 1:
        return 0
    first, second = rng.sample(range(len(loads)), 2)
    return second if loads[second] < loads[first] else first


def _hash(text: str) -> int:
    return int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "big")


class PrefixRing:
    """A consistent-hash ring over pod addresses; adding or removing a pod moves only its own keys."""

    def __init__(self, members: Iterable[str]) -> None:
        points = sorted((_hash(f"{member}#{i}"), member) for member in set(members) for i in range(_POINTS))
        self._hashes = [point for point, _ in points]
        self._members = [member for _, member in points]

    def walk(self, key: str) -> Iterator[str]:
        """Every member once, clockwise from ``key``'s place on the ring."""
        start = bisect.bisect(self._hashes, _hash(key))
        seen: set[str] = set()
        for step in range(len(self._members)):
            member = self._members[(start + step) % len(self._members)]
            if member not in seen:
                seen.add(member)
                yield member

    def owner(self, key: str, loads: Mapping[str, int]) -> str:
        """The first member on ``key``'s walk, among those in ``loads``, whose load stays within the bound.

        The limit counts the call being placed. Some member is always under it: the least
        loaded one has at most the average, and the limit is above the average.
        """
        limit = math.ceil(LOAD_BOUND * (sum(loads.values()) + 1) / len(loads))
        return next(member for member in self.walk(key) if member in loads and loads[member] < limit)
