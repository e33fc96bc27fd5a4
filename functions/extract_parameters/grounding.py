"""Grounding: every argument value checked against the user's message, by the product, not the model.

Each value the model returns must be supported by the message (see evidence.py for how
words and numbers are read):

* a number must be one the message writes, in digits or in words; nothing is computed. The
  figures of a date or a time ("2025" of "2025-11-05" or "November 5, 2025", "15" of "15:00")
  and the digits of a code ("101" of "BIO101") are not numbers on their own: they ground
  only a property named for that part of a date (a name word ``year``, ``month``, ``day``,
  ``hour``, ``minute`` or ``second``: "start_year", not "duration_minutes" or "days");
* a date, date-time or time is resolved from the message's own words (temporal.py);
* a currency, country or language code must be named by the message (codes.py); a
  property is taken to hold codes when its name or description says which kind, or its
  schema has a ``pattern`` and the value is such a code;
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
from typing import Any, Literal

from jsonschema import Draft202012Validator

from localfn.functions.extract_parameters import codes, temporal
from localfn.functions.extract_parameters.evidence import Evidence, Span, words
from localfn.functions.extract_parameters.subschemas import item_schema, property_schema, resolve

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
        found = codes.lookup(value, context)
        if found and (codes.hinted(context) or "pattern" in schema):
            return self.code(value, found, context)
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
        if places:
            return _Verdict(value, places=places, fit="number")
        if float(value) in self.evidence.date_parts:
            return _Verdict(value, f"the message writes {value} only as part of a date or a time")
        return _Verdict(value, f"the message states no number {value}")

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
        meant = temporal.resolve(value, self.clock)
        if self.evidence.support(value) == 1:  # the model pointed at the message's words: the product reads them
            written = temporal.written(meant, kind, schema) if meant else None
            if written:
                return _Verdict(written, places=self.evidence.phrase_spans(value), fit="moment")
            return _Verdict(value, f"{value!r} does not read as a {kind}")
        mentions = temporal.mentioned(self.evidence.text, self.clock)
        moments = [other for _, other in mentions]
        if meant is not None and (
            any(temporal.same(kind, meant, other) for other in moments)
            or (kind == "date-time" and all(any(temporal.same(part, meant, other) for other in moments) for part in ("date", "time")))
        ):
            # The places of the phrases that mean it; none for a date-time made of two phrases.
            places = tuple(
                span for phrase, other in mentions if temporal.same(kind, meant, other) for span in self.evidence.phrase_spans(phrase)
            )
            return _Verdict(temporal.written(meant, kind, schema) or value, places=places, fit="moment")
        phrases = [phrase for phrase, _ in mentions]
        widest = [phrase for phrase in phrases if not any(phrase in other for other in phrases if other != phrase)]
        listing = "; it mentions " + ", ".join(map(repr, widest[:_LISTED])) if widest else ""
        return _Verdict(value, f"the message gives no {kind} {value!r}{listing}")

    def _verbatim(self, value: str | float) -> bool:
        """Whether the message says exactly this (a template never counts)."""
        if isinstance(value, str):
            return not _TEMPLATE.search(value) and self.evidence.has_phrase(value)
        return self.evidence.states(value)


def _join(path: str, part: str | int) -> str:
    return f"{path}/{part}" if path else str(part)


def _naming(text: str) -> frozenset[str]:
    """The stems in a property's name or description long enough to be evidence ("auditOnly": audit, onli)."""
    return frozenset(word for word in words(_CAMEL.sub(r"\1 \2", text)) if len(word) >= _NAMING_STEM)


def _name_words(key: str) -> list[str]:
    """A property's name as lower-case words, not stemmed ("studentId": ["student", "id"]; "days" stays "days")."""
    return re.findall(r"[a-z]+", _CAMEL.sub(r"\1 \2", key).casefold())


def _identifier(key: str, schema: dict[str, Any]) -> bool:
    """Whether a string property holds identifiers (see the module's rules)."""
    named = _name_words(key)
    return (bool(named) and named[-1] in _IDENTIFIER_WORDS) or "pattern" in schema or "format" in schema


def _identifier_like(value: str, schema: dict[str, Any]) -> bool:
    if any(char.isdigit() for char in value) or _CAPITALS.fullmatch(value):
        return True
    own = {key: schema[key] for key in ("pattern", "format") if key in schema}
    return bool(own) and Draft202012Validator(own, format_checker=Draft202012Validator.FORMAT_CHECKER).is_valid(value)


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
