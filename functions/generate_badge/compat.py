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

__all__ = ["LegacyGenerateRequest", "LegacyRegenerateRequest", "legacy_badge", "legacy_history", "legacy_styles"]

_OPTIONAL = ("badge_style", "badge_tone", "criterion_style", "badge_level", "institution", "custom_instructions")


class LegacyGenerateRequest(BaseModel):
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


def legacy_badge(badge: GenerateBadgeResponse) -> dict[str, Any]:
    return {"badge_id": badge.id, "credentialSubject": {"achievement": badge.achievement}}


def legacy_history(page: HistoryPage) -> dict[str, Any]:
    history = [
        {
            "id": item.id,
            "badge_id": item.id,
            "badge_name": item.name,
            "course_input": item.course_excerpt,
            "timestamp": item.created_at.isoformat(),
            "version": item.version,
            "parent_id": item.parent_id,
        }
        for item in page.items
    ]
    return {"history": history, "total_count": page.total}


def legacy_styles() -> dict[str, dict[str, str]]:
    return {
        key: {o["value"]: o["meaning"] for o in values}
        for key, values in options().items()
        if key != "achievement_types"
    }
