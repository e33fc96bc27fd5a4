"""Currency, country and language codes, and the ways a message names them.

The table is ISO's, as pycountry keeps it (ISO 4217 currencies, ISO 3166-1 countries, ISO
639 languages that have a two-letter code). A code is named by the message when the code
itself occurs in capitals ("EUR", "PT", "FR"; in capitals so "can" and "it" are not Canada
and Italian), a currency code also in any case right by a number ("40 gbp"), when its
English name does ("euros", "Pound Sterling", "Portugal", "French"), or, for currencies,
a symbol of exactly one currency (``SYMBOLS``). "$" and "¥" stand for several currencies,
and "dollars" for several, so they name none: "$300" is not USD. A code-shaped value that is
in none of the tables ("UK", "ANA") is named only where the message writes it as is, case
included (``written``): "UK" in "to the UK", but no "ANA" in "to Ana Silva".
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import cache
from typing import Literal

from localfn.functions.extract_parameters.evidence import Evidence

__all__ = ["SYMBOLS", "Code", "code_shaped", "hinted", "lookup", "named", "written"]

Kind = Literal["currency", "country", "language"]

SYMBOLS = {
    "€": "EUR",
    "£": "GBP",
    "US$": "USD",
    "₹": "INR",
    "₩": "KRW",
    "₺": "TRY",
    "₪": "ILS",
    "₴": "UAH",
    "₫": "VND",
    "₱": "PHP",
    "฿": "THB",
    "₦": "NGN",
    "₽": "RUB",
    "₸": "KZT",
}
# Words in a property's name or description that say which table its codes come from.
_HINTS: dict[Kind, re.Pattern[str]] = {
    "currency": re.compile(r"currenc", re.IGNORECASE),
    "country": re.compile(r"countr|nation", re.IGNORECASE),
    "language": re.compile(r"lang|locale", re.IGNORECASE),
}
_CODE = re.compile(r"[A-Za-z]{2,3}")


@dataclass(frozen=True)
class Code:
    kind: Kind
    codes: tuple[str, ...]  # as the table writes them, the main one first: ("PT", "PRT"), ("fr", "fra")
    names: tuple[str, ...]  # its English names
    symbols: tuple[str, ...] = ()

    @property
    def code(self) -> str:
        return self.codes[0]

    def named_in(self, evidence: Evidence) -> bool:
        capitals = re.compile("|".join(rf"(?<![^\W_]){re.escape(code.upper())}(?![^\W_])" for code in self.codes))
        by_amount = re.compile(rf"\d\s?{self.code}(?![^\W_])|(?<![^\W_]){self.code}\s?\d", re.IGNORECASE)
        return (
            capitals.search(evidence.text) is not None
            or (self.kind == "currency" and by_amount.search(evidence.text) is not None)
            or any(evidence.has_phrase(name) for name in self.names)
            or any(symbol in evidence.text for symbol in self.symbols)
        )


def code_shaped(value: str) -> bool:
    """Two or three letters, as every code in the tables is."""
    return _CODE.fullmatch(value) is not None


def written(value: str, evidence: Evidence) -> bool:
    """Whether the message writes ``value`` as a word of its own, case included."""
    return re.search(rf"(?<![^\W_]){re.escape(value)}(?![^\W_])", evidence.text) is not None


def lookup(value: str, context: str) -> list[Code]:
    """The codes ``value`` can be, in the tables that ``context`` (the property's name and
    description) points to, or in all three when it points to none; [] when it is no code."""
    if not code_shaped(value):
        return []
    key = value.casefold()
    return [code for code in _table(_kinds(context)) if key in (alias.casefold() for alias in code.codes)]


def named(evidence: Evidence, context: str) -> list[str]:
    """The codes of the tables ``context`` points to that the message names, e.g. ["EUR"]."""
    return [code.code for code in _table(_kinds(context)) if code.named_in(evidence)]


def hinted(context: str) -> bool:
    """Whether ``context`` (a property's name and description) says it holds currencies, countries or languages."""
    return any(hint.search(context) for hint in _HINTS.values())


def _kinds(context: str) -> tuple[Kind, ...]:
    hinted = tuple(kind for kind, hint in _HINTS.items() if hint.search(context))
    return hinted or tuple(_HINTS)


@cache
def _table(kinds: tuple[Kind, ...]) -> tuple[Code, ...]:
    import pycountry  # ~0.1 s and the ISO tables: loaded on the first code checked, not at start-up

    codes: list[Code] = []
    if "currency" in kinds:
        for currency in pycountry.currencies:
            symbols = tuple(symbol for symbol, code in SYMBOLS.items() if code == currency.alpha_3)
            codes.append(Code("currency", (currency.alpha_3,), (currency.name,), symbols))
    if "country" in kinds:
        for country in pycountry.countries:
            names = (country.name, *(getattr(country, key) for key in ("common_name", "official_name") if hasattr(country, key)))
            codes.append(Code("country", (country.alpha_2, country.alpha_3), names))
    if "language" in kinds:
        for language in pycountry.languages:
            if hasattr(language, "alpha_2"):
                codes.append(Code("language", (language.alpha_2, language.alpha_3), (language.name,)))
    return tuple(codes)
