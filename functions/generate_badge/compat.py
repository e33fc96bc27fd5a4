"""The earlier badge API's shapes, mapped onto generate-badge, for the clients that still call it.

That API took the style fields as free strings, where "" meant "any", answered with
``{"badge_id", "credentialSubject": {"achievement"}}`` and listed history as
``{"history", "total_count"}``. Fields it accepted that localfn has no use for (its
image-generator settings) are ignored rather than refused, so its clients keep working.
"""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from localfn.functions.generate_badge.models import BadgeField, GenerateBadgeRequest, GenerateBadgeResponse, HistoryPage
from localfn.functions.generate_badge.vocabulary import options
from localfn.problems import invalid_input

__all__ = [
    "LegacyBadge",
    "LegacyCleared",
    "LegacyGenerateRequest",
    "LegacyHistory",
    "LegacyRegenerateRequest",
    "LegacyStyles",
    "legacy_badge",
    "legacy_cleared",
    "legacy_history",
    "legacy_styles",
]

_OPTIONAL = ("badge_style", "badge_tone", "criterion_style", "badge_level", "institution", "custom_instructions")


class _Legacy(BaseModel):
    # Built on first use (pydantic's defer_build), not at import: only the earlier API's
    # routes need these models, and a cold start would pay for them (bench/perf cold_start).
    model_config = ConfigDict(defer_build=True)


class LegacyGenerateRequest(_Legacy):
    model_config = ConfigDict(extra="ignore")

    course_input: str
    badge_style: str | None = None
    badge_tone: str | None = None
    criterion_style: str | None = None
    badge_level: str | None = None
    institution: str | None = None
    custom_instructions: str | None = None

    def to_request(self) -> GenerateBadgeRequest:
        """The request in localfn's terms; "" (the earlier "any") becomes the default."""
        data: dict[str, Any] = {"course_input": self.course_input}
        data |= {name: value for name in _OPTIONAL if (value := getattr(self, name))}
        try:
            return GenerateBadgeRequest.model_validate(data)
        except ValidationError as exc:
            raise invalid_input(exc) from exc


class LegacyRegenerateRequest(LegacyGenerateRequest):
    """With ``badge_id``: a new version of that badge; without: a new badge from ``course_input``, as before."""

    course_input: str = ""
    badge_id: str | None = None
    field: BadgeField | None = Field(default=None, description="The one field to change; none: the whole badge.")


class LegacySubject(_Legacy):
    achievement: dict[str, Any] = Field(description="An Open Badges 3.0 Achievement.")


class LegacyBadge(_Legacy):
    """The earlier API's answer for a badge."""

    badge_id: str
    credentialSubject: LegacySubject  # the earlier API's name


class LegacyHistoryItem(_Legacy):
    id: str
    badge_id: str
    badge_name: str
    course_input: str = Field(description="The start of the course description.")
    timestamp: str
    version: int
    parent_id: str | None


class LegacyHistory(_Legacy):
    """The earlier API's history: the newest badges, at most 50."""

    history: list[LegacyHistoryItem]
    total_count: int


class LegacyCleared(_Legacy):
    message: str
    deleted: int


class LegacyStyles(_Legacy):
    """Each choice's values mapped to their meanings."""

    badge_styles: dict[str, str]
    badge_tones: dict[str, str]
    criterion_styles: dict[str, str]
    badge_levels: dict[str, str]


def legacy_badge(badge: GenerateBadgeResponse) -> LegacyBadge:
    return LegacyBadge(badge_id=badge.id, credentialSubject=LegacySubject(achievement=badge.achievement))


def legacy_history(page: HistoryPage) -> LegacyHistory:
    history = [
        LegacyHistoryItem(
            id=item.id,
            badge_id=item.id,
            badge_name=item.name,
            course_input=item.course_excerpt,
            timestamp=item.created_at.isoformat(),
            version=item.version,
            parent_id=item.parent_id,
        )
        for item in page.items
    ]
    return LegacyHistory(history=history, total_count=page.total)


def legacy_cleared(deleted: int) -> LegacyCleared:
    return LegacyCleared(message=f"{deleted} stored badges deleted", deleted=deleted)


def legacy_styles() -> LegacyStyles:
    return LegacyStyles.model_validate(
        {key: {o["value"]: o["meaning"] for o in values} for key, values in options().items() if key != "achievement_types"}
    )
