"""Dates and times: resolved by the product from the message's words, never taken from the model.

A string property is a date, a date-time or a time when its ``format`` says so, or when its
``pattern`` accepts an ISO 8601 example of one ("2025-01-31", "2025-01-31T14:30:00",
"14:30"). For such a property the model copies the words of the message ("tomorrow
evening", "12 March 2025 at 14:30"); dateparser reads them relative to the request's
``reference_time`` in its ``timezone``, preferring the future for a day without a year or
week ("Friday", "3 March"). The result is written in the first form the property's schema
accepts. A model that writes a date itself is believed only when the message mentions that
same date (time, or both) somewhere.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from jsonschema import Draft202012Validator

__all__ = ["Clock", "Kind", "kind_of", "mentioned", "resolve", "same", "written"]

Kind = Literal["date", "date-time", "time"]

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
    """Every date or time phrase the message holds, with what it means at ``clock``."""
    from dateparser.search import search_dates

    return list(search_dates(message, languages=["en"], settings=clock.settings()) or [])


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
        forms = [moment.strftime("%H:%M"), moment.strftime("%H:%M:%S"), moment.isoformat(timespec="seconds")[11:]]  # the last with its offset
    else:
        plain = moment.replace(tzinfo=None)
        forms = [moment.isoformat(timespec="seconds"), plain.isoformat(timespec="seconds"), plain.isoformat(timespec="minutes"), plain.strftime("%Y-%m-%d %H:%M")]
    validator = Draft202012Validator(schema, format_checker=Draft202012Validator.FORMAT_CHECKER)
    return next((form for form in forms if validator.is_valid(form)), None)
