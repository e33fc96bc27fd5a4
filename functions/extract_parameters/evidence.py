"""The user's message as evidence: its words and the numbers it states, read once per request.

Words are compared after a documented normalisation: Unicode compatibility forms folded
(NFKC), accents dropped, case ignored, punctuation treated as a space, and English
inflection ignored: each word is reduced to its Snowball (Porter2) stem, so "euros" is
"euro", "rated" and "rating" are "rate", "weekly" is "week". Nothing else is taken as the
same word: no synonyms, no spelling correction.

Numbers are the ones the message writes: digits with "," or "." or a space as thousands
separators ("1,500", "1.500", "1 500"), decimals ("87.5", "87,5"), digits inside a range or
before a unit ("10-20", "5km", "300€"), and numbers in words ("twenty-one", "a dozen",
see number_words). Digits that are part of a code ("BIO101", "S20417") are not numbers.
No arithmetic is done: "a week" is not 7, "2 x 3" is not 6.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache

from localfn.functions.extract_parameters.number_words import NUMBER_WORDS, parse_number

__all__ = ["Evidence", "words"]

_WORD = re.compile(r"[^\W_]+")
# A run of digits not glued to a letter before it (that would be a code), with the usual separators.
_DIGITS = re.compile(r"(?<![^\W\d_])(?<![\d.,])-?\d+(?:[,. ]\d{3})*(?:[.,]\d+)?")
_WHOLE = re.compile(r"-?(?:\d{1,3}(?:[ .,]\d{3})+|\d+)")
_LONGEST_NUMBER_IN_WORDS = 12  # "one thousand two hundred and thirty-four point five six": words


def words(text: str) -> list[str]:
    """``text`` as normalised words (see the module's rules)."""
    folded = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", text).casefold())
    plain = "".join(char for char in folded if not unicodedata.combining(char))
    stem = _stemmer()
    return [stem(word) if word.isalpha() else word for word in _WORD.findall(plain)]


@cache
def _stemmer() -> Callable[[str], str]:
    import snowballstemmer  # ~0.1 s: loaded on the first message grounded, not at start-up

    stem: Callable[[str], str] = snowballstemmer.stemmer("english").stemWord
    return stem


@dataclass(frozen=True)
class Evidence:
    """What a message says, in the forms grounding compares values with."""

    text: str
    words: tuple[str, ...] = field(init=False)
    numbers: frozenset[float] = field(init=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "words", tuple(words(self.text)))
        object.__setattr__(self, "numbers", frozenset(_digit_numbers(self.text) | _word_numbers(self.text)))

    def support(self, value: str) -> float:
        """The share of ``value``'s words that occur in the message (1.0: all of them; 0.0 also when it has none)."""
        wanted = words(value)
        if not wanted:
            return 0.0
        present = set(self.words)
        return sum(word in present for word in wanted) / len(wanted)

    def has_phrase(self, phrase: str) -> bool:
        """Whether ``phrase``'s words occur in the message one after another."""
        wanted = tuple(words(phrase))
        size = len(wanted)
        return size > 0 and any(self.words[start : start + size] == wanted for start in range(len(self.words) - size + 1))

    def states(self, number: float) -> bool:
        """Whether the message writes ``number`` (see the module's rules)."""
        return float(number) in self.numbers


def _digit_numbers(text: str) -> set[float]:
    """Each digit run read every way its separators allow: "1,500" is 1500, or 1.5 where "," is the decimal mark."""
    found: set[float] = set()
    for match in _DIGITS.finditer(text):
        raw = match.group()
        found |= _readings(raw)
        if " " in raw:  # "1 500" may also be two numbers, as in "rooms 1 500 and 2"
            found |= {number for part in raw.split() for number in _readings(part)}
    return found


def _readings(raw: str) -> set[float]:
    readings: set[float] = set()
    for decimal in (".", ","):
        whole, mark, fraction = raw.rpartition(decimal) if decimal in raw else (raw, "", "")
        if (mark and not fraction.isdigit()) or not _WHOLE.fullmatch(whole):
            continue
        digits = re.sub(r"[ .,]", "", whole)
        readings.add(float(f"{digits}.{fraction}" if mark else digits))
    return readings


def _word_numbers(text: str) -> set[float]:
    """The numbers runs of number words spell, each the longest that reads as one number
    ("one thousand two hundred" is 1200, not also 1, 1000 and 200)."""
    tokens = re.findall(r"[a-z]+", text.casefold())
    found: set[float] = set()
    start = 0
    while start < len(tokens):
        end = start
        while end < len(tokens) and end - start < _LONGEST_NUMBER_IN_WORDS and tokens[end] in NUMBER_WORDS:
            end += 1
        longest = next(
            ((stop, number) for stop in range(end, start, -1) if (number := parse_number(" ".join(tokens[start:stop]))) is not None),
            None,
        )
        if longest is None:
            start += 1
        else:
            start = longest[0]
            found.add(float(longest[1]))
    return found
