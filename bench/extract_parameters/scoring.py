"""Value by value: how one answer's arguments compare with a case's expected ones.

Arguments are compared leaf by leaf (a value at a path such as "guests/0/name"), when the
answer calls the expected function:

* exact_values: the expected value at that path;
* wrong: another value at a path the case gives, which the message supports (grounded by
  grounding.py's rules): wrong, but not invented;
* misplaced: at a path the case does not give (it leaves it out or lists it missing), a value
  the case expects at another path: the message gives it, for another field (the departure
  date as ``return_date``, the instructor's name as ``topic``); not invented;
* invented: any other value at a path the case does not give, or a value at a path it gives
  that the message does not support: not in the message;
* missing: a required value the case lists as missing that the answer lists as missing too.

"Invented" has two judges: the case's annotation (independent of the product) and the
grounding rules (the product's own, so on a strict run they count only what the rules miss;
compare a run with ``--grounding off`` to see what grounding removes). Values are equal when
they are of one JSON type and equal (``true`` is not ``1``).
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from localfn.functions.extract_parameters.evidence import Evidence
from localfn.functions.extract_parameters.grounding import ground
from localfn.functions.extract_parameters.temporal import Clock

__all__ = ["Tally", "leaves", "tally"]


@dataclass(frozen=True)
class Tally:
    exact_values: int = 0
    wrong: int = 0
    misplaced: int = 0
    invented: int = 0
    missing: int = 0  # required values correctly reported missing
    missing_expected: int = 0  # required values the case lists as missing


def leaves(value: Any, path: str = "") -> Iterator[tuple[str, Any]]:
    """Every scalar in ``value`` with its path ("guests/0/name")."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield from leaves(item, f"{path}/{key}" if path else str(key))
    elif isinstance(value, list):
        for index, item in enumerate(value):
            yield from leaves(item, f"{path}/{index}" if path else str(index))
    else:
        yield path, value


def tally(case: dict[str, Any], got: dict[str, Any], clock: Clock) -> Tally:
    """The case's values, as the answer ``got`` ({"function", "arguments", "missing_required"}) has them."""
    expected = case["expected"]
    missing_expected = len(expected["missing_required"])
    if got["function"] != expected["function"] or got["function"] is None:
        return Tally(missing_expected=missing_expected)
    parameters = next(f["parameters"] for f in case["functions"] if f["name"] == got["function"])
    unsupported = {
        finding.field for finding in ground(got["arguments"], parameters, Evidence(case["user_message"]), clock, "strict").findings
    }
    wanted = dict(leaves(expected["arguments"]))
    exact = wrong = misplaced = invented = 0
    for path, value in leaves(got["arguments"]):
        if path in wanted and _same(wanted[path], value):
            exact += 1
        elif path in wanted and path not in unsupported:
            wrong += 1
        elif path not in wanted and any(_same(other, value) for other in wanted.values()):
            misplaced += 1
        else:
            invented += 1
    found = len(set(expected["missing_required"]) & set(got["missing_required"]))
    return Tally(exact, wrong, misplaced, invented, found, missing_expected)


def _same(one: Any, other: Any) -> bool:
    """Equal as JSON values: of one type (a number is not a boolean) and equal (1 is 1.0)."""
    return isinstance(one, bool) == isinstance(other, bool) and one == other
