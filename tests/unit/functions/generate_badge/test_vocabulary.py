"""generate-badge's vocabulary: every value has a meaning, and the OB 3.0 names match 1EdTech's schema."""

from __future__ import annotations

from typing import get_args

import pytest

from localfn.functions.generate_badge.openbadges import achievement_types
from localfn.functions.generate_badge.vocabulary import (
    ACHIEVEMENT_TYPE_MEANINGS,
    BADGE_LEVELS,
    BADGE_STYLES,
    BADGE_TONES,
    COURSE_ACHIEVEMENT_TYPES,
    CRITERION_STYLES,
    FRAMEWORKS,
    BadgeLevel,
    BadgeStyle,
    BadgeTone,
    CriterionStyle,
    Framework,
    options,
    slug,
)
from tests.support.openbadges import ACHIEVEMENT_TYPES


@pytest.mark.parametrize(
    ("literal", "meanings"),
    [
        (BadgeStyle, BADGE_STYLES),
        (BadgeTone, BADGE_TONES),
        (CriterionStyle, CRITERION_STYLES),
        (BadgeLevel, BADGE_LEVELS),
        (Framework, FRAMEWORKS),
    ],
    ids=["styles", "tones", "criterion-styles", "levels", "frameworks"],
)
def test_every_accepted_value_has_a_meaning(literal: object, meanings: dict[str, object]) -> None:
    assert list(meanings) == list(get_args(literal))


def test_achievement_types_are_read_from_the_schema_and_all_explained() -> None:
    assert list(achievement_types()) == ACHIEVEMENT_TYPES
    assert set(ACHIEVEMENT_TYPE_MEANINGS) == set(ACHIEVEMENT_TYPES)
    assert set(COURSE_ACHIEVEMENT_TYPES) <= set(ACHIEVEMENT_TYPES)


def test_options_lists_each_value_once_with_a_one_line_meaning() -> None:
    listed = options()
    assert [o["value"] for o in listed["badge_styles"]] == list(BADGE_STYLES)
    assert [o["value"] for o in listed["achievement_types"]] == ACHIEVEMENT_TYPES
    for values in listed.values():
        assert all(o["meaning"] and "\n" not in o["meaning"] for o in values)


def test_framework_urls_are_https() -> None:
    assert all(info.url.startswith("https://") for info in FRAMEWORKS.values())


@pytest.mark.parametrize(
    ("given", "expected"),
    [
        ("Task-Oriented", "task-oriented"),
        ("evidence_based", "evidence-based"),
        ("  Outcome  Focused ", "outcome-focused"),
        ("Academic", "academic"),
        (None, None),
        (3, 3),
    ],
)
def test_slug_accepts_the_earlier_apis_spelling(given: object, expected: object) -> None:
    assert slug(given) == expected
