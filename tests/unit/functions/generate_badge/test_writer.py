"""BadgeWriter with a scripted engine: what the model is asked, and what happens to its replies."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from localfn.errors import StructuredOutputError
from localfn.functions.generate_badge.models import BadgeInput
from localfn.functions.generate_badge.writer import BadgeWriter
from localfn.runtime import Runtime
from localfn.settings import Settings
from tests.support.scripted_engine import ScriptedEngine

COURSE = (Path(__file__).parents[3] / "fixtures" / "courses" / "python-intro.txt").read_text()
BADGE = BadgeInput(
    course_input=COURSE,
    badge_level="beginner",
    institution="Example University",
    custom_instructions="Mention the final project.",
)


def reply(**overrides: Any) -> str:
    draft = {
        "name": "Python Programming Foundations",
        "description": "Certifies that the earner writes, tests and documents small Python programs.",
        "criteria": "Completed six graded programming exercises and a final project, presented in a recorded demo.",
        "skills": ["Python programming", "functions", "exceptions"],
        "achievement_type": "Course",
        "estimated_duration": "30 hours",
        "alignments": [],
    }
    return json.dumps(draft | overrides)


@pytest.fixture
def engine() -> ScriptedEngine:
    return ScriptedEngine("scripted")


def writer_for(engine: ScriptedEngine, max_repairs: int = 2) -> tuple[BadgeWriter, Runtime]:
    runtime = Runtime(Settings(max_repairs=max_repairs), engines=[engine])
    return BadgeWriter(runtime), runtime


async def test_a_good_reply_is_taken_in_one_call_and_the_prompt_carries_the_options(engine: ScriptedEngine) -> None:
    engine.script.append(reply())
    writer, runtime = writer_for(engine)
    draft, written = await writer.draft(BADGE)
    await runtime.aclose()
    assert (draft.name, written.attempts) == ("Python Programming Foundations", 1)
    system, user = engine.requests[0].messages
    assert "beginner: For learners without prior knowledge" in system.content
    assert "Issuing institution: Example University" in system.content
    assert "Mention the final project." in system.content
    assert "CertificateOfCompletion:" in system.content
    assert COURSE in user.content
    assert engine.requests[0].json_schema is not None


async def test_skills_the_course_lacks_are_asked_for_once_then_replaced(engine: ScriptedEngine) -> None:
    engine.script.extend([reply(skills=["Tiny fox."]), reply(skills=["Tiny fox.", "loops"])])
    writer, runtime = writer_for(engine)
    draft, written = await writer.draft(BADGE)
    await runtime.aclose()
    assert written.attempts == 2
    assert "'Tiny fox.' are not short skill names taken from the course text" in engine.requests[1].messages[-1].content
    assert engine.requests[1].messages[-2].content == reply(skills=["Tiny fox."])
    assert draft.skills[0] == "loops" and len(draft.skills) == 3


async def test_a_failed_quality_re_ask_falls_back_to_the_first_valid_reply(engine: ScriptedEngine) -> None:
    engine.script.extend([reply(skills=["Tiny fox."]), "not json", "still not json"])
    writer, runtime = writer_for(engine, max_repairs=2)
    draft, _ = await writer.draft(BADGE)
    await runtime.aclose()
    assert len(engine.requests) == 3
    assert draft.name == "Python Programming Foundations"
    assert all(skill.lower() in COURSE.lower() for skill in draft.skills)


async def test_no_quality_re_ask_when_schema_repairs_used_the_budget(engine: ScriptedEngine) -> None:
    engine.script.extend(['{"name": "half a badge"}', reply(skills=["Tiny fox."])])
    writer, runtime = writer_for(engine, max_repairs=1)
    draft, written = await writer.draft(BADGE)
    await runtime.aclose()
    assert written.attempts == 2 and len(engine.requests) == 2
    assert "Tiny fox." not in draft.skills


async def test_placeholders_are_refused_until_the_repairs_run_out(engine: ScriptedEngine) -> None:
    engine.script.extend([reply(name="[Course Name] Badge")] * 2)
    writer, runtime = writer_for(engine, max_repairs=1)
    with pytest.raises(StructuredOutputError) as raised:
        await writer.draft(BADGE)
    await runtime.aclose()
    assert raised.value.attempts == 2
    assert "placeholder" in str(raised.value)


async def test_without_repairs_soft_problems_are_fixed_without_asking(engine: ScriptedEngine) -> None:
    engine.script.append(reply(name="Python Programming Foundations for Absolute Beginners Who Want To Learn", skills=["Tiny fox."]))
    writer, runtime = writer_for(engine, max_repairs=0)
    draft, written = await writer.draft(BADGE)
    await runtime.aclose()
    assert written.attempts == 1
    assert len(draft.name) <= 60 and len(draft.name.split()) <= 8
    assert all(skill.lower() in COURSE.lower() for skill in draft.skills)


async def test_rewriting_one_field_asks_for_that_field_only(engine: ScriptedEngine) -> None:
    engine.script.append(json.dumps({"criteria": "Passed every graded exercise and presented a final project."}))
    writer, runtime = writer_for(engine)
    current = {"name": "Python", "description": "d", "criteria": "old", "skills": ["loops"]}
    value, _ = await writer.rewrite("criteria", BADGE, current, "mention the automated tests")
    await runtime.aclose()
    assert value == "Passed every graded exercise and presented a final project."
    schema = engine.requests[0].json_schema
    assert schema is not None and list(schema["properties"]) == ["criteria"]
    system = engine.requests[0].messages[0].content
    assert 'Rewrite the field "criteria": What the earner did' in system
    assert "mention the automated tests" in system
