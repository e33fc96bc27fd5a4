"""generate-badge's request models: what they accept, normalise and refuse."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from localfn.functions.generate_badge.models import ClearQuery, GenerateBadgeRequest, HistoryQuery, RegenerateRequest

ISSUER = {"id": "did:web:example.edu", "name": "Example University"}


def request(**fields: Any) -> GenerateBadgeRequest:
    return GenerateBadgeRequest.model_validate({"course_input": "  Python for beginners.  ", **fields})


def test_defaults_and_normalisation() -> None:
    made = request(language="pt_br", badge_level="Advanced", institution="  ", custom_instructions=" be brief ")
    assert made.course_input == "Python for beginners."
    assert (made.badge_style, made.badge_tone, made.criterion_style) == (
        "professional",
        "encouraging",
        "evidence-based",
    )
    assert (made.language, made.badge_level) == ("pt-BR", "advanced")
    assert (made.institution, made.custom_instructions) == (None, "be brief")


@pytest.mark.parametrize("tag", ["en", "de-AT", "zh-Hant-TW", "es-419"])
def test_language_tags_match_the_ob3_pattern(tag: str) -> None:
    assert request(language=tag.lower()).language == tag


@pytest.mark.parametrize("achievement_type", ["Certification", "ext:Apprenticeship"])
def test_any_ob3_achievement_type_or_an_extension_may_be_fixed(achievement_type: str) -> None:
    assert request(achievement_type=achievement_type).achievement_type == achievement_type


def test_the_echoed_input_never_holds_the_recipient() -> None:
    made = request(recipient="ada@example.org", issuer=ISSUER)
    assert "recipient" not in made.badge_input().model_dump()


@pytest.mark.parametrize(
    "fields",
    [
        {"course_input": ""},
        {"recipient": "ada@example.org"},
        {"recipient": "ada", "issuer": ISSUER},
        {"issuer": {"id": "https://x.org", "name": "X", "url": "ftp://x.org"}},
        {"custom_instructions": "x" * 2001},
        {"extra": 1},
    ],
    ids=["empty", "no-issuer", "bad-recipient", "issuer-url", "long-instructions", "unknown-field"],
)
def test_invalid_requests_are_refused(fields: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        request(**fields)


def test_regenerate_needs_exactly_one_source() -> None:
    with pytest.raises(ValidationError, match="either badge_id or badge"):
        RegenerateRequest.model_validate({})
    assert RegenerateRequest.model_validate({"badge_id": "b1", "field": "skills"}).field == "skills"


def test_history_queries() -> None:
    assert HistoryQuery.model_validate({}).limit == 20
    with pytest.raises(ValidationError):
        HistoryQuery.model_validate({"limit": "500"})
    with pytest.raises(ValidationError, match="confirm=true"):
        ClearQuery.model_validate({})
    assert ClearQuery.model_validate({"confirm": "true"}).confirm is True
