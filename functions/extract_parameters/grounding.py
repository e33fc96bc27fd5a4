"""Grounding: every argument value checked against the user's message, by the product, not the model.

Each value the model returns must be supported by the message (see evidence.py for how
words and numbers are read):

* a number must be one the message writes, in digits or in words; nothing is computed;
* a date, date-time or time is resolved from the message's own words (temporal.py);
* a currency, country or language code must be named by the message (codes.py); a
  property is taken to hold codes when its name or description says which kind, or its
  schema has a ``pattern`` and the value is such a code;
* an enum value needs the value itself ("store_credit": "store credit"), one of its
  synonyms (``SYNONYMS``, or the property's own ``x-synonyms``: {"value": ["phrase", ...]})
  in the message, or to be the property's ``default``; without any, its evidence is weak
  (the model chose it from a closed list, by meaning: kept, flagged, in ``lenient`` mode);
* any other string needs all its words in the message; with half of them or more the
  evidence is weak (kept, flagged, in ``lenient`` mode);
* a placeholder is refused (``{{summary}}``, "string", "example", "N/A", "TBD", a run of
  sequential or repeated digits such as "123456789") unless the message says exactly that;
* true and false need a word of their property's name in the message (its stem starting a
  word: "audit_only" by "auditor", "gift_wrap" by "gift-wrapped"); without one the
  evidence is weak, since a message often says them by meaning ("let everyone know").

A value without evidence is not returned: the caller drops it (a required one is then
missing) and lists it, with its reason, as ``ungrounded``.
"""

from __future__ import annotations

import itertools
import re
from dataclasses import dataclass
from typing import Any, Literal

from localfn.functions.extract_parameters import codes, temporal
from localfn.functions.extract_parameters.evidence import Evidence, words
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
_PLACEHOLDER_WORDS = frozenset({"string", "example", "n/a", "tbd", "tba", "todo", "null", "none", "unknown", "placeholder", "xxx", "lorem ipsum", "..."})
_DIGIT_RUN = 5  # "12345" or "00000" and longer is a placeholder
_CAMEL = re.compile(r"([a-z])([A-Z])")
_FLAG_STEM = 4  # shorter stems of a property's name ("is", "to") are too common to be evidence
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


def ground(arguments: dict[str, Any], parameters: dict[str, Any], evidence: Evidence, clock: temporal.Clock, mode: Mode) -> Grounded:
    """``arguments`` with each value checked against the message; dates and times resolved."""
    findings: list[Finding] = []
    grounded = _Checker(parameters, evidence, clock, mode, findings).value(arguments, parameters, "", "")
    return Grounded(grounded, findings)


_DROP = object()


class _Checker:
    """One grounding pass: the message, the clock and the mode it checks by, and what it found."""

    def __init__(self, root: dict[str, Any], evidence: Evidence, clock: temporal.Clock, mode: Mode, findings: list[Finding]) -> None:
        self.root = root
        self.evidence = evidence
        self.clock = clock
        self.mode = mode
        self.findings = findings

    def value(self, value: Any, schema: Any, path: str, key: str) -> Any:
        """``value`` grounded, or ``_DROP``; objects and arrays are grounded item by item.
        ``path`` is where the value sits ("passengers/adults"), ``key`` the property holding it."""
        schema = resolve(schema, self.root)
        if isinstance(value, dict):
            entries = ((name, self.value(item, property_schema(schema, name), _join(path, name), name)) for name, item in value.items())
            return {name: item for name, item in entries if item is not _DROP}
        if isinstance(value, list):
            items = (self.value(item, item_schema(schema, index), _join(path, index), key) for index, item in enumerate(value))
            kept = [item for item in items if item is not _DROP]
            # A list emptied by grounding, or left shorter than its minItems, is no value at all:
            # dropped whole, so a required one is reported missing rather than sent back invalid.
            if len(kept) < len(value) and len(kept) < max(1, schema.get("minItems", 0)):
                return _DROP
            return kept
        verdict = self.scalar(value, schema, key)
        if verdict.reason is None:
            return verdict.value
        finding = Finding(path, value, verdict.reason, verdict.weak)
        self.findings.append(finding)
        return verdict.value if finding.kept(self.mode) else _DROP

    def scalar(self, value: Any, schema: dict[str, Any], key: str) -> _Verdict:
        if value is None:
            return _Verdict(value)
        if isinstance(value, bool):
            return self.flag(value, key)
        if _placeholder(value) and not self._verbatim(value):
            return _Verdict(value, f"{value!r} is a placeholder, not a value from the message")
        if isinstance(value, (int, float)):
            return _Verdict(value) if self.evidence.states(value) else _Verdict(value, f"the message states no number {value}")
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
        return self.text(value)

    def text(self, value: str) -> _Verdict:
        support = self.evidence.support(value)
        if support == 1:
            return _Verdict(value)
        if support >= 0.5:
            return _Verdict(value, f"only some of the words of {value!r} are in the message", weak=True)
        return _Verdict(value, f"{value!r} is not in the message")

    def flag(self, value: bool, key: str) -> _Verdict:
        named = [word for word in words(_CAMEL.sub(r"\1 \2", key)) if len(word) >= _FLAG_STEM]
        if any(said.startswith(word) for word in named for said in self.evidence.words):
            return _Verdict(value)
        return _Verdict(value, f"the message says nothing about {key!r}", weak=True)

    def enum(self, value: str, schema: dict[str, Any]) -> _Verdict:
        own = schema.get("x-synonyms")
        synonyms = (*SYNONYMS.get(value.casefold(), ()), *(own.get(value, ()) if isinstance(own, dict) else ()))
        if "default" in schema and schema["default"] == value:
            return _Verdict(value)
        if any(self.evidence.has_phrase(phrase) for phrase in (value, *synonyms)):
            return _Verdict(value)
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
            return _Verdict(written) if written else _Verdict(value, f"{value!r} does not read as a {kind}")
        mentions = temporal.mentioned(self.evidence.text, self.clock)
        moments = [other for _, other in mentions]
        if meant is not None and (
            any(temporal.same(kind, meant, other) for other in moments)
            or (kind == "date-time" and all(any(temporal.same(part, meant, other) for other in moments) for part in ("date", "time")))
        ):
            return _Verdict(temporal.written(meant, kind, schema) or value)
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
