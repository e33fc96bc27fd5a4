"""The icon library and the TF-IDF matcher over it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from localfn.functions.generate_badge.icons import IconMatcher

ICONS = Path(__file__).parents[4] / "assets" / "icons"
COURSES = Path(__file__).parents[3] / "fixtures" / "courses"


@pytest.fixture(scope="module")
def matcher() -> IconMatcher:
    return IconMatcher.from_library()


def test_the_library_has_at_least_100_licensed_icons_each_with_metadata(matcher: IconMatcher) -> None:
    assert len(matcher.icons) >= 100
    assert "MIT" in (ICONS / "LICENSE").read_text()
    listed = json.loads((ICONS / "icons.json").read_text())["icons"]
    assert {icon["file"] for icon in listed} == {f"svg/{p.name}" for p in (ICONS / "svg").glob("*.svg")}
    assert all(icon.keywords and icon.category for icon in matcher.icons)


@pytest.mark.parametrize(
    ("course", "icon"),
    [("python-intro.txt", "code"), ("food-safety.txt", "apple"), ("data-analysis.txt", "chart-bar")],
)
def test_courses_get_icons_of_their_subject(matcher: IconMatcher, course: str, icon: str) -> None:
    names = [match.icon.name for match in matcher.rank((COURSES / course).read_text())]
    assert icon in names


def test_credential_words_do_not_pull_achievement_icons_up(matcher: IconMatcher) -> None:
    best = matcher.rank("Certificate in financial accounting: certification course on ledgers and balance sheets")[0]
    assert best.icon.category == "finance"


def test_ranking_is_deterministic_and_scored_best_first(matcher: IconMatcher) -> None:
    text = (COURSES / "data-analysis.txt").read_text()
    first, again = matcher.rank(text), IconMatcher.from_library().rank(text)
    assert first == again
    assert [m.score for m in first] == sorted((m.score for m in first), reverse=True)


def test_text_sharing_no_word_with_the_library_gets_the_fallback_icons(matcher: IconMatcher) -> None:
    assert [(m.icon.name, m.score) for m in matcher.rank("zzzz qqqq")] == [
        ("school", 0.0),
        ("books", 0.0),
        ("award", 0.0),
    ]


def test_every_icon_file_is_an_svg(matcher: IconMatcher) -> None:
    assert all("<svg" in icon.svg() for icon in matcher.icons)
