"""generate-badge's quality rules and the clean-up after the model."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel

from localfn.functions.generate_badge.drafts import AlignmentDraft, NameDraft, SkillsDraft
from localfn.functions.generate_badge.quality import CourseText, hard_checks, soft_checks, stem, tidy


class BadgeTail(BaseModel):
    """The fields tidy repairs, as a reply carries them."""

    alignments: list[AlignmentDraft]
    estimated_duration: str


COURSES = Path(__file__).parents[3] / "fixtures" / "courses"
PYTHON = CourseText((COURSES / "python-intro.txt").read_text())
FOOD = CourseText((COURSES / "food-safety.txt").read_text())


@pytest.mark.parametrize(
    ("a", "b"),
    [
        ("programs", "programming"),
        ("analysis", "analyze"),
        ("tests", "testing"),
        ("files", "file"),
        ("classes", "class"),
    ],
)
def test_stems_match_word_forms(a: str, b: str) -> None:
    assert stem(a) == stem(b)


@pytest.mark.parametrize(
    ("phrase", "grounded"),
    [
        ("Python programming", True),
        ("handling exceptions", True),
        ("reading files", True),
        ("Tiny fox.", False),
        ("1.0.0", False),
        ("Java generics", False),
        ("", False),
    ],
)
def test_a_skill_is_grounded_when_the_course_uses_its_words(phrase: str, grounded: bool) -> None:
    assert PYTHON.grounds(phrase) is grounded


def test_key_phrases_come_from_the_course_without_filler() -> None:
    phrases = FOOD.keyphrases
    assert 3 <= len(phrases) <= 6
    assert all(phrase.lower() in FOOD.text.lower() for phrase in phrases)
    assert any("food safety" in phrase.lower() for phrase in phrases)
    assert not {"course", "level", "participants"} & {p.lower() for p in phrases}


@pytest.mark.parametrize(
    "text",
    [
        "[Course Name] Badge",
        "Badge for {{course}}",
        "Lorem ipsum dolor",
        "TBD",
        "Insert skill here",
        "The <topic> badge",
    ],
)
def test_placeholder_text_fails_a_hard_check(text: str) -> None:
    problems = [p for check in hard_checks(PYTHON) for p in check(NameDraft(name=text))]
    assert problems and "placeholder" in problems[0]


def test_placeholder_like_text_the_course_itself_uses_is_allowed() -> None:
    html = CourseText("Web basics: write <table> and <form> elements by hand.")
    assert [p for check in hard_checks(html) for p in check(NameDraft(name="Building a <table>"))] == []


def test_blank_text_fails_a_hard_check() -> None:
    problems = [p for check in hard_checks(PYTHON) for p in check(SkillsDraft(skills=["loops", "  "]))]
    assert problems == ["skills/1: is empty; write it out"]


def test_a_blank_name_is_not_re_asked_for_when_the_course_can_name_the_badge() -> None:
    assert [p for check in hard_checks(PYTHON) for p in check(NameDraft(name=" "))] == []
    assert tidy({"name": " "}, PYTHON)["name"] == PYTHON.title


def test_a_blank_name_fails_a_hard_check_when_the_course_offers_no_name() -> None:
    untitled = CourseText("")
    assert not untitled.title and not untitled.keyphrases
    problems = [p for check in hard_checks(untitled) for p in check(NameDraft(name=""))]
    assert problems == ["name: is empty; write it out"]


def test_blank_or_placeholder_alignments_and_durations_are_not_re_asked_for_but_tidied() -> None:
    alignments = [
        {"framework": "DigComp", "competency": " "},
        {"framework": "SFIA", "competency": "[Python programming]"},
        {"framework": "ESCO", "competency": "Python programming"},
    ]
    reply = BadgeTail(alignments=[AlignmentDraft(**a) for a in alignments], estimated_duration="2 weeks, TBD")

    assert [p for check in hard_checks(PYTHON) for p in check(reply)] == []
    tidied = tidy({"alignments": alignments, "estimated_duration": "2 weeks, TBD"}, PYTHON)
    assert tidied["alignments"] == [alignments[2]]
    assert tidied["estimated_duration"] == PYTHON.duration


def test_soft_rules_report_skills_that_are_not_short_names_from_the_course() -> None:
    reply = SkillsDraft(skills=["loops", "Kubernetes operators", "writing functions and lists in Python programs"])
    (problem,) = [p for check in soft_checks(PYTHON) for p in check(reply)]
    assert problem.startswith("skills: 'Kubernetes operators', 'writing functions and lists in Python programs' are not")


@pytest.mark.parametrize(
    ("name", "problem"),
    [
        ("A Very Long Badge Name That Keeps Going Well Past Any Reasonable Length", "name: too long"),
        ("Course Description", "name: 'Course Description' does not name the course's subject"),
    ],
)
def test_soft_rules_report_names_too_long_or_without_the_subject(name: str, problem: str) -> None:
    problems = [p for check in soft_checks(PYTHON) for p in check(NameDraft(name=name))]
    assert problems[0].startswith(problem)


@pytest.mark.parametrize(
    ("name", "names_it"),
    [("Python Basics", True), ("Pythonic Programs", True), ("Variables and Loops", False), ("Course Badge", False)],
)
def test_a_name_names_the_subject_when_it_shares_a_word_with_the_courses_title(name: str, names_it: bool) -> None:
    assert PYTHON.names_subject(name) is names_it


def test_without_a_title_any_word_of_the_course_names_its_subject() -> None:
    knitting = CourseText("Knitting socks on four needles, from casting on to turning the heel, for anyone who knits.")
    assert knitting.title is None
    assert knitting.names_subject("Heel Turning")
    assert not knitting.names_subject("Course Description")


def test_tidy_names_a_badge_after_the_course_when_the_model_did_not() -> None:
    assert tidy({"name": "Course Description"}, PYTHON)["name"] == "Introduction to Python Programming"
    assert tidy({"name": "Variables and Loops"}, PYTHON)["name"] == "Introduction to Python Programming"
    # No short first line: the course's first key phrase names it.
    knitting = CourseText("Knitting socks on four needles, from casting on to turning the heel, for anyone who knits.")
    assert tidy({"name": "Tiny fox."}, knitting)["name"] == knitting.keyphrases[0].title()


@pytest.mark.parametrize(
    ("given", "expected"),
    [("30 hours", "30 hours"), ("about 6 weeks", "about 6 weeks"), (");};;;", "six weeks"), ("TBC", "six weeks")],
)
def test_tidy_takes_the_courses_duration_when_the_model_gives_none(given: str, expected: str) -> None:
    assert tidy({"estimated_duration": given}, PYTHON)["estimated_duration"] == expected
    assert tidy({"estimated_duration": "soon"}, CourseText("Knitting."))["estimated_duration"] == "not stated"


def test_tidy_shortens_names_at_a_word_and_texts_at_a_sentence() -> None:
    sentence = "The earner wrote and tested Python programs. "
    tidied = tidy(
        {
            "name": "  Python Programming: Variables, Loops, Functions, Files and Exceptions for Beginners. ",
            "description": sentence * 20,
        },
        PYTHON,
    )
    assert tidied["name"] == "Python Programming: Variables, Loops, Functions, Files"
    assert len(tidied["description"]) <= 600 and tidied["description"].endswith(".")


def test_tidy_replaces_skills_the_course_lacks_with_its_key_phrases() -> None:
    tidied = tidy({"skills": ["Tiny fox.", "loops", "LOOPS", "1.0.0"]}, PYTHON)["skills"]
    assert tidied[0] == "loops"
    assert len(tidied) == 3
    assert all(PYTHON.grounds(skill) for skill in tidied)


def test_tidy_keeps_the_models_skills_when_the_course_has_no_key_phrase() -> None:
    assert tidy({"skills": ["Tiny fox."]}, CourseText("An introduction."))["skills"] == ["Tiny fox."]


def test_tidy_drops_alignments_to_competencies_the_course_never_mentions() -> None:
    alignments = [
        {"framework": "ESCO", "competency": "Python (computer programming)"},
        {"framework": "NICE", "competency": "Nike"},
    ]
    assert tidy({"alignments": alignments}, PYTHON)["alignments"] == alignments[:1]
