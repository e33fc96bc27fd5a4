"""The user's message as evidence: its words and the numbers it states, read once per request.

Words are compared after a documented normalisation: Unicode compatibility forms folded
(NFKC), accents dropped, case ignored, punctuation treated as a space, and English
inflection ignored: each word is reduced to its Snowball (Porter2) stem, so "euros" is
"euro", "rated" and "rating" are "rate", "weekly" is "week". Nothing else is taken as the
same word: no synonyms, no spelling correction.

Numbers are the ones the message writes: digits with "," or "." or a space as thousands
separators ("1,500", "1.500", "1 500"), decimals ("87.5", "87,5"), digits inside a range or
before a unit ("10-20", "5km", "300€"), and numbers in words ("twenty-one", "a dozen",
see number_words). Digits that are part of a code ("BIO101", "S20417") are not numbers, nor
are those of a date or a time written in figures or with a month's name ("2025" and "5" in
"2025-11-05" or "November 5, 2025", "15" in "15:00" or "3" in "3pm", see
temporal.written_spans): they are kept apart, as parts of a date, for the properties named
for one (grounding.py). No arithmetic is done: "a week" is not 7, "2 x 3" is not 6.

Evidence also says where: each word's and each number's place in the message (a ``Span`` of
character offsets), so grounding can tell one mention from two.
"""

from __future__ import annotations

import bisect
import re
import unicodedata
from collections import defaultdict
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import cache

from localfn.functions.extract_parameters.number_words import NUMBER_WORDS, parse_number
from localfn.functions.extract_parameters.temporal import Span, written_spans

__all__ = ["Evidence", "Span", "words"]

# A word as written: letters and digits, with any combining accents ("Mu\u0308ller" is one word).
_TOKEN = re.compile(r"(?:[^\W_][\u0300-\u036f]*)+")
_WORD = re.compile(r"[^\W_]+")
# A run of digits not glued to a letter before it (that would be a code), with the usual separators.
_DIGITS = re.compile(r"(?<![^\W\d_])(?<![\d.,])-?\d+(?:[,. ]\d{3})*(?:[.,]\d+)?")
_WHOLE = re.compile(r"-?(?:\d{1,3}(?:[ .,]\d{3})+|\d+)")
_LETTERS = re.compile(r"[a-z]+", re.IGNORECASE)
_LONGEST_NUMBER_IN_WORDS = 12  # "one thousand two hundred and thirty-four point five six": words


def words(text: str) -> list[str]:
    """``text`` as normalised words (see the module's rules)."""
    return [word for _, found in _words(text) for word in found]


def _words(text: str) -> Iterator[tuple[Span, list[str]]]:
    """Each word as written, where it is, and what it is after normalisation (usually one word; "½" is two)."""
    stem = _stemmer()
    for match in _TOKEN.finditer(text):
        folded = unicodedata.normalize("NFKD", unicodedata.normalize("NFKC", match.group()).casefold())
        plain = "".join(char for char in folded if not unicodedata.combining(char))
        yield match.span(), [stem(word) if word.isalpha() else word for word in _WORD.findall(plain)]


@cache
def _stemmer() -> Callable[[str], str]:
    import snowballstemmer  # ~0.1 s: loaded on the first message grounded, not at start-up

    stem: Callable[[str], str] = snowballstemmer.stemmer("english").stemWord
    return stem


@dataclass(frozen=True)
class Evidence:
    """What a message says, and where, in the forms grounding compares values with."""

    text: str
    words: tuple[str, ...] = field(init=False)
    places: tuple[Span, ...] = field(init=False)  # where each of ``words`` is written
    numbers: Mapping[float, tuple[Span, ...]] = field(init=False, compare=False)  # each number stated, where
    date_parts: Mapping[float, tuple[Span, ...]] = field(init=False, compare=False)  # numbers written inside a date or time

    def __post_init__(self) -> None:
        found = [(span, word) for span, normal in _words(self.text) for word in normal]
        object.__setattr__(self, "words", tuple(word for _, word in found))
        object.__setattr__(self, "places", tuple(span for span, _ in found))
        dates = written_spans(self.text)
        numbers: dict[float, list[Span]] = defaultdict(list)
        parts: dict[float, list[Span]] = defaultdict(list)
        for number, span in [*_digit_numbers(self.text), *_word_numbers(self.text)]:
            inside = any(start <= span[0] and span[1] <= end for start, end in dates)
            (parts if inside else numbers)[number].append(span)
        object.__setattr__(self, "numbers", {number: tuple(spans) for number, spans in numbers.items()})
        object.__setattr__(self, "date_parts", {number: tuple(spans) for number, spans in parts.items()})

    def support(self, value: str) -> float:
        """The share of ``value``'s words that occur in the message (1.0: all of them; 0.0 also when it has none)."""
        wanted = words(value)
        if not wanted:
            return 0.0
        present = set(self.words)
        return sum(word in present for word in wanted) / len(wanted)

    def phrase_spans(self, phrase: str) -> tuple[Span, ...]:
        """Where ``phrase``'s words occur in the message one after another, each place once."""
        wanted = tuple(words(phrase))
        size = len(wanted)
        if not size:
            return ()
        starts = (start for start in range(len(self.words) - size + 1) if self.words[start : start + size] == wanted)
        return tuple((self.places[start][0], self.places[start + size - 1][1]) for start in starts)

    def has_phrase(self, phrase: str) -> bool:
        """Whether ``phrase``'s words occur in the message one after another."""
        return bool(self.phrase_spans(phrase))

    def states(self, number: float) -> bool:
        """Whether the message writes ``number`` (see the module's rules)."""
        return float(number) in self.numbers

    def label(self, span: Span) -> tuple[str, Span] | None:
        """The word written right after ``span``, apart only by spaces or a hyphen, and where ("guest" of
        "3 guests" or "3-guest"); None when another sign comes first ("40%, quizzes"), at the end, or when
        ``span`` ends inside a word ("5" of "5km")."""
        after = bisect.bisect_left(self.places, span[1], key=lambda place: place[0])
        if after == len(self.places) or (after and self.places[after - 1][1] > span[1]):
            return None
        if self.text[span[1] : self.places[after][0]].strip(" -"):
            return None
        return self.words[after], self.places[after]

    def beside(self, span: Span, reach: int) -> set[str]:
        """The words within ``reach`` words before or after ``span``, not counting its own."""
        first = bisect.bisect_left(self.places, span[0], key=lambda place: place[1])
        last = bisect.bisect_left(self.places, span[1], key=lambda place: place[0])
        return {*self.words[max(0, first - reach) : first], *self.words[last : last + reach]}


def _digit_numbers(text: str) -> Iterator[tuple[float, Span]]:
    """Each digit run read every way its separators allow: "1,500" is 1500, or 1.5 where "," is the decimal mark."""
    for match in _DIGITS.finditer(text):
        raw = match.group()
        for number in _readings(raw):
            yield number, match.span()
        if " " in raw:  # "1 500" may also be two numbers, as in "rooms 1 500 and 2"
            for part in re.finditer(r"\S+", raw):
                span = (match.start() + part.start(), match.start() + part.end())
                for number in _readings(part.group()):
                    yield number, span


def _readings(raw: str) -> set[float]:
    readings: set[float] = set()
    for decimal in (".", ","):
        whole, mark, fraction = raw.rpartition(decimal) if decimal in raw else (raw, "", "")
        if (mark and not fraction.isdigit()) or not _WHOLE.fullmatch(whole):
            continue
        digits = re.sub(r"[ .,]", "", whole)
        readings.add(float(f"{digits}.{fraction}" if mark else digits))
    return readings


def _word_numbers(text: str) -> Iterator[tuple[float, Span]]:
    """The numbers runs of number words spell, each the longest that reads as one number
    ("one thousand two hundred" is 1200, not also 1, 1000 and 200)."""
    tokens = list(_LETTERS.finditer(text))
    spelled = [token.group().casefold() for token in tokens]
    start = 0
    while start < len(tokens):
        end = start
        while end < len(tokens) and end - start < _LONGEST_NUMBER_IN_WORDS and spelled[end] in NUMBER_WORDS:
            end += 1
        longest = next(
            ((stop, number) for stop in range(end, start, -1) if (number := parse_number(" ".join(spelled[start:stop]))) is not None),
            None,
        )
        if longest is None:
            start += 1
        else:
            yield float(longest[1]), (tokens[start].start(), tokens[longest[0] - 1].end())
            start = longest[0]
