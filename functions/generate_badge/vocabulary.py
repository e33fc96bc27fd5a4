"""The words a badge request may use, each with the one-line meaning the prompts and ``GET /options`` show.

Values are lower-case slugs; ``slug`` lets callers write them as the earlier badge API did
("Task-Oriented", "Academic"), so one request model serves both APIs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal, get_args

from localfn.functions.generate_badge.openbadges import achievement_types

__all__ = [
    "ACHIEVEMENT_TYPE_MEANINGS",
    "BADGE_LEVELS",
    "BADGE_STYLES",
    "BADGE_TONES",
    "COURSE_ACHIEVEMENT_TYPES",
    "CRITERION_STYLES",
    "FRAMEWORKS",
    "BadgeLevel",
    "BadgeStyle",
    "BadgeTone",
    "CourseAchievementType",
    "CriterionStyle",
    "Framework",
    "FrameworkInfo",
    "options",
    "slug",
]

BadgeStyle = Literal["professional", "academic", "industry", "technical", "creative"]
BadgeTone = Literal["authoritative", "encouraging", "detailed", "concise", "engaging"]
CriterionStyle = Literal["task-oriented", "evidence-based", "outcome-focused"]
BadgeLevel = Literal["beginner", "intermediate", "advanced", "expert"]

BADGE_STYLES: dict[BadgeStyle, str] = {
    "professional": "Formal, career-oriented wording that stresses workplace value and industry standards.",
    "academic": "Scholarly wording that stresses learning outcomes and academic rigour.",
    "industry": "Sector vocabulary that stresses job readiness and practical application.",
    "technical": "Precise technical wording that names tools, methods and measurable results.",
    "creative": "Lively wording that stresses original work, design and problem solving.",
}

BADGE_TONES: dict[BadgeTone, str] = {
    "authoritative": "Confident and definitive, as an institution vouching for the earner.",
    "encouraging": "Warm and motivating, recognising effort and inviting further learning.",
    "detailed": "Thorough, with concrete examples of what the earner did.",
    "concise": "Short and direct: only what a reader needs.",
    "engaging": "Vivid and dynamic, to catch a reader's attention.",
}

CRITERION_STYLES: dict[CriterionStyle, str] = {
    "task-oriented": "Criteria as the tasks the earner completed (imperative verbs: build, analyse, present).",
    "evidence-based": "Criteria as the evidence the earner produced and how it was assessed.",
    "outcome-focused": "Criteria as what the earner is now able to do (learning outcomes).",
}

BADGE_LEVELS: dict[BadgeLevel, str] = {
    "beginner": "For learners without prior knowledge: foundations and first practice.",
    "intermediate": "For learners with some background: applied tasks on their own.",
    "advanced": "For learners with solid foundations: complex, open-ended problems.",
    "expert": "For practitioners: mastery shown on real work, able to guide others.",
}

# Every achievementType of Open Badges 3.0 with a one-line meaning (after the spec's own
# definitions); a unit test keeps this table and the schema's enum identical.
ACHIEVEMENT_TYPE_MEANINGS: dict[str, str] = {
    "Achievement": "A generic achievement.",
    "ApprenticeshipCertificate": "Earned through work-based learning that meets a trade's or profession's standards.",
    "Assessment": "The result of an evaluation of the earner's ability or performance.",
    "Assignment": "The result of a curricular or co-curricular assignment or exam.",
    "AssociateDegree": "A college award for the first one to two years of post-secondary study (ISCED level 5).",
    "Award": "Recognition given for an achievement or a service.",
    "Badge": "A digital visual symbol carrying verifiable claims about a learning achievement.",
    "BachelorDegree": "An undergraduate degree, typically three to four years of study (ISCED level 6).",
    "Certificate": "Designates mastery of an occupation's knowledge and skills; may require passing an assessment.",
    "CertificateOfCompletion": "Acknowledges completing a training or activity, with or without the skills learned.",
    "Certification": "Time-limited, renewable credential from an authoritative body for performing an occupation.",
    "CommunityService": "Community service.",
    "Competency": "A measurable or observable knowledge, skill or ability.",
    "Course": "Completion of a course.",
    "CoCurricular": "A co-curricular activity.",
    "Degree": "An academic degree from a college or university.",
    "Diploma": "Successful completion of a course of study at an educational institution.",
    "DoctoralDegree": "The highest academic degree, after a bachelor's and a master's degree.",
    "Fieldwork": "The result of fieldwork.",
    "GeneralEducationDevelopment": "Awarded by examination for secondary-school-level academic skills.",
    "JourneymanCertificate": "Awarded to skilled workers on completing an apprenticeship in a trade.",
    "LearningProgram": "A set of learning opportunities leading to an outcome such as a credential.",
    "License": "Legal authority from a government or authorised body to do a specific job.",
    "Membership": "Membership of an organisation.",
    "ProfessionalDoctorate": "A doctorate giving the knowledge and skills required for professional practice.",
    "QualityAssuranceCredential": "Assures that an organisation, programme or credential meets set requirements.",
    "MasterCertificate": "The highest level of skill in a trade, shown through apprenticeship.",
    "MasterDegree": "A graduate degree advancing skills beyond a bachelor's degree.",
    "MicroCredential": "A focused subset of a field's knowledge, skills or competencies, often stackable.",
    "ResearchDoctorate": "A doctorate for original research beyond the master level, with a thesis.",
    "SecondarySchoolDiploma": "Successful completion of a secondary school programme.",
}

# The types a model may choose for one course: degrees, licences and memberships are not
# something a course description can justify, so the model is never offered them.
CourseAchievementType = Literal["Badge", "Course", "CertificateOfCompletion", "Competency", "MicroCredential", "Certificate", "Assessment"]
COURSE_ACHIEVEMENT_TYPES: tuple[str, ...] = get_args(CourseAchievementType)

Framework = Literal["ESCO", "O*NET", "SFIA", "DigComp", "CEFR", "NICE"]


@dataclass(frozen=True)
class FrameworkInfo:
    title: str
    url: str  # the framework's own home page: a model cannot be trusted to invent item URLs


FRAMEWORKS: dict[Framework, FrameworkInfo] = {
    "ESCO": FrameworkInfo("European Skills, Competences, Qualifications and Occupations", "https://esco.ec.europa.eu/"),
    "O*NET": FrameworkInfo("O*NET Occupational Information Network", "https://www.onetcenter.org/"),
    "SFIA": FrameworkInfo("Skills Framework for the Information Age", "https://sfia-online.org/"),
    "DigComp": FrameworkInfo("Digital Competence Framework for Citizens", "https://joint-research-centre.ec.europa.eu/digcomp_en"),
    "CEFR": FrameworkInfo(
        "Common European Framework of Reference for Languages",
        "https://www.coe.int/en/web/common-european-framework-reference-languages",
    ),
    "NICE": FrameworkInfo("NICE Workforce Framework for Cybersecurity", "https://www.nist.gov/itl/applied-cybersecurity/nice"),
}


def slug(value: object) -> object:
    """'Task-Oriented', 'task_oriented' and 'Task oriented' all become 'task-oriented'; other types pass through."""
    if isinstance(value, str):
        return "-".join(value.strip().lower().replace("_", " ").split())
    return value


def options() -> dict[str, list[dict[str, str]]]:
    """Every accepted value with its meaning, for ``GET /options``; achievement types come from the OB 3.0 schema."""

    def listed(meanings: Iterable[tuple[str, str]]) -> list[dict[str, str]]:
        return [{"value": value, "meaning": meaning} for value, meaning in meanings]

    return {
        "badge_styles": listed(BADGE_STYLES.items()),
        "badge_tones": listed(BADGE_TONES.items()),
        "criterion_styles": listed(CRITERION_STYLES.items()),
        "badge_levels": listed(BADGE_LEVELS.items()),
        "achievement_types": listed((name, ACHIEVEMENT_TYPE_MEANINGS[name]) for name in achievement_types()),
    }
