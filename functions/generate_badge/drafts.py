"""What the model writes: the text of a badge, never the Open Badges envelope around it.

The JSON Schemas of these models constrain the engine's decoding. Every free text carries a
``maxLength`` (about the limits the quality rules apply): a small model that starts
repeating one sentence then has to close its string, and the reply stays valid JSON
within its token budget instead of being cut off. The finer limits are checked after
generation (``quality.py``).
"""

from __future__ import annotations

from typing import Annotated

from pydantic import BaseModel, Field

from localfn.functions.generate_badge.vocabulary import CourseAchievementType, Framework

__all__ = ["AlignmentDraft", "BadgeDraft", "CriteriaDraft", "DescriptionDraft", "NameDraft", "SkillsDraft"]

Name = Annotated[str, Field(max_length=100, description="A short title naming the course's subject, 2 to 6 words.")]
Description = Annotated[
    str, Field(max_length=600, description="One to three sentences on what the badge certifies the earner can do.")
]
Criteria = Annotated[
    str, Field(max_length=800, description="What the earner did to earn the badge and how it was assessed.")
]
Skills = Annotated[
    list[Annotated[str, Field(max_length=60)]],
    Field(min_length=1, max_length=6, description="Skills the course teaches, in the course's own words."),
]


class AlignmentDraft(BaseModel):
    framework: Framework
    competency: str = Field(
        max_length=100, description="The framework's competency or skill the course matches, by name."
    )


class BadgeDraft(BaseModel):
    name: Name
    description: Description
    criteria: Criteria
    skills: Skills
    achievement_type: CourseAchievementType
    estimated_duration: str = Field(
        max_length=40, description="Time to complete the course, e.g. '30 hours' or '6 weeks'."
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
