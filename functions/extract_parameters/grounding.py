"""Grounding: every argument value checked against the user's message, by the product, not the model.

Each value the model returns must be supported by the message (see evidence.py for how
words and numbers are read):

* a number must be one the message writes, in digits or in words; nothing is computed. The
  figures of a date or a time ("2025" of "2025-11-05" or "November 5, 2025", "15" of "15:00")
  and the digits of a code ("101" of "BIO101") are not numbers on their own: they ground
  only a property named for that part of a date (a name word ``year``, ``month``, ``day``,
  ``hour``, ``minute`` or ``second``: "start_year", not "duration_minutes" or "days");
* a date, date-time or time is resolved from the message's own words (temporal.py): words the
  model copies are read as the whole date or time they are part of ("March 3" of "March 3,
  2026" is 2026-03-03, "11" of "11:30" is 11:30), a time copied alone takes the one day the
  message names (several: the value is dropped, naming them), a date-time or a time needs a
  phrase that gives a time ("2025-04-03" alone is no midnight), and one the model wrote
  itself stands only when its day is one the message names and its time one the message
  gives ("2025-04-03 11:00" is refused where the message says "from 10:00 to 11:30");
* a currency, country or language code must be named by the message (codes.py); a
  property is taken to hold codes when its name or description says which kind, or its
  schema has a ``pattern`` and the value is such a code; in a property that says it holds
  codes, two or three letters that are no code of its kind stand only as the message writes
  them, case included ("UK" for "the UK", not "ANA" for "Ana Silva");
* an enum value needs the value itself ("store_credit": "store credit"), one of its
  synonyms (``SYNONYMS``, or the property's own ``x-synonyms``: {"value": ["phrase", ...]})
  in the message, or to be the property's ``default``; without any, its evidence is weak
  (the model chose it from a closed list, by meaning: kept, flagged, in ``lenient`` mode);
* an identifier (a property named ``id`` or ``code``, or ending so: "student_id", "student_ids",
  "courseCode"; or one with a ``pattern`` or a ``format``) needs a value that looks like
  one: it holds a digit ("S12345", "Room 204"), is one word in capitals ("LIS", "HR"), or
  matches the property's ``pattern``/``format``. A person's name or a phrase ("Priya Shah")
  is not an identifier, whatever the message says;
* any other string needs all its words in the message; with half of them or more the
  evidence is weak (kept, flagged, in ``lenient`` mode);
* a placeholder is refused (``{{summary}}``, "string", "example", "N/A", "TBD", a run of
  sequential or repeated digits such as "123456789") unless the message says exactly that;
* true and false need a word of their property's name in the message (its stem starting a
  word: "audit_only" by "auditor", "gift_wrap" by "gift-wrapped"); without one the
  evidence is weak, since a message often says them by meaning ("let everyone know").

One mention, one value: a place in the message supports one argument, unless the message
repeats the value ("2 adults and 2 children" supports two 2s; "for 2 guests" one). Numbers,
dates, times, enum values by their own words (a synonym may stand for several: "weekdays"),
identifiers and strings whose words stand together in the message each claim the places
that say them; claims to the same place (the same words: a surname inside a full name is
another place) are settled in this order:

1. the property whose schema says most closely what it holds: a date, date-time or time,
   then a number, an enum, an identifier, and last free text: "2025-11-05" is the
   ``date``'s, not the ``room``'s; "87.5" the ``score``'s, not the ``assignment_id``'s;
2. a property whose name or description, or that of a property around it (the list or the
   object it is in), has a word of four letters or more among the three words either side
   of the mention: "for 2 guests" is ``guests``', not ``max_price``'s; "Enrol S1001" is
   ``student_ids``' ("Student IDs to enrol"), not ``course_code``'s;
3. the order the schema declares the properties in, and a list's items in their order:
   "on 2025-09-14" is ``departure_date``'s before ``return_date``'s.

A number labelled by the name of another number property is that property's: "3 guests"
does not support ``rooms``, and "2 adults" does not support ``children`` (the reason names
the property the label points to). The label is the word right after the number, apart
only by spaces or a hyphen ("3 guests", "3-guest"; not "40%, quizzes"). A property is named
by the last word of its name ("guests", "num_guests": guest; "duration_minutes": minute), or
for a rate by the word before "per" ("max_price_per_night": price, since "5 nights" is no
price), compared as the message's words are (case, inflection, "_" and camelCase as spaces).
A label that is any word of the value's own property's name ("guest_count" and "3 guests")
takes nothing from it, nor does one that names no number property ("3 people").

Each value gets a place of its own when one is free (values are matched to places, the
first in this order first); the others are dropped, naming the value that holds the place.
So a list that applies one mention to several items ("Ana and Rui, both in BIO101", as two
items each with the course) keeps it in the first item only: the others are missing, not
guessed.

A value without evidence is not returned: the caller drops it (a required one is then
missing) and lists it, with its reason, as ``ungrounded``.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass, replace
from datetime import date, datetime
from functools import cached_property
from typing import Any, Literal

from localfn.functions.extract_parameters import codes, temporal
from localfn.functions.extract_parameters.evidence import Evidence, Span, words
from localfn.functions.extract_parameters.subschemas import item_schema, property_schema, resolve
from localfn.jsonschemas import validator

__all__ = ["SYNONYMS", "Finding", "Grounded", "Mode", "ground"]

Mode = Literal["strict", "lenient", "off"]

# Synonyms of common enum values that hold whatever the function; a schema adds its own with x-synonyms.
SYNONYMS: dict[str, tuple[str, ...]] = {
    "celsius": ("°C", "centigrade"),
    "fahrenheit": ("°F",),
    "asc": ("ascending", "oldest first", "lowest first"),
    "desc": ("descending", "newest first", "latest first", "highest first"),
    "in_person": ("face to face", "on site"),
    **{day[:3]: (day, "weekday") for day in ("monday", "tuesday", "wednesday", "thursday", "friday")},
    **{day[:3]: (day, "weekend") for day in ("saturday", "sunday")},
}
_TEMPLATE = re.compile(r"\{\{.*?\}\}|\$\{.*?\}|<[A-Za-z_ ]+>|\[[A-Z_ ]+\]")
_PLACEHOLDER_WORDS = frozenset(
    {"string", "example", "n/a", "tbd", "tba", "todo", "null", "none", "unknown", "placeholder", "xxx", "lorem ipsum", "..."}
)
_DIGIT_RUN = 5  # "12345" or "00000" and longer is a placeholder
_CAMEL = re.compile(r"([a-z])([A-Z])")
_NAMING_STEM = 4  # shorter stems of a property's name or description ("is", "to", "for") are too common to be evidence
_FITS = ("text", "identifier", "enum", "number", "moment")  # how closely a schema says what it holds, loosest first
_REACH = 3  # words either side of a mention that may name the property it belongs to
_DATE_PARTS = frozenset({"year", "month", "day", "hour", "minute", "second"})
_IDENTIFIER_WORDS = frozenset({"id", "ids", "code", "codes"})  # "ids": a list of them
_CAPITALS = re.compile(r"[A-Z][A-Z0-9_-]+")
_LISTED = 5  # date phrases quoted back to the model when its date is not the message's


@dataclass(frozen=True)
class Finding:
    """A value the message does not support: where, what the model said, why; weak when some evidence exists."""

    field: str
    value: Any
    reason: str
    weak: bool = False

    def kept(self, mode: Mode) -> bool:
        """Whether the value stays in the arguments, flagged: only weak evidence in lenient mode."""
        return mode == "off" or (mode == "lenient" and self.weak)


@dataclass(frozen=True)
class Grounded:
    arguments: dict[str, Any]  # the grounded values, dates resolved; the others dropped or (lenient) kept
    findings: list[Finding]  # every value without full evidence, dropped or kept

    def dropped(self, mode: Mode) -> list[Finding]:
        return [finding for finding in self.findings if not finding.kept(mode)]


@dataclass(frozen=True)
class _Verdict:
    value: Any  # the value to return: the model's, or the product's own reading of its phrase
    reason: str | None = None  # why the message does not support it; None when it does
    weak: bool = False
    places: tuple[Span, ...] = ()  # where the message says it, when it does
    fit: str = "text"  # what its schema says it holds, one of _FITS: the closer, the earlier it gets a place


@dataclass
class _Leaf:
    """One scalar of the arguments: what the model said, the verdict on it, and what ranks its claim to a place."""

    said: Any
    verdict: _Verdict
    where: _Where


@dataclass(frozen=True)
class _Where:
    """Where a value sits: its path ("passengers/adults"), the property holding it, where the schema
    declares it (and its item's place in a list), and the names and descriptions around it."""

    path: str = ""
    key: str = ""
    order: tuple[int, ...] = ()
    naming: str = ""

    def property(self, name: str, declared: list[str], naming: str) -> _Where:
        index = declared.index(name) if name in declared else len(declared)  # undeclared ones after the rest
        return _Where(_join(self.path, name), name, (*self.order, index), f"{naming} {name}")

    def item(self, index: int, naming: str) -> _Where:
        return _Where(_join(self.path, index), self.key, (*self.order, index), naming)


def ground(arguments: dict[str, Any], parameters: dict[str, Any], evidence: Evidence, clock: temporal.Clock, mode: Mode) -> Grounded:
    """``arguments`` with each value checked against the message; dates and times resolved."""
    checker = _Checker(parameters, evidence, clock, mode)
    checker.value(arguments, parameters, _Where())  # the first walk judges every scalar
    checker.one_mention_each()
    grounded = checker.value(arguments, parameters, _Where())  # the second applies the verdicts
    findings = [
        Finding(path, leaf.said, leaf.verdict.reason, leaf.verdict.weak) for path, leaf in checker.leaves.items() if leaf.verdict.reason
    ]
    return Grounded(grounded, findings)


_DROP = object()


class _Checker:
    """One grounding: the message, the clock and the mode it checks by, and the verdict on each scalar."""

    def __init__(self, root: dict[str, Any], evidence: Evidence, clock: temporal.Clock, mode: Mode) -> None:
        self.root = root
        self.evidence = evidence
        self.clock = clock
        self.mode = mode
        self.leaves: dict[str, _Leaf] = {}  # by path, in the order of the arguments
        self.labels = _labels(root)

    def value(self, value: Any, schema: Any, where: _Where) -> Any:
        """``value`` grounded, or ``_DROP``; objects and arrays are grounded item by item. Each scalar is
        judged the first time it is seen."""
        schema = resolve(schema, self.root)
        naming = f"{where.naming} {schema.get('description', '')}"
        if isinstance(value, dict):
            declared = list(schema.get("properties") or ())
            entries = (
                (name, self.value(item, property_schema(schema, name), where.property(name, declared, naming)))
                for name, item in value.items()
            )
            return {name: item for name, item in entries if item is not _DROP}
        if isinstance(value, list):
            items = (self.value(item, item_schema(schema, index), where.item(index, naming)) for index, item in enumerate(value))
            kept = [item for item in items if item is not _DROP]
            # A list emptied by grounding, or left shorter than its minItems, is no value at all:
            # dropped whole, so a required one is reported missing rather than sent back invalid.
            if len(kept) < len(value) and len(kept) < max(1, schema.get("minItems", 0)):
                return _DROP
            return kept
        if where.path not in self.leaves:
            self.leaves[where.path] = _Leaf(value, self.scalar(value, schema, where.key), replace(where, naming=naming))
        verdict = self.leaves[where.path].verdict
        if verdict.reason is None:
            return verdict.value
        return verdict.value if Finding(where.path, value, verdict.reason, verdict.weak).kept(self.mode) else _DROP

    def one_mention_each(self) -> None:
        """One place in the message, one value (see the module's rules): the values that find no free
        place are ungrounded, naming the value that holds it."""
        claims = sorted((path for path, leaf in self.leaves.items() if leaf.verdict.reason is None and leaf.verdict.places), key=self._rank)
        holders: dict[Span, str] = {}

        def place(path: str, tried: set[Span]) -> bool:
            """Whether ``path`` gets a place, moving earlier claimants to other free places of theirs if need be."""
            for span in self.leaves[path].verdict.places:
                if span not in tried:
                    tried.add(span)
                    if span not in holders or place(holders[span], tried):
                        holders[span] = path
                        return True
            return False

        unplaced = [path for path in claims if not place(path, set())]  # placed first, so the holders below are final
        for path in unplaced:
            leaf = self.leaves[path]
            start, end = leaf.verdict.places[0]
            reason = f"the message's {self.evidence.text[start:end]!r} already fills {holders[(start, end)]!r}"
            leaf.verdict = replace(leaf.verdict, reason=reason, value=leaf.said)

    def _rank(self, path: str) -> tuple[int, bool, tuple[int, ...]]:
        leaf = self.leaves[path]
        naming = _naming(leaf.where.naming)
        named = any(self.evidence.beside(span, _REACH) & naming for span in leaf.verdict.places)
        return (-_FITS.index(leaf.verdict.fit), not named, leaf.where.order)

    def scalar(self, value: Any, schema: dict[str, Any], key: str) -> _Verdict:
        if value is None:
            return _Verdict(value)
        if isinstance(value, bool):
            return self.flag(value, key)
        if _placeholder(value) and not self._verbatim(value):
            return _Verdict(value, f"{value!r} is a placeholder, not a value from the message")
        if isinstance(value, (int, float)):
            return self.number(value, key)
        if not isinstance(value, str):
            return _Verdict(value)
        kind = temporal.kind_of(schema)
        if kind is not None:
            return self.moment(value, kind, schema)
        context = f"{key} {schema.get('description', '')}"  # says which codes a property holds, if any
        found, hinted = codes.lookup(value, context), codes.hinted(context)
        if found and (hinted or "pattern" in schema):
            return self.code(value, found, context)
        if hinted and codes.code_shaped(value) and not codes.written(value, self.evidence):
            return _Verdict(value, f"{value!r} is no code the message names")
        if isinstance(schema.get("enum"), list) and value in schema["enum"]:
            return self.enum(value, schema)
        if _identifier(key, schema):
            if not _identifier_like(value, schema):
                return _Verdict(value, f"{key!r} holds an identifier, and {value!r} is a name or a phrase, not one")
            return replace(self.text(value), fit="identifier")
        return self.text(value)

    def number(self, value: float, key: str) -> _Verdict:
        places = self.evidence.numbers.get(float(value), ())
        if not places and _DATE_PARTS & set(_name_words(key)):
            places = self.evidence.date_parts.get(float(value), ())
        labels = [self.labelled(span, key) for span in places]
        own = tuple(span for span, label in zip(places, labels, strict=True) if label is None)
        if own:
            return _Verdict(value, places=own, fit="number")
        if places:
            phrase, other = next(label for label in labels if label)
            return _Verdict(value, f"the message's {phrase!r} is for {other!r}, not {key!r}")
        if float(value) in self.evidence.date_parts:
            return _Verdict(value, f"the message writes {value} only as part of a date or a time")
        return _Verdict(value, f"the message states no number {value}")

    def labelled(self, span: Span, key: str) -> tuple[str, str] | None:
        """Whether the word after a number names another number property and none of ``key``'s words
        (see the module's rules): the labelled mention ("3 guests") and that property, or None."""
        label = self.evidence.label(span)
        if label is None or label[0] not in self.labels or label[0] in words(_spaced(key)):
            return None
        return self.evidence.text[span[0] : label[1][1]], self.labels[label[0]]

    def text(self, value: str) -> _Verdict:
        support = self.evidence.support(value)
        if support == 1:
            return _Verdict(value, places=self.evidence.phrase_spans(value))
        if support >= 0.5:
            return _Verdict(value, f"only some of the words of {value!r} are in the message", weak=True)
        return _Verdict(value, f"{value!r} is not in the message")

    def flag(self, value: bool, key: str) -> _Verdict:
        if any(said.startswith(word) for word in _naming(key) for said in self.evidence.words):
            return _Verdict(value)
        return _Verdict(value, f"the message says nothing about {key!r}", weak=True)

    def enum(self, value: str, schema: dict[str, Any]) -> _Verdict:
        own = schema.get("x-synonyms")
        synonyms = (*SYNONYMS.get(value.casefold(), ()), *(own.get(value, ()) if isinstance(own, dict) else ()))
        if "default" in schema and schema["default"] == value:
            return _Verdict(value)
        if self.evidence.has_phrase(value):
            return _Verdict(value, places=self.evidence.phrase_spans(value), fit="enum")
        if any(self.evidence.has_phrase(phrase) for phrase in synonyms):
            return _Verdict(value)  # claims no place: a synonym may stand for several values ("weekdays": mon to fri)
        return _Verdict(value, f"the message says nothing that means {value!r}", weak=True)

    def code(self, value: str, found: list[codes.Code], context: str) -> _Verdict:
        if any(code.named_in(self.evidence) for code in found):
            return _Verdict(value)
        named = codes.named(self.evidence, context)
        also = f"; it names {', '.join(named)}" if named else ""
        return _Verdict(value, f"the message does not name {value} ({', '.join(found[0].names)}){also}")

    def moment(self, value: str, kind: temporal.Kind, schema: dict[str, Any]) -> _Verdict:
        spans = self.evidence.phrase_spans(value)
        if spans:  # the model pointed at the message's words: the product reads the whole date or time they belong to
            return self.pointed(value, spans, kind, schema)
        meant = temporal.resolve(value, self.clock)
        if meant is not None and self.states(kind, meant):
            # The places of the phrases that mean it; none for a date-time made of two phrases.
            places = tuple(
                span for phrase, other in self.mentions if temporal.same(kind, meant, other) for span in self.evidence.phrase_spans(phrase)
            )
            return _Verdict(temporal.written(meant, kind, schema) or value, places=places, fit="moment")
        phrases = [phrase for phrase, _ in self.mentions]
        widest = [phrase for phrase in phrases if not any(phrase in other for other in phrases if other != phrase)]
        listing = "; it mentions " + ", ".join(map(repr, widest[:_LISTED])) if widest else ""
        return _Verdict(value, f"the message gives no {kind} {value!r}{listing}")

    def pointed(self, value: str, spans: tuple[Span, ...], kind: temporal.Kind, schema: dict[str, Any]) -> _Verdict:
        """The words the model copied, read as the whole date or time they are part of, wherever the message says them."""
        readings: dict[str, list[Span]] = {}
        for span in spans:
            whole = temporal.whole(self.evidence.text, span)
            phrase = self.evidence.text[whole[0] : whole[1]].rstrip(".")
            if kind != "date" and not temporal.states_time(phrase):
                return _Verdict(value, f"{phrase!r} gives no time")
            meant = temporal.resolve(phrase, self.clock)
            if meant is not None and kind != "time" and temporal.time_only(phrase):
                days = self.days
                if len(days) > 1:
                    return _Verdict(value, f"{phrase!r} gives no day, and the message mentions several: {', '.join(map(str, days))}")
                meant = temporal.resolve(f"{days[0]} {phrase}", self.clock) if days else meant  # else a time alone: today
            written = temporal.written(meant, kind, schema) if meant else None
            if not written:
                return _Verdict(value, f"{phrase!r} does not read as a {kind}")
            readings.setdefault(written, []).append(whole)
        if len(readings) > 1:
            return _Verdict(value, f"{value!r} is part of several dates or times: {', '.join(readings)}")
        [(written, places)] = readings.items()
        return _Verdict(written, places=tuple(places), fit="moment")

    def states(self, kind: temporal.Kind, meant: datetime) -> bool:
        """Whether the message states ``meant`` as a ``kind`` holds it: a day it names, a time it gives, or
        a date-time made of both, from one phrase or two (see temporal.py's rules)."""
        times = {(other.hour, other.minute) for phrase, other in self.mentions if temporal.states_time(phrase)}
        day, time = meant.date() in self.days, (meant.hour, meant.minute) in times
        return {"date": day, "time": time, "date-time": day and time}[kind]

    @cached_property
    def mentions(self) -> list[tuple[str, datetime]]:
        return temporal.mentioned(self.evidence.text, self.clock)

    @cached_property
    def days(self) -> list[date]:
        """The days the message names, in the order it names them; when it names none, the day of the
        times it gives alone (today, as dateparser reads "at 11:30")."""
        named = [other.date() for phrase, other in self.mentions if not temporal.time_only(phrase)]
        return list(dict.fromkeys(named or [other.date() for _, other in self.mentions]))

    def _verbatim(self, value: str | float) -> bool:
        """Whether the message says exactly this (a template never counts)."""
        if isinstance(value, str):
            return not _TEMPLATE.search(value) and self.evidence.has_phrase(value)
        return self.evidence.states(value)


def _join(path: str, part: str | int) -> str:
    return f"{path}/{part}" if path else str(part)


def _naming(text: str) -> frozenset[str]:
    """The stems in a property's name or description long enough to be evidence ("auditOnly": audit, onli)."""
    return frozenset(word for word in words(_spaced(text)) if len(word) >= _NAMING_STEM)


def _spaced(name: str) -> str:
    """A property's name with its camelCase words apart ("auditOnly": "audit Only"); words() splits the rest."""
    return _CAMEL.sub(r"\1 \2", name)


def _labels(root: dict[str, Any]) -> dict[str, str]:
    """The word that names each number property of the schema, at any depth, when written after a number
    (see the module's rules): the first property so named keeps the word."""
    labels: dict[str, str] = {}
    seen: set[int] = set()
    pending: list[Any] = [root]
    while pending:
        schema = resolve(pending.pop(0), root)
        if id(schema) in seen:
            continue
        seen.add(id(schema))
        properties = schema.get("properties")
        named = properties.items() if isinstance(properties, dict) else ()
        for name, sub in named:
            kinds = resolve(sub, root).get("type")
            if {"number", "integer"} & ({kinds} if isinstance(kinds, str) else set(kinds or ())) and (label := _label(name)):
                labels.setdefault(label, name)
        pending += [sub for _, sub in named]
        pending += [schema[key] for key in ("items", "additionalProperties") if isinstance(schema.get(key), dict)]
        pending += schema.get("prefixItems") or []
    return labels


def _label(name: str) -> str | None:
    """The word that names a number property: its name's last ("guests": guest, "duration_minutes":
    minut), or before "per" for a rate ("max_price_per_night": price; "5 nights" is no price)."""
    named = words(_spaced(name))
    if "per" in named[1:]:
        return named[named.index("per") - 1]
    return named[-1] if named else None


def _name_words(key: str) -> list[str]:
    """A property's name as lower-case words, not stemmed ("studentId": ["student", "id"]; "days" stays "days")."""
    return re.findall(r"[a-z]+", _spaced(key).casefold())


def _identifier(key: str, schema: dict[str, Any]) -> bool:
    """Whether a string property holds identifiers (see the module's rules)."""
    named = _name_words(key)
    return (bool(named) and named[-1] in _IDENTIFIER_WORDS) or "pattern" in schema or "format" in schema


def _identifier_like(value: str, schema: dict[str, Any]) -> bool:
    if any(char.isdigit() for char in value) or _CAPITALS.fullmatch(value):
        return True
    own: dict[str, Any] = {key: schema[key] for key in ("pattern", "format") if key in schema}
    return bool(own) and validator(own, formats=True).is_valid(value)


def _placeholder(value: Any) -> bool:
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str):
        return False
    text = value.strip()
    if _TEMPLATE.search(text) or text.casefold() in _PLACEHOLDER_WORDS:
        return True
    digits = [int(char) for char in text if char.isdigit()]
    if len(digits) < _DIGIT_RUN or len(digits) < len(re.sub(r"[\s,.-]", "", text)):
        return False
    steps = {(after - before) % 10 for before, after in itertools.pairwise(digits)}
    return len(steps) == 1 and steps <= {0, 1, 9}
