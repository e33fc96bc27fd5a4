"""What the model writes: the text of a badge, never the Open Badges envelope around it.

The JSON Schemas of these models constrain the engine's decoding. Every free text carries a
``maxLength`` (about the limits the quality rules apply): a small model that starts
repeating one sentence then has to close its string, and the reply stays valid JSON
within its token budget instead of being cut off. Description and criteria carry a
``minLength`` of 1, so decoding cannot leave them empty; a name may be empty, as ``tidy``
then names the badge after the course. The string it closed may end mid-word
and hold copies of one sentence: ``quality.tidy`` collapses the copies and drops the
unfinished end. The finer limits are checked after generation (``quality.py``).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field

from localfn.functions.generate_badge.vocabulary import CourseAchievementType, Framework

__all__ = [
    "DRAFT_MAX_CHARS",
    "AlignmentDraft",
    "BadgeDraft",
    "CriteriaDraft",
    "DescriptionDraft",
    "NameDraft",
    "SkillsDraft",
]

# The maxLength of each text, by field ("skill": each of the skills). Constrained decoding
# closes a string that reaches it, wherever it is: such a text may end mid-word (quality.tidy).
DRAFT_MAX_CHARS = {"name": 100, "description": 600, "criteria": 800, "skill": 60, "competency": 100, "estimated_duration": 40}

Name = Annotated[
    str,
    Field(
        max_length=DRAFT_MAX_CHARS["name"],
        description="A short title naming the course's subject, 2 to 6 words.",
    ),
]
Description = Annotated[
    str,
    Field(
        min_length=1,
        max_length=DRAFT_MAX_CHARS["description"],
        description="One to three sentences on what the badge certifies the earner can do.",
    ),
]
Criteria = Annotated[
    str,
    Field(
        min_length=1,
        max_length=DRAFT_MAX_CHARS["criteria"],
        description="What the earner did to earn the badge and how it was assessed.",
    ),
]
Skills = Annotated[
    list[Annotated[str, Field(max_length=DRAFT_MAX_CHARS["skill"])]],
    Field(min_length=1, max_length=6, description="Skills the course teaches, in the course's own words."),
]


class AlignmentDraft(BaseModel):
    framework: Framework
    competency: str = Field(
        max_length=DRAFT_MAX_CHARS["competency"],
        description="The framework's competency or skill the course matches, by name.",
    )


class BadgeDraft(BaseModel):
    name: Name
    description: Description
    criteria: Criteria
    skills: Skills
    achievement_type: CourseAchievementType
    estimated_duration: str = Field(
        max_length=DRAFT_MAX_CHARS["estimated_duration"],
        description="Time to complete the course, e.g. '30 hours' or '6 weeks'.",
    )
    alignments: list[AlignmentDraft] = Field(
        default_factory=list, max_length=2, description="Only frameworks the course clearly matches; often none."
    )


class NameDraft(BaseModel):
    name: Name


class DescriptionDraft(BaseModel):
    description: Description


class CriteriaDraft(BaseModel):
    criteria: Criteria


class SkillsDraft(BaseModel):
    skills: Skills
