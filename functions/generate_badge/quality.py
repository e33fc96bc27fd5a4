"""Quality rules for what the model writes, and the deterministic clean-up after it.

Two kinds of rule:

* hard rules (blank fields, placeholder text such as "[Course Name]") make the reply fail
  (a blank name does not when the course has a title or key phrases: ``tidy`` names it);
  ``chat_structured`` re-asks, and a model that never complies gets a 502;
* soft rules (lengths, a name that does not name the subject, skills that are not short
  names taken from the course, a duration that is none) are worth one re-ask when a repair
  is left (``writer.py``), never an error: ``tidy`` fixes what is left. Every text is cut
  by one rule (``localfn.sentences.cut``: a repeated sentence kept once, a cut at a
  sentence end, else a word end, never mid-word, and a text the decoding's maxLength
  closed loses its unfinished end); names too long lose words (or become the course's
  title), skills not from the course are replaced by its key phrases, durations by the one
  the course states. A weak model then still yields a usable badge.
"""

from __future__ import annotations

import math
import re
from collections import Counter
from collections.abc import Callable
from functools import cached_property
from typing import Any

from pydantic import BaseModel

from localfn.functions.generate_badge.drafts import DRAFT_MAX_CHARS
from localfn.functions.generate_badge.stop_words import ENGLISH_STOP_WORDS
from localfn.sentences import cut, cut_string

__all__ = ["CourseText", "hard_checks", "soft_checks", "tidy"]

NAME_MAX_CHARS = 60
NAME_MAX_WORDS = 8
TEXT_MAX_CHARS = {"description": 600, "criteria": 800, "estimated_duration": 60}
SKILL_MAX_CHARS = 60
SKILL_MAX_WORDS = 5
MIN_SKILLS = 3
MAX_SKILLS = 6

Check = Callable[[BaseModel], list[str]]

_WORD = re.compile(r"[a-z0-9][a-z0-9+#]*")
_PHRASE_WORD = re.compile(r"[A-Za-z][A-Za-z0-9+#]*(?:-[A-Za-z0-9]+)*|[0-9]+|[^\sA-Za-z0-9]")
# Placeholder text models copy from templates: [Course Name], {{name}}, <topic>, lorem ipsum, TBD.
_PLACEHOLDER = re.compile(
    r"\[[^\]\n]{1,60}\]|\{\{[^}\n]*\}\}|<[^<>\n]{1,40}>|\b(?:lorem|ipsum|tbd|tba|todo|placeholder|xxx+)\b"
    r"|\binsert\s+(?:\w+\s+){0,3}here\b",
    re.IGNORECASE,
)
# "30 hours", "six-week", "a day": what a duration must contain.
# Fields tidy always repairs, so the hard rules leave them alone (see _checked).
_TIDIED = ("estimated_duration", "alignments/")
_DURATION = re.compile(
    r"\b(\d+(?:\.\d+)?|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve|a|an)[\s-]+"
    r"(minute|hour|day|week|month|semester|term|year)s?\b",
    re.IGNORECASE,
)
_SUFFIXES = ("ations", "ation", "ings", "ing", "ies", "ied", "ers", "er", "ed", "ly")
_ES_PLURALS = ("sses", "xes", "ches", "shes", "zes")
# Words that never start or continue a skill's name: what every course description says
# (course, week, learners, level), and the commonest verbs around the subject ("write files").
_NOT_SKILL = ENGLISH_STOP_WORDS | frozenset(
    "course courses class classes student students learner learners learn learning learns participant participants "
    "week weeks weekly hour hours day days month months module modules lesson lessons unit units session sessions "
    "introduction intro introductory beginner beginners intermediate advanced expert level levels final graded "
    "teach teaches taught study studies expect able end ends use uses using small basic basics new include "
    "includes including cover covers covering certificate certification badge badges complete completes "
    "completion program programme overview absolute main key core essential various different several "
    "description descriptions title name "
    "write writes read reads handle handles call called contain contains absorb absorbs combine combines fix fixes "
    "produce produces convert converts become becomes explain explains explore explores develop develops apply "
    "applies understand understands work works build builds create creates design designs make makes made get gets "
    "take takes give gives show shows find finds know knows need needs help helps provide provides close closes "
    "start starts serve serves store stores prepare prepares deploy deploys tune tunes".split()
)


def stem(word: str) -> str:
    """A crude stem, enough to see that 'programs' and 'programming' or 'analysis' and 'analyze' match."""
    for suffix in _SUFFIXES:
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)][:5]
    if word.endswith(_ES_PLURALS):
        word = word[:-2]
    elif word.endswith("s") and not word.endswith("ss") and len(word) > 3:
        word = word[:-1]
    return word[:5]


def _stems(text: str) -> list[str]:
    return [stem(word) for word in _WORD.findall(text.lower()) if word not in ENGLISH_STOP_WORDS and len(word) > 1]


def _content_stems(text: str) -> list[str]:
    """Stems of the words that say what a course is about (not "course", "introduction", "week")."""
    return [stem(word) for word in _WORD.findall(text.lower()) if word not in _NOT_SKILL]


class CourseText:
    """The course description, with what the rules ask of it: which words it uses, and its key phrases."""

    def __init__(self, text: str) -> None:
        self.text = text
        self._stems = set(_stems(text))
        self._lower = text.lower()

    def grounds(self, phrase: str) -> bool:
        """True when at least half of the phrase's content words occur in the course (by stem)."""
        stems = _stems(phrase)
        return bool(stems) and 2 * sum(s in self._stems for s in stems) >= len(stems)

    def contains(self, fragment: str) -> bool:
        return fragment.lower() in self._lower

    def placeholders(self, text: str) -> list[str]:
        """Placeholder text in ``text`` (``[Course Name]``, TBD), unless the course itself has it (an HTML <tag>)."""
        return [m.group(0) for m in _PLACEHOLDER.finditer(text) if not self.contains(m.group(0))]

    def names_subject(self, name: str) -> bool:
        """True when the name shares a word (beyond filler) with the course's title, or with the course
        when it has no title: "Variables and Loops" does not name "Introduction to Python Programming"."""
        return bool(self._subject_stems & set(_content_stems(name)))

    @cached_property
    def title(self) -> str | None:
        """The course's first line when it reads as a badge name (short, with a word beyond filler)."""
        first = next((line.strip(" .:") for line in self.text.splitlines() if line.strip()), "")
        fits = 2 <= len(first.split()) <= NAME_MAX_WORDS and len(first) <= NAME_MAX_CHARS
        return first if fits and _content_stems(first) else None

    @cached_property
    def _subject_stems(self) -> set[str]:
        return set(_content_stems(self.title)) if self.title else self._stems

    @cached_property
    def duration(self) -> str | None:
        """The first duration the course states ("six-week" -> "six weeks")."""
        match = _DURATION.search(self.text)
        if match is None:
            return None
        number, unit = match.group(1), match.group(2).lower()
        return f"{number} {unit}" if number.lower() in ("1", "one", "a", "an") else f"{number} {unit}s"

    def fits_skill(self, skill: str) -> bool:
        """A skill is a short name whose words the course uses."""
        return len(skill.split()) <= SKILL_MAX_WORDS and len(skill) <= SKILL_MAX_CHARS and self.grounds(skill)

    @cached_property
    def keyphrases(self) -> list[str]:
        """Up to MAX_SKILLS key phrases: runs of one to three content words, the most frequent first.

        A phrase scores its number of occurrences times the summed log-frequency of its words,
        so repeated topic words ("carbon dioxide", "Kubernetes") beat one-off adjectives.
        """
        runs: list[list[str]] = [[]]
        for token in _PHRASE_WORD.findall(self.text):
            if token.lower() in _NOT_SKILL or not token[0].isalpha():
                runs.append([])
            else:
                runs[-1].append(token)
        frequency = Counter(stem(word.lower()) for run in runs for word in run)
        found: dict[tuple[str, ...], tuple[int, str, int]] = {}  # stems -> (count, first wording, first position)
        position = 0
        for run in runs:
            for start in range(len(run)):
                for end in range(start + 1, min(start + 3, len(run)) + 1):
                    key = tuple(stem(word.lower()) for word in run[start:end])
                    count, wording, first = found.get(key, (0, " ".join(run[start:end]), position))
                    found[key] = (count + 1, wording, first)
                position += 1

        def rank(item: tuple[tuple[str, ...], tuple[int, str, int]]) -> tuple[float, int]:
            key, (count, _, first) = item
            return -count * sum(math.log1p(frequency[s]) for s in key), first

        chosen: dict[frozenset[str], str] = {}
        for key, (_, wording, _) in sorted(found.items(), key=rank):
            stems = frozenset(key)
            if any(stems <= taken for taken in chosen):
                continue
            # "Food Safety" replaces the "Food" chosen before it.
            chosen = {taken: text for taken, text in chosen.items() if not taken < stems}
            chosen[stems] = wording
            if len(chosen) == MAX_SKILLS:
                break
        return list(chosen.values())


def _strings(data: Any, path: str = "") -> list[tuple[str, str]]:
    """Every string in a reply, with its path (``skills/1``)."""
    if isinstance(data, str):
        return [(path, data)]
    if isinstance(data, dict):
        return [item for key, value in data.items() for item in _strings(value, f"{path}/{key}".lstrip("/"))]
    if isinstance(data, list):
        return [item for index, value in enumerate(data) for item in _strings(value, f"{path}/{index}")]
    return []


def _checked(reply: BaseModel) -> list[tuple[str, str]]:
    """The strings hard rules judge: all but those ``tidy`` always repairs (a duration that is not one is
    replaced, an alignment the course does not ground is dropped), which are not worth a re-ask or a 502."""
    return [(path, text) for path, text in _strings(reply.model_dump()) if not path.startswith(_TIDIED)]


def hard_checks(course: CourseText) -> list[Check]:
    """Rules a reply must pass; placeholder-like text that the course itself contains (an HTML <tag>) is allowed."""

    # A blank name is no reason to fail: tidy names the badge after the course's title (or key phrase).
    repairable = {"name"} if course.title or course.keyphrases else set()

    def not_blank(reply: BaseModel) -> list[str]:
        blank = [path for path, text in _checked(reply) if not text.strip() and path not in repairable]
        return [f"{path}: is empty; write it out" for path in blank]

    def no_placeholders(reply: BaseModel) -> list[str]:
        problems = []
        for path, text in _checked(reply):
            if found := course.placeholders(text):
                problems.append(f"{path}: {found[0]!r} is placeholder text; write the real content from the course")
        return problems

    return [not_blank, no_placeholders]


def soft_checks(course: CourseText) -> list[Check]:
    """Rules worth one re-ask; ``tidy`` fixes whatever still breaks them."""

    def lengths(reply: BaseModel) -> list[str]:
        data = reply.model_dump()
        problems = []
        name = data.get("name")
        if isinstance(name, str) and (len(name) > NAME_MAX_CHARS or len(name.split()) > NAME_MAX_WORDS):
            problems.append(f"name: too long; use at most {NAME_MAX_WORDS} words and {NAME_MAX_CHARS} characters")
        for field, limit in TEXT_MAX_CHARS.items():
            text = data.get(field)
            if isinstance(text, str) and len(text) > limit:
                problems.append(f"{field}: {len(text)} characters; keep it under {limit}")
        return problems

    def subject_name(reply: BaseModel) -> list[str]:
        name = reply.model_dump().get("name")
        if isinstance(name, str) and not course.names_subject(name):
            return [f"name: {name!r} does not name the course's subject; use words of the course's title"]
        return []

    def skills_from_course(reply: BaseModel) -> list[str]:
        skills = reply.model_dump().get("skills") or []
        strays = [skill for skill in skills if not course.fits_skill(skill)]
        if not strays:
            return []
        return [
            (
                f"skills: {', '.join(map(repr, strays))} are not short skill names taken from the course text; "
                f"use 1 to {SKILL_MAX_WORDS - 1} words the course uses"
            )
        ]

    def duration(reply: BaseModel) -> list[str]:
        text = reply.model_dump().get("estimated_duration")
        if isinstance(text, str) and not _DURATION.search(text):
            return [f"estimated_duration: {text!r} is not a duration such as '30 hours' or '6 weeks'"]
        return []

    return [lengths, subject_name, skills_from_course, duration]


def _finished(field: str, text: str, limit: int | None = None) -> str:
    """``text`` cut by the rule within ``limit`` (a text that reached its maxLength loses its unfinished end), on one line."""
    return " ".join(cut_string(text, DRAFT_MAX_CHARS[field], limit).split())


def _tidy_skills(skills: list[str], course: CourseText) -> list[str]:
    skills = [_finished("skill", skill) for skill in skills]
    kept: list[str] = []
    for skill in (s.strip(" .;,") for s in skills):
        if course.fits_skill(skill) and skill.lower() not in map(str.lower, kept):
            kept.append(skill)
    for phrase in course.keyphrases:
        if len(kept) >= MIN_SKILLS:
            break
        if not any(set(_stems(phrase)) <= set(_stems(skill)) for skill in kept):
            kept.append(phrase)
    # A course too short for key phrases keeps what the model wrote rather than no skills at all.
    return kept[:MAX_SKILLS] or [cut(skill, SKILL_MAX_CHARS) for skill in skills if skill][:MAX_SKILLS]


def tidy(fields: dict[str, Any], course: CourseText) -> dict[str, Any]:
    """The written fields (any of name, description, criteria, skills, estimated_duration, alignments), cleaned."""
    tidied = dict(fields)
    if "name" in fields:
        words = cut(" ".join(_finished("name", fields["name"]).split()[:NAME_MAX_WORDS]), NAME_MAX_CHARS).split()
        # A name cut short must not end on "and" or "for".
        while len(words) > 1 and words[-1].lower().strip(" .;:,") in ENGLISH_STOP_WORDS:
            words.pop()
        name = " ".join(words).strip(" .;:,\"'")
        if not course.names_subject(name):
            name = course.title or (course.keyphrases[0].title() if course.keyphrases else name)
        tidied["name"] = name
    for field, limit in TEXT_MAX_CHARS.items():
        if field in fields:
            tidied[field] = _finished(field, fields[field], limit)
    duration = tidied.get("estimated_duration", "")
    if "estimated_duration" in fields and (not _DURATION.search(duration) or course.placeholders(duration)):
        tidied["estimated_duration"] = course.duration or "not stated"
    if "skills" in fields:
        tidied["skills"] = _tidy_skills(fields["skills"], course)
    if "alignments" in fields:
        # Claiming a framework competency the course never mentions would mislead a verifier.
        alignments = [a | {"competency": _finished("competency", a["competency"])} for a in fields["alignments"]]
        tidied["alignments"] = [a for a in alignments if course.grounds(a["competency"]) and not course.placeholders(a["competency"])]
    return tidied
