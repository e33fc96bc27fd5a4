"""The one cut rule (sentence end, else word end, never mid-word; repeats kept once) and the loop watch."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from localfn.engine.base import ChatResult
from localfn.sentences import LOOP_REPEATS, RepeatWatch, collapse_repeats, cut, cut_string, reply_text

LOOPED_CRITERIA = "Learners completed a comprehensive project in Python. " * 4 + "They presented a comprehensive andeng"


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("One. Two! Three?", 15, "One. Two!"),
        ("One. Two! Three?", 16, "One. Two! Three?"),
        ("Is it? Yes.\nNo.", 14, "Is it? Yes."),
        ('He said "Stop." Then he left.', 20, 'He said "Stop."'),
        ("Pi is 3.14 or so, roughly. More text.", 30, "Pi is 3.14 or so, roughly."),
        ("just some words", 12, "just some"),
        ("Hello there, world", 13, "Hello there"),
        ("Wait… then more words here", 10, "Wait…"),
    ],
)
def test_a_text_over_its_limit_ends_at_a_sentence_end_else_a_word_end(text: str, limit: int, expected: str) -> None:
    assert cut(text, limit) == expected


@pytest.mark.parametrize(
    ("text", "limit", "expected"),
    [
        ("日本語の文です。二番目の文です。三番目の", 16, "日本語の文です。二番目の文です。"),
        ("Ça coûte très cher. Élève été", 24, "Ça coûte très cher."),
        ("naïve café résumé", 12, "naïve café"),
        ("cafe\u0301s", 4, "caf"),  # e + combining acute stays whole
        ("ok \U0001f468\u200d\U0001f469\u200d\U0001f467xyz", 6, "ok"),
        ("\U0001f468\u200d\U0001f469\u200d\U0001f467xyz", 3, ""),  # one family emoji: never split at a joiner
        ("\U0001f468\u200d\U0001f469\u200d\U0001f467xyz", 6, "\U0001f468\u200d\U0001f469\u200d\U0001f467x"),
        ("supercalifragilistic", 5, "super"),  # one word longer than the limit: the only mid-word cut
    ],
)
def test_unicode_texts_are_cut_between_whole_characters(text: str, limit: int, expected: str) -> None:
    assert cut(text, limit) == expected


def test_a_text_within_its_limit_is_kept_whole_only_stripped() -> None:
    assert cut("  A finished thought, without a full stop  ", 100) == "A finished thought, without a full stop"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("First part done. Second part was cut mi", "First part done."),
        ("First part done. Second part done.", "First part done. Second part done."),
        ("a single unfinished sentence wi", "a single unfinished sentence"),
    ],
)
def test_a_text_that_was_stopped_loses_its_unfinished_end(text: str, expected: str) -> None:
    assert cut(text, cut_off=True) == expected


def test_a_repeated_sentence_keeps_its_first_copy_wherever_the_copies_are() -> None:
    looped = "The earner built a web app. They tested it well. The earner built a web app. THE EARNER  built a web app!"
    assert collapse_repeats(looped) == "The earner built a web app. They tested it well."


def test_short_sentences_may_repeat() -> None:
    assert collapse_repeats("Yes. No. Yes. Maybe.") == "Yes. No. Yes. Maybe."


def test_the_reported_badge_criteria_come_back_as_one_sentence() -> None:
    """The issue's case: one sentence four times, then cut mid-word by the schema's maxLength."""
    assert cut_string(LOOPED_CRITERIA, len(LOOPED_CRITERIA)) == "Learners completed a comprehensive project in Python."
    assert cut_string(LOOPED_CRITERIA, len(LOOPED_CRITERIA) + 1) == (
        "Learners completed a comprehensive project in Python. They presented a comprehensive andeng"
    )


@pytest.mark.parametrize(("reason", "expected"), [("length", "Done here."), ("stop", "Done here. And then")])
def test_a_reply_stopped_at_its_token_limit_ends_at_its_last_finished_sentence(reason: str, expected: str) -> None:
    result = ChatResult("Done here. And then", "m", "b", 1, 1, reason, 0.1)
    assert reply_text(result) == expected


words = st.text(alphabet=st.characters(categories=["L", "N"]), min_size=1, max_size=8)
sentences = (
    st.lists(words, min_size=1, max_size=6)
    .map(" ".join)
    .flatmap(lambda body: st.sampled_from([".", "!", "?", ""]).map(lambda end: body + end))
)


@given(st.lists(sentences, min_size=1, max_size=8).map(" ".join), st.integers(min_value=0, max_value=120))
def test_a_cut_is_a_prefix_within_the_limit_ending_at_a_word_or_sentence_end(text: str, limit: int) -> None:
    result = cut(text, limit)
    collapsed = collapse_repeats(text).strip()
    assert collapsed.startswith(result)
    assert len(result) <= limit
    rest = collapsed[len(result) :]
    one_word_over_the_limit = " " not in collapsed[: limit + 1] and len(collapsed) > limit
    assert not rest or rest[0].isspace() or one_word_over_the_limit


def _stream(text: str) -> list[str]:
    return re.findall(r"\S+\s*", text)


def test_the_watch_sees_a_loop_at_the_third_copy_once_its_end_has_arrived() -> None:
    watch = RepeatWatch()
    pieces = _stream("Intro sentence here. " + "The model says this again. " * 5)
    seen = [watch.feed(piece) for piece in pieces]
    third_copy_ends = 3 + 5 * LOOP_REPEATS  # pieces: 3 intro words, 5 words a copy
    assert seen.index(True) == third_copy_ends - 1


def test_the_watch_does_not_count_a_full_stop_that_may_be_a_decimal_point() -> None:
    watch = RepeatWatch()
    assert not any(watch.feed(piece) for piece in ["It costs about 3.", "5 euros in total.", " It costs about 3."])
    assert not watch.feed("5 euros in total. It costs about 3.")


def test_the_watch_lets_different_sentences_and_short_repeats_pass() -> None:
    watch = RepeatWatch()
    text = " ".join(f"Sentence number {n} is new." for n in range(50)) + " Yes. Yes. Yes. Yes. "
    assert not any(watch.feed(piece) for piece in _stream(text))
