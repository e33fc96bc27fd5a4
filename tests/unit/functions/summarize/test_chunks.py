"""summarize's split_text, and localfn.tokens' estimate and sentence trimming."""

from __future__ import annotations

import math

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from localfn.functions.summarize.chunks import split_text
from localfn.tokens import CHARS_PER_TOKEN, estimate_tokens

# No example database: nothing is written outside the test run; no deadline: no timing asserts.
quick = settings(database=None, deadline=None, max_examples=200)

word = st.text(alphabet="abcdefghijklmnopqrstuvwxyz", min_size=1, max_size=8)
separator = st.sampled_from([" ", "  ", "\t", "\n", "\n\n", " \n \n", ". ", "! ", "? ", ".\n\n", "?\n"])
prose = st.lists(st.tuples(word, separator), min_size=1, max_size=400).map(lambda pairs: "".join(w + s for w, s in pairs))
budgets = st.integers(min_value=3, max_value=80)  # a limit of 10 to 280 chars: every word (<= 9 chars) fits


def limit_of(max_tokens: int) -> int:
    return int(max_tokens * CHARS_PER_TOKEN)


def sentence(n: int, length: int) -> str:
    """A sentence of ``length`` characters ending in a full stop, distinct per ``n``."""
    body = f"Sentence {n} " + "word " * length
    return body[: length - 1].rstrip() + "."


@quick
@given(prose, budgets)
def test_every_chunk_fits_the_budget(text: str, max_tokens: int) -> None:
    chunks = split_text(text, max_tokens)
    assert all(0 < len(chunk) <= limit_of(max_tokens) for chunk in chunks)


@quick
@given(prose, budgets)
def test_chunks_keep_every_word_in_order(text: str, max_tokens: int) -> None:
    assert " ".join(split_text(text, max_tokens)).split() == text.split()


@quick
@given(prose)
def test_text_within_the_budget_is_one_unchanged_chunk(text: str) -> None:
    max_tokens = math.ceil(len(text) / CHARS_PER_TOKEN)  # the smallest budget the text fits
    assert split_text(text, max_tokens) == [text]


def test_short_text_is_one_chunk() -> None:
    assert split_text("A short note.", 100) == ["A short note."]


def test_a_long_run_of_words_without_punctuation_splits() -> None:
    text = " ".join(f"w{i:05d}" for i in range(50_000 // 7))  # about 50,000 chars, one sentence
    chunks = split_text(text, 100)
    assert len(chunks) >= len(text) // limit_of(100)
    assert all(len(chunk) <= limit_of(100) for chunk in chunks)
    assert " ".join(chunks).split() == text.split()


def test_a_word_longer_than_the_budget_is_split_not_truncated() -> None:
    text = "x" * 50_000
    chunks = split_text(text, 100)
    assert "".join(chunks) == text
    assert all(len(chunk) <= limit_of(100) for chunk in chunks)


def test_paragraph_ends_are_preferred_as_cut_points() -> None:
    limit = limit_of(100)  # 350 chars
    first = " ".join(sentence(i, 60) for i in range(3))  # about 180 chars each paragraph
    second = " ".join(sentence(i, 60) for i in range(3, 6))
    # Both paragraphs together do not fit; packing words greedily would pull part of the second one in.
    assert len(first) + 2 + len(second) > limit
    assert split_text(f"{first}\n\n{second}", 100) == [first, second]


def test_sentence_ends_are_preferred_within_a_long_paragraph() -> None:
    paragraph = " ".join(sentence(i, 100) for i in range(8))  # one paragraph of about 800 chars
    chunks = split_text(paragraph, 100)
    assert len(chunks) >= 3
    assert all(chunk.endswith(".") for chunk in chunks)


# tokens


@pytest.mark.parametrize("length", [0, 1, 3, 4, 7, 8, 100, 1001])
def test_estimate_tokens_rounds_characters_per_token_up(length: int) -> None:
    tokens = estimate_tokens("x" * length)
    assert tokens * CHARS_PER_TOKEN >= length
    assert (tokens - 1) * CHARS_PER_TOKEN < length or tokens == 0
