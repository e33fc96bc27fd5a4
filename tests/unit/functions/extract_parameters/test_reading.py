"""extract-parameters reading the model's arguments (nulls, numbers, enums) and judging them by the schema."""

from __future__ import annotations

from typing import Any

from localfn.functions.extract_parameters.arguments import judge
from localfn.functions.extract_parameters.normalize import read_call

PARAMETERS: dict[str, Any] = {
    "type": "object",
    "$defs": {"money": {"type": "number", "exclusiveMinimum": 0}},
    "properties": {
        "count": {"type": "integer", "minimum": 1},
        "amount": {"$ref": "#/$defs/money"},
        "refund": {"type": "string", "enum": ["store_credit", "original_payment"]},
        "label": {"type": "string"},
        "either": {"type": ["string", "integer"]},
        "when": {"type": "string", "format": "date"},
        "guests": {"type": "object", "properties": {"adults": {"type": "integer"}}, "required": ["adults"]},
        "sizes": {"type": "array", "items": {"type": "integer"}},
        "tags": {"type": "array", "items": {"enum": ["Red", "red_wine"]}},
    },
    "required": ["count", "refund"],
    "additionalProperties": False,
}


def read(arguments: dict[str, Any]) -> dict[str, Any]:
    result: dict[str, Any] = read_call({"function": "f", "arguments": arguments}, PARAMETERS)["arguments"]
    return result


def test_nulls_mean_not_given_at_every_depth() -> None:
    assert read({"count": None, "label": "x", "guests": {"adults": None}}) == {"label": "x", "guests": {}}


def test_numbers_in_words_or_with_separators_become_numbers_where_the_schema_wants_one() -> None:
    assert read({"count": "twenty-five", "amount": "1,250.50", "sizes": ["1,000", "two"]}) == {
        "count": 25,
        "amount": 1250.5,
        "sizes": [1000, 2],
    }


def test_no_number_is_guessed() -> None:
    assert read({"count": "about 20", "label": "twenty", "either": "five"}) == {
        "count": "about 20",  # not one number
        "label": "twenty",  # the schema wants a string
        "either": "five",  # a string is allowed here, so it stays one
    }


def test_a_fraction_is_not_forced_into_an_integer() -> None:
    assert read({"count": "nineteen and a half"}) == {"count": "nineteen and a half"}


def test_enum_values_differing_in_case_or_separators_are_matched() -> None:
    assert read({"refund": "Store Credit"}) == {"refund": "store_credit"}
    assert read({"refund": "ORIGINAL-PAYMENT"}) == {"refund": "original_payment"}
    assert read({"tags": ["RED", "Red Wine"]}) == {"tags": ["Red", "red_wine"]}


def test_an_ambiguous_or_unknown_enum_value_is_left_alone() -> None:
    assert read({"refund": "cash"}) == {"refund": "cash"}
    two_cases = {"type": "object", "properties": {"x": {"enum": ["A", "a"]}}}
    assert read_call({"arguments": {"x": "A "}}, two_cases) == {"arguments": {"x": "A "}}


def test_a_reply_that_is_not_a_call_is_passed_on_untouched() -> None:
    assert read_call(["not", "an", "object"], PARAMETERS) == ["not", "an", "object"]
    assert read_call({"function": None}, PARAMETERS) == {"function": None}


def test_absent_required_values_are_missing_not_faults() -> None:
    judged = judge({"guests": {}}, PARAMETERS)
    assert judged.problems == []
    assert sorted(judged.missing) == ["count", "guests/adults", "refund"]


def test_other_breaches_are_faults_naming_the_path() -> None:
    judged = judge({"count": 0, "refund": "cash", "amount": 0, "when": "2025-02-30", "extra": 1}, PARAMETERS)
    assert judged.missing == []
    assert len(judged.problems) == 5
    assert "arguments/count: 0 is less than the minimum of 1" in judged.problems
    assert 'arguments/when: "2025-02-30" is not a "date"' in judged.problems
    assert any(p.startswith("arguments:") and "'extra' was unexpected" in p for p in judged.problems)


def test_valid_arguments_pass() -> None:
    judged = judge({"count": 2, "refund": "store_credit", "when": "2025-02-28", "guests": {"adults": 2}}, PARAMETERS)
    assert (judged.missing, judged.problems) == ([], [])
