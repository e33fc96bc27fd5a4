"""Counting tokens: the engine's own tokenizer where it has one, an estimate otherwise."""

from __future__ import annotations

import math
from typing import Literal

from localfn.engine.pool import EnginePool
from localfn.sentences import cut

__all__ = ["TokenCounter", "TokenMethod", "estimate_tokens"]

TokenMethod = Literal["tokenizer", "estimate"]

# English text averages about 4 characters a token in BPE vocabularies; 3.5 errs on the
# side of over-counting, so a budget checked with the estimate is not exceeded in practice.
CHARS_PER_TOKEN = 3.5


def estimate_tokens(text: str) -> int:
    return math.ceil(len(text) / CHARS_PER_TOKEN)


class TokenCounter:
    """Counts with the pool's tokenizer; remembers when there is none and estimates from then on."""

    def __init__(self, pool: EnginePool) -> None:
        self._pool = pool
        self.method: TokenMethod = "tokenizer"

    async def count(self, text: str) -> int:
        if self.method == "tokenizer":
            counted = await self._pool.count_tokens(text)
            if counted is not None:
                return counted
            self.method = "estimate"
        return estimate_tokens(text)

    async def fit(self, text: str, budget: int) -> tuple[str, int]:
        """``text`` cut by ``localfn.sentences.cut`` until it fits ``budget``, with its count.

        ``text`` is taken as already by that rule (a reply through ``sentences.reply_text``):
        cutting it again would only repeat the work.
        """
        count = await self.count(text)
        while count > budget and text:
            # Aim at the budget with this text's own characters per token; each cut shortens it.
            text = cut(text, min(len(text) - 1, len(text) * budget // count))
            count = await self.count(text)
        return text, count
