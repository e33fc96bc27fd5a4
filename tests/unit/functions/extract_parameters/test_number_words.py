"""extract-parameters' number reading: whole strings that spell one number, nothing else."""

from __future__ import annotations

import pytest

from localfn.functions.extract_parameters.number_words import parse_number


@pytest.mark.parametrize(
    ("text", "number"),
    [
        ("25", 25),
        ("-3", -3),
        ("3.5", 3.5),
        ("1,500", 1500),
        ("2,750,000", 2_750_000),
        ("1,500.25", 1500.25),
        ("12345678901234567890", 12345678901234567890),
        ("ten", 10),
        ("twenty-five", 25),
        ("forty five", 45),
        ("three hundred", 300),
        ("a hundred", 100),
        ("one hundred and eighty", 180),
        ("one thousand two hundred and fifty", 1250),
        ("two thousand and five", 2005),
        ("five hundred thousand", 500_000),
        ("one million two thousand", 1_002_000),
        ("nineteen and a half", 19.5),
        ("eighty-eight point five", 88.5),
        ("zero point two five", 0.25),
        ("minus five", -5),
        ("  Twenty-Three ", 23),
    ],
)
def test_numbers_in_digits_or_words_are_read(text: str, number: float) -> None:
    value = parse_number(text)
    assert value == number
    assert type(value) is type(number)


@pytest.mark.parametrize(
    "text",
    [
        "",
        "about 20",
        "25 minutes",
        "12,34",
        "1,5000",
        "one one",
        "twenty twenty",
        "two thousand three thousand",
        "fifty and",
        "a",
        "and",
        "point five",
        "one point",
        "nine point ten",
        "twenty hundred",
    ],
)
def test_anything_that_is_not_exactly_one_number_is_left_alone(text: str) -> None:
    assert parse_number(text) is None
