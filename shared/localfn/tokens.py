"""Counting tokens: the engine's own tokenizer where it has one, an estimate otherwise."""

from __future__ import annotations

import math
import re
from typing import Literal

from localfn.engine.pool import EnginePool

__all__ = ["TokenCounter", "TokenMethod", "estimate_tokens", "trim_to_sentences"]

TokenMethod = Literal["tokenizer", "estimate"]

# English text averages about 4 characters a token in BPE vocabularies; 3.5 errs on the
# side of over-counting, so a budget checked with the estimate is not exceeded in practice.
CHARS_PER_TOKEN = 3.5

# A sentence ends at . ! or ? plus any closing quotes or brackets, before white space.
_SENTENCE_END = re.compile(r"[.!?][\"')\]]*(?=\s)")


def estimate_tokens(text: str) -> int:
    return math.ceil(len(text) / CHARS_PER_TOKEN)


def trim_to_sentences(text: str) -> str:
    """``text`` without its last sentence (or its last word, when it is one sentence)."""
    ends = [match.end() for match in _SENTENCE_END.finditer(text.rstrip())]
    if ends:
        return text[: ends[-1]].rstrip()
    return text.rsplit(maxsplit=1)[0] if " " in text.strip() else ""


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
        """``text`` cut at sentence ends until it fits ``budget``, with its count."""
        count = await self.count(text)
        while count > budget and text:
            text = trim_to_sentences(text)
            count = await self.count(text)
        return text, count
