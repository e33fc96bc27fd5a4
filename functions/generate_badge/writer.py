"""The model's part: prompts in, checked and tidied badge text out."""

from __future__ import annotations

import json
from typing import Any

from pydantic import BaseModel

from localfn.functions.generate_badge.drafts import BadgeDraft, CriteriaDraft, DescriptionDraft, NameDraft, SkillsDraft
from localfn.functions.generate_badge.models import BadgeInput
from localfn.functions.generate_badge.quality import CourseText, hard_checks, soft_checks, tidy
from localfn.functions.generate_badge.vocabulary import (
    ACHIEVEMENT_TYPE_MEANINGS,
    BADGE_LEVELS,
    BADGE_STYLES,
    BADGE_TONES,
    COURSE_ACHIEVEMENT_TYPES,
    CRITERION_STYLES,
    FRAMEWORKS,
)
from localfn.prompts import Prompt, load_prompts
from localfn.runtime import Runtime
from localfn.structured import Structured

__all__ = ["FIELD_DRAFTS", "BadgeWriter"]

# Room for a whole badge as JSON, and for one field. The drafts' maxLengths bound a badge to
# about 2,300 characters (name 100, description 600, criteria 800, skills, duration,
# alignments), which a small model does fill by copying the course: 1,200 tokens lets every
# schema-bounded reply close its JSON, while a looping model still cannot run for minutes.
BADGE_MAX_TOKENS = 1200
FIELD_MAX_TOKENS = 400

# The output model for each field a regeneration may rewrite with the model.
FIELD_DRAFTS: dict[str, type[BaseModel]] = {
    "name": NameDraft,
    "description": DescriptionDraft,
    "criteria": CriteriaDraft,
    "skills": SkillsDraft,
}
# The fields of a whole badge that tidy() cleans.
_TIDIED = ("name", "description", "criteria", "skills", "estimated_duration", "alignments")


class BadgeWriter:
    def __init__(self, runtime: Runtime) -> None:
        self._runtime = runtime
        self._prompts: dict[str, Prompt] = load_prompts("localfn.functions.generate_badge")

    async def draft(self, badge: BadgeInput, *, instructions: str | None = None) -> tuple[BadgeDraft, Structured[BadgeDraft]]:
        """A whole badge's text, checked and tidied, and what writing it cost."""
        values = {
            **_common(badge, instructions),
            "level": f"{badge.badge_level}: {BADGE_LEVELS[badge.badge_level]}" if badge.badge_level else "not stated",
            "institution": f"\nIssuing institution: {badge.institution}" if badge.institution else "",
            "types": "\n".join(f"  {name}: {ACHIEVEMENT_TYPE_MEANINGS[name]}" for name in COURSE_ACHIEVEMENT_TYPES),
            "frameworks": "\n".join(f"  {name}: {info.title}" for name, info in FRAMEWORKS.items()),
        }
        course = CourseText(badge.course_input)
        written = await self._ask(self._prompts["badge"], values, BadgeDraft, BADGE_MAX_TOKENS, course)
        data = written.value.model_dump()
        return BadgeDraft.model_validate(data | tidy({key: data[key] for key in _TIDIED}, course)), written

    async def rewrite(
        self, field: str, badge: BadgeInput, current: dict[str, Any], instructions: str | None
    ) -> tuple[Any, Structured[BaseModel]]:
        """A new value for one field (name, description, criteria or skills), checked and tidied."""
        output = FIELD_DRAFTS[field]
        values = {
            **_common(badge, instructions),
            "field": field,
            "guidance": output.model_fields[field].description or "",
            "badge": json.dumps(current, ensure_ascii=False, indent=1),
        }
        course = CourseText(badge.course_input)
        written = await self._ask(self._prompts["rewrite"], values, output, FIELD_MAX_TOKENS, course)
        fields = tidy(written.value.model_dump(), course)
        return fields[field], written

    async def _ask(
        self, prompt: Prompt, values: dict[str, object], output: type[Any], max_tokens: int, course: CourseText
    ) -> Structured[Any]:
        """A reply that passes the schema and the hard rules; one that breaks a soft rule is re-asked
        once if a repair is left, and what still breaks one is left to tidy()."""
        request = self._runtime.chat_request(prompt.render(**values), max_tokens=max_tokens)
        return await self._runtime.structured(request, output, checks=hard_checks(course), soft=soft_checks(course))


def _common(badge: BadgeInput, instructions: str | None) -> dict[str, object]:
    """Values both prompts use."""
    extra = " ".join(text for text in (badge.custom_instructions, instructions) if text)
    return {
        "course": badge.course_input,
        "style": f"{badge.badge_style}: {BADGE_STYLES[badge.badge_style]}",
        "tone": f"{badge.badge_tone}: {BADGE_TONES[badge.badge_tone]}",
        "criterion_style": f"{badge.criterion_style}: {CRITERION_STYLES[badge.criterion_style]}",
        "language": badge.language,
        "instructions": f"\nAlso follow these instructions from the course provider: {extra}" if extra else "",
    }
