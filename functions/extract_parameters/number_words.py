"""Numbers written out as text: digits with thousands separators, or English words.

Only a whole string that reads as one number is turned into it ("1,500", "twenty-five",
"one thousand two hundred and fifty", "eighty-eight point five", "nineteen and a half",
"a dozen", "two dozen");
anything else ("about 20", "25 minutes") is left alone, so nothing is guessed.
"""

from __future__ import annotations

import re

__all__ = ["NUMBER_WORDS", "parse_number"]

_DIGITS = re.compile(r"[+-]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?")
_UNITS = {
    word: value
    for value, word in enumerate(
        "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen "
        "sixteen seventeen eighteen nineteen".split()
    )
}
_TENS = {word: 10 * (index + 2) for index, word in enumerate("twenty thirty forty fifty sixty seventy eighty ninety".split())}
_SCALES = {"thousand": 1_000, "million": 1_000_000, "billion": 1_000_000_000}
_HALF = ("and", "a", "half")
# Every word a number in words can hold: where a spelled-out number may start or go on.
NUMBER_WORDS = frozenset({*_UNITS, *_TENS, *_SCALES, "hundred", "dozen", "a", "an", "and", "half", "point", "minus"})


def parse_number(text: str) -> int | float | None:
    """The number ``text`` spells, or None when it is not exactly one number."""
    text = text.strip()
    if _DIGITS.fullmatch(text):
        plain = text.replace(",", "")
        return float(plain) if "." in plain else int(plain)
    words = re.split(r"[\s-]+", text.lower())
    negative = words[:1] == ["minus"]
    number = _words(words[1:] if negative else words)
    if number is None:
        return None
    return -number if negative else number


def _words(words: list[str]) -> int | float | None:
    fraction = 0.0
    if tuple(words[-3:]) == _HALF:
        words, fraction = words[:-3], 0.5
    elif "point" in words:
        split = words.index("point")
        digits = [_UNITS.get(word) for word in words[split + 1 :]]
        if not digits or any(d is None or d > 9 for d in digits):
            return None
        words, fraction = words[:split], float("0." + "".join(str(d) for d in digits))
    whole = _integer(words)
    if whole is None:
        return None
    return whole + fraction if fraction else whole


def _integer(words: list[str]) -> int | None:
    """An integer in words: "one thousand two hundred and fifty", "a hundred", "forty-five", "a dozen"."""
    if not words:
        return None
    total = current = 0
    previous = ""
    scale: int | None = None  # the last "thousand"/"million" seen: later ones must be smaller
    for index, word in enumerate(words):
        if word in _UNITS and previous not in _UNITS:
            current += _UNITS[word]
        elif word in _TENS and previous not in _UNITS and previous not in _TENS:
            current += _TENS[word]
        elif word in ("a", "an") and index == 0 and words[1:2] and words[1] in ("hundred", "dozen", *_SCALES):
            current = 1
        elif word == "hundred" and previous != "hundred" and current < 10:
            current = max(current, 1) * 100
        elif word == "dozen" and previous not in ("hundred", "dozen", *_SCALES) and current < 100:
            current = max(current, 1) * 12
        elif word in _SCALES and previous not in _SCALES and (scale is None or _SCALES[word] < scale):
            scale = _SCALES[word]
            total += max(current, 1) * scale
            current = 0
        elif word == "and" and previous in ("hundred", *_SCALES) and index + 1 < len(words):
            continue
        else:
            return None
        previous = word
    return total + current
