"""Dates and times: resolved by the product from the message's words, never taken from the model.

A string property is a date, a date-time or a time when its ``format`` says so, or when its
``pattern`` accepts an ISO 8601 example of one ("2025-01-31", "2025-01-31T14:30:00",
"14:30"). For such a property the model copies the words of the message ("tomorrow
evening", "12 March 2025 at 14:30"); dateparser reads them relative to the request's
``reference_time`` in its ``timezone``, preferring the future for a day without a year or
week ("Friday", "3 March"). The result is written in the first form the property's schema
accepts. A model that writes a date itself is believed only when the message mentions that
same date (time, or both; a date-time may take its date and its time from two phrases, as
in "on 3 April from 10:00 to 11:30") somewhere: a phrase of up to six words that holds a
month or day name, a relative word ("tomorrow", "next", "ago", "evening", "pm") or digits
with a date or time separator ("2025-04-03", "11:30"), and that dateparser reads. A bare
number is never a date ("Lab 3" is not the 3rd).

Where a message writes a date or a time with figures (``written_spans``: "2025-11-05",
"05/11/2025", "15:00", "3pm", "November 5, 2025", "5th of Nov"), those figures are the date's,
not numbers of their own (evidence.py), and a date is read whole: words of the model's that
are part of one ("March 3" of "March 3, 2026", "11" of "11:30") are read as all of it
(``whole``), and a phrase that holds part of one is no mention of its own ("March 3" of
"March 3, 2026" does not mention the next March 3). A phrase that gives only a time ("11:30",
"at noon", ``time_only``) names no day; a phrase states a time when it holds one in figures
or a time of day ("noon", "evening", ``states_time``): "2025-04-03" alone is no mention of
midnight, nor "tomorrow" of the hour it is now.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from localfn.jsonschemas import validator

__all__ = [
    "Clock",
    "Kind",
    "Span",
    "kind_of",
    "mentioned",
    "resolve",
    "same",
    "states_time",
    "time_only",
    "whole",
    "written",
    "written_spans",
]

Kind = Literal["date", "date-time", "time"]
Span = tuple[int, int]  # where in the message: the offsets of its first character and of the one after its last

_MARKER = re.compile(
    r"\d{1,4}[-/.:]\d{1,2}|\d(?:am|pm|st|nd|rd|th)\b|\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|mon|tue|wed|thu|fri|sat|sun)"
    r"|\b(?:today|tonight|tomorrow|yesterday|next|last|ago|noon|midnight|morning|afternoon|evening|am|pm|days?|weeks?|months?|years?)\b",
    re.IGNORECASE,
)
_LONGEST_PHRASE = 6  # words
_MONTH = (
    r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?"
    r"|sep(?:t(?:ember)?)?|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?"
)
_DAY = r"\d{1,2}(?:st|nd|rd|th)?"
_CLOCK_TIME = r"\d{1,2}(?::\d{2}){1,2}(?:\s?[ap]\.?m\b\.?)?|\d{1,2}\s?[ap]\.?m\b\.?"  # 15:00, 9:30 am, 3pm, 3 p.m.
_TIME_OF_DAY = r"noon|midnight|morning|afternoon|evening|night"
_STATES_TIME = re.compile(rf"(?<![\w.,])(?:{_CLOCK_TIME})(?!\w)|\b(?:{_TIME_OF_DAY}|tonight)\b", re.IGNORECASE)
_TIME_ONLY = re.compile(rf"(?:(?:at|in\s+the)\s+)?(?:{_CLOCK_TIME}|{_TIME_OF_DAY})", re.IGNORECASE)
# Dates and times written with figures; each alternative whole, so "2025" of "November 5, 2025" is inside.
_WRITTEN = re.compile(
    r"(?<![\w.,])(?:"
    r"\d{4}-\d{1,2}-\d{1,2}(?:[T ]\d{1,2}:\d{2}(?::\d{2})?)?"  # 2025-11-05, 2025-11-05T15:00
    r"|\d{1,2}[/.]\d{1,2}[/.]\d{2,4}"  # 05/11/2025, 5.11.25
    rf"|{_CLOCK_TIME}"
    rf"|{_DAY}\s+(?:of\s+)?{_MONTH}(?:,?\s+\d{{4}})?"  # 5 November 2025, 5th of Nov
    rf"|\b{_MONTH}\s+{_DAY}(?:,?\s+\d{{4}})?"  # November 5, 2025
    rf"|\b{_MONTH}\s+\d{{4}}"  # November 2025
    r")(?![\w])",
    re.IGNORECASE,
)
_EXAMPLES: dict[Kind, tuple[str, ...]] = {
    "date-time": ("2025-01-31T14:30:00Z", "2025-01-31T14:30:00", "2025-01-31T14:30", "2025-01-31 14:30"),
    "date": ("2025-01-31",),
    "time": ("14:30", "14:30:00", "14:30:00Z"),
}


@dataclass(frozen=True)
class Clock:
    """The moment relative dates are read from: the request's reference_time, in its timezone."""

    now: datetime  # timezone-aware
    timezone: str  # IANA name, e.g. "Europe/Lisbon"

    def settings(self) -> dict[str, Any]:
        return {
            "RELATIVE_BASE": self.now.replace(tzinfo=None),
            "TIMEZONE": self.timezone,
            "RETURN_AS_TIMEZONE_AWARE": True,
            "PREFER_DATES_FROM": "future",
        }


def kind_of(schema: dict[str, Any]) -> Kind | None:
    """Whether a string property holds a date, a date-time or a time (see the module's rules)."""
    if schema.get("format") in _EXAMPLES:
        kind: Kind = schema["format"]
        return kind
    pattern = schema.get("pattern")
    if not isinstance(pattern, str):
        return None
    try:
        accepts = re.compile(pattern).search
    except re.error:
        return None
    return next((kind for kind, examples in _EXAMPLES.items() if any(accepts(example) for example in examples)), None)


def resolve(phrase: str, clock: Clock) -> datetime | None:
    """What ``phrase`` means at ``clock``, or None when dateparser cannot read it as a date or time."""
    import dateparser  # ~0.6 s with its language data: loaded on the first date read, not at start-up

    return dateparser.parse(phrase, languages=["en"], settings=clock.settings())


def mentioned(message: str, clock: Clock) -> list[tuple[str, datetime]]:
    """Every date or time phrase the message holds (see the module's rules), with what it means at
    ``clock``; of phrases that mean the same, the shortest."""
    found = list(re.finditer(r"\S+", message))
    tokens = [token.group().strip(",;!?()\"'") for token in found]
    dates = written_spans(message)
    readings: dict[datetime, str] = {}
    for start in range(len(tokens)):
        for stop in range(start + 1, min(len(tokens), start + _LONGEST_PHRASE) + 1):
            phrase = " ".join(tokens[start:stop]).rstrip(".")
            where = (found[start].start(), found[stop - 1].end())
            if not _MARKER.search(phrase) or any(_overlap(where, date) and not _within(date, where) for date in dates):
                continue  # no date word, or part of a date written whole ("March 3" of "March 3, 2026")
            meant = resolve(phrase, clock)
            if meant is not None and len(phrase) < len(readings.get(meant, phrase + " ")):
                readings[meant] = phrase
    return [(phrase, meant) for meant, phrase in readings.items()]


def same(kind: Kind, one: datetime, other: datetime) -> bool:
    """Whether two moments agree on what a ``kind`` property holds."""
    if kind == "date":
        return one.date() == other.date()
    if kind == "time":
        return (one.hour, one.minute) == (other.hour, other.minute)
    return one == other  # both timezone-aware: dateparser returns them so


def written(moment: datetime, kind: Kind, schema: dict[str, Any]) -> str | None:
    """``moment`` in the first ISO 8601 form ``schema`` accepts, or None when it accepts none."""
    if kind == "date":
        forms = [moment.date().isoformat()]
    elif kind == "time":
        forms = [
            moment.strftime("%H:%M"),
            moment.strftime("%H:%M:%S"),
            moment.isoformat(timespec="seconds")[11:],
        ]  # the last with its offset
    else:
        plain = moment.replace(tzinfo=None)
        forms = [
            moment.isoformat(timespec="seconds"),
            plain.isoformat(timespec="seconds"),
            plain.isoformat(timespec="minutes"),
            plain.strftime("%Y-%m-%d %H:%M"),
        ]
    judge = validator(schema, formats=True)
    return next((form for form in forms if judge.is_valid(form)), None)


def states_time(phrase: str) -> bool:
    """Whether ``phrase`` gives a time of day: in figures ("11:30", "3pm") or in words ("noon", "evening")."""
    return bool(_STATES_TIME.search(phrase))


def time_only(phrase: str) -> bool:
    """Whether ``phrase`` gives a time and no day ("11:30", "at 3pm", "in the evening")."""
    return bool(_TIME_ONLY.fullmatch(phrase.strip().rstrip(".")))


def whole(message: str, span: Span) -> Span:
    """``span`` widened to every date or time written with figures that it overlaps (see the module's
    rules): "March 3" of "on March 3, 2026" is read as "March 3, 2026"."""
    start, end = span
    for date in written_spans(message):
        if _overlap(span, date):
            start, end = min(start, date[0]), max(end, date[1])
    return start, end


def written_spans(message: str) -> list[Span]:
    """Where ``message`` writes a date or a time with figures (see the module's rules), as character offsets."""
    return [match.span() for match in _WRITTEN.finditer(message)]


def _overlap(one: Span, other: Span) -> bool:
    return one[0] < other[1] and other[0] < one[1]


def _within(inner: Span, outer: Span) -> bool:
    return outer[0] <= inner[0] and inner[1] <= outer[1]
