"""Sentences: where a text with a limit is cut, and how a model stuck repeating itself is seen.

One rule for every text with a limit (a summary's token budget, a badge's criteria, an
answer the engine stopped at its token limit), applied by ``cut``:

* a sentence said again is dropped wherever it comes, consecutively or not: the first copy
  stays ("A. B. A. B." -> "A. B."). Sentences are compared by their words, ignoring case,
  spacing and end punctuation; ones shorter than ``MIN_REPEAT_CHARS`` ("Yes.") may repeat;
* a text over the limit ends at the last sentence end within the limit; where the limit
  holds none, at the last word end (without a dangling ",;:-"); never inside a word. Only
  one word longer than the limit (a URL; a language written without spaces) is cut between
  two characters, never inside a combined character (an accent, an emoji sequence);
* a text that was stopped rather than finished (``cut_off``: the engine's token limit, a
  schema's maxLength) may end mid-word, so its unfinished last sentence is dropped the
  same way, or its last word when it holds no sentence end.

A sentence ends at ``. ! ? …`` (plus closing quotes or brackets) before white space or the
end of the text, or at ``。！？`` (languages written without spaces). ``RepeatWatch`` applies
the same comparison to text as it streams, so an engine can stop reading a model that loops.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter

from localfn.engine.base import ChatResult

__all__ = ["LOOPED", "LOOP_REPEATS", "MIN_REPEAT_CHARS", "RepeatWatch", "collapse_repeats", "cut", "cut_string", "reply_text"]

# Three copies of one sentence is a loop: two can be a model restating a point.
LOOP_REPEATS = 3
# ChatResult.finish_reason of a reply whose stream was stopped because it looped.
LOOPED = "loop"
# Shorter sentences ("Yes.", "See above.") repeat legitimately.
MIN_REPEAT_CHARS = 12

_CLOSERS = "\"')\\]»”’"
_SENTENCE_END = re.compile(rf"[.!?…][{_CLOSERS}]*(?=\s|$)|[。！？][{_CLOSERS}]*")
_SPACE = re.compile(r"\s+")
# Characters that belong to the one before them: a cut must not fall just before them.
_JOINERS = frozenset("\u200d\ufe0e\ufe0f")


def _key(sentence: str) -> str | None:
    """What two copies of a sentence share, or None for a sentence too short to count."""
    key = " ".join(sentence.casefold().split()).rstrip(f".!?…。！？{_CLOSERS}")
    return key if len(key) >= MIN_REPEAT_CHARS else None


def collapse_repeats(text: str) -> str:
    """``text`` with every sentence said before dropped (the first copy stays where it is)."""
    kept: list[str] = []
    seen: set[str] = set()
    start = 0
    for match in _SENTENCE_END.finditer(text):
        piece = text[start : match.end()]
        key = _key(piece)
        if key is None or key not in seen:
            kept.append(piece)
        if key is not None:
            seen.add(key)
        start = match.end()
    kept.append(text[start:])
    return "".join(kept)


def cut(text: str, limit: int | None = None, *, cut_off: bool = False) -> str:
    """``text`` (stripped, repeats collapsed) within ``limit`` characters, by the module's rule.

    ``cut_off`` says the text was stopped rather than finished, so its end is no boundary.
    """
    text = collapse_repeats(text).strip()
    limit = len(text) if limit is None else limit
    if len(text) <= limit and not cut_off:
        return text
    sentence_ends = [match.end() for match in _SENTENCE_END.finditer(text) if match.end() <= limit]
    if sentence_ends:
        return text[: sentence_ends[-1]]
    word_ends = [match.start() for match in _SPACE.finditer(text) if match.start() <= limit]
    if word_ends:
        return text[: word_ends[-1]].rstrip(",;:-–— ")
    return _cut_characters(text, limit)


def _cut_characters(text: str, limit: int) -> str:
    """One word cut between characters: never before a combining mark or a joiner, nor after a joiner."""
    while 0 < limit < len(text) and (
        unicodedata.category(text[limit]).startswith("M") or text[limit] in _JOINERS or text[limit - 1] == "\u200d"
    ):
        limit -= 1
    return text[:limit]


def cut_string(text: str, max_length: int, limit: int | None = None) -> str:
    """A string of a schema-constrained reply, by the rule. Decoding closes a string that reaches
    its ``max_length`` (the schema's maxLength) wherever it is: one that long counts as cut off."""
    return cut(text, limit, cut_off=len(text) >= max_length)


def reply_text(result: ChatResult) -> str:
    """An engine's text reply by the rule; one stopped at its token limit ends at its last finished sentence."""
    return cut(result.content, cut_off=result.finish_reason == "length")


class RepeatWatch:
    """Reads text as it streams and says when one sentence has come ``LOOP_REPEATS`` times.

    A sentence is counted once the white space after its end has arrived: "3." may yet
    become "3.5".
    """

    def __init__(self) -> None:
        self._pending = ""  # the text after the last sentence counted
        self._counts: Counter[str] = Counter()

    def feed(self, piece: str) -> bool:
        """Take the next piece of text; True once the model is looping."""
        self._pending += piece
        start = 0
        for match in _SENTENCE_END.finditer(self._pending):
            if match.end() == len(self._pending) and not match.group().startswith(tuple("。！？")):
                break
            key = _key(self._pending[start : match.end()])
            start = match.end()
            if key is not None:
                self._counts[key] += 1
                if self._counts[key] >= LOOP_REPEATS:
                    return True
        self._pending = self._pending[start:]
        return False
