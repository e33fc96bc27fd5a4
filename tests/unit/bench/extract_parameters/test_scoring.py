"""The evaluation's value-by-value score: exact, wrong but grounded, misplaced, invented, correctly missing."""

from __future__ import annotations

from datetime import UTC, datetime

from bench.extract_parameters.scoring import Tally, tally
from localfn.functions.extract_parameters.temporal import Clock

CLOCK = Clock(datetime(2025, 6, 2, 9, tzinfo=UTC), "UTC")
CASE = {
    "user_message": "Send 300 EUR from savings to Jonas Weber, not 200.",
    "functions": [
        {
            "name": "transfer",
            "parameters": {
                "type": "object",
                "properties": {
                    "from_account": {"type": "string"},
                    "to_account": {"type": "string"},
                    "amount": {"type": "number"},
                    "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
                    "memo": {"type": "string"},
                    "fee": {"type": "number"},
                },
                "required": ["from_account", "to_account", "amount", "fee"],
            },
        }
    ],
    "expected": {
        "function": "transfer",
        "arguments": {"from_account": "savings", "to_account": "Jonas Weber", "amount": 300, "currency": "EUR"},
        "missing_required": ["fee"],
    },
}


def test_each_value_is_exact_wrong_or_invented() -> None:
    got = {
        "function": "transfer",
        "arguments": {"from_account": "savings", "amount": 200, "currency": "USD", "memo": "Jonas"},
        "missing_required": ["to_account", "fee"],
    }
    # savings: exact; 200: wrong but in the message; USD: not in it; memo: the message gives none
    assert tally(CASE, got, CLOCK) == Tally(exact_values=1, wrong=1, invented=2, missing=1, missing_expected=1)


def test_a_value_the_case_expects_elsewhere_is_misplaced_not_invented() -> None:
    got = {
        "function": "transfer",
        "arguments": {"from_account": "Jonas Weber", "to_account": "Jonas Weber", "memo": "savings", "fee": 300, "amount": 300},
        "missing_required": [],
    }
    # memo and fee (a path listed missing) hold values expected elsewhere: misplaced; from_account,
    # a path the case gives, holds another field's value: wrong, as before
    assert tally(CASE, got, CLOCK) == Tally(exact_values=2, wrong=1, misplaced=2, missing_expected=1)


def test_at_a_path_the_case_does_not_give_any_other_value_is_invented() -> None:
    got = {"function": "transfer", "arguments": {"memo": "Jonas", "fee": 150, "amount": 300}, "missing_required": ["fee"]}
    # "Jonas" is part of an expected value, not one; 150 is no value the case expects
    assert tally(CASE, got, CLOCK) == Tally(exact_values=1, invented=2, missing=1, missing_expected=1)


def test_another_function_scores_no_values() -> None:
    got = {"function": None, "arguments": {}, "missing_required": []}
    assert tally(CASE, got, CLOCK) == Tally(missing_expected=1)
