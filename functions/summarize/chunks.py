"""Cutting a long text into pieces that each fit one model call."""

from __future__ import annotations

import re

from localfn.tokens import CHARS_PER_TOKEN

__all__ = ["split_text"]

_PARAGRAPHS = re.compile(r"\n\s*\n")
_SENTENCES = re.compile(r"(?<=[.!?])\s+")


def split_text(text: str, max_tokens: int, chars_per_token: float = CHARS_PER_TOKEN) -> list[str]:
    """Consecutive chunks of about ``max_tokens``, cut at paragraph, then sentence, then word ends.

    Sizes are in characters, ``max_tokens * chars_per_token``: callers that counted the text
    with the engine's tokenizer pass the ratio they measured, others get the estimate's.
    """
    limit = max(1, int(max_tokens * chars_per_token))
    if len(text) <= limit:
        return [text]
    pieces = [piece for para in _PARAGRAPHS.split(text) for piece in _pieces(para.strip(), limit) if piece]
    chunks: list[str] = []
    current = ""
    for piece in pieces:
        candidate = f"{current}\n\n{piece}" if current else piece
        if len(candidate) <= limit:
            current = candidate
        else:
            chunks.append(current)
            current = piece
    if current:
        chunks.append(current)
    return [chunk for chunk in chunks if chunk]


def _pieces(paragraph: str, limit: int) -> list[str]:
    """A paragraph as parts no longer than ``limit``: itself, its sentences, or runs of words."""
    if len(paragraph) <= limit:
        return [paragraph]
    parts: list[str] = []
    for sentence in _SENTENCES.split(paragraph):
        if len(sentence) <= limit:
            parts.append(sentence)
            continue
        words: list[str] = []
        size = 0
        for word in _slices(sentence.split(), limit):
            if words and size + 1 + len(word) > limit:
                parts.append(" ".join(words))
                words, size = [], 0
            size += len(word) + (1 if words else 0)
            words.append(word)
        parts.append(" ".join(words))
    return parts


def _slices(words: list[str], limit: int) -> list[str]:
    """Words no longer than ``limit``: a longer one (a URL, a base64 blob) is cut into slices, none lost."""
    return [word[start : start + limit] for word in words for start in range(0, len(word), limit)]
