"""A model stuck repeating one sentence, scripted, through generate-badge's writer, summarize and route-query.

The issue's case: criteria that came back as one sentence four times and then cut mid-word
where the schema's maxLength closed the string. Each capability must return the sentence
once, ending at its full stop, and must have asked the engine with the repeat penalty.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

from localfn.functions.generate_badge.drafts import DRAFT_MAX_CHARS
from localfn.functions.generate_badge.models import BadgeInput
from localfn.functions.generate_badge.writer import BadgeWriter
from localfn.functions.route_query.capability import RouteQuery
from localfn.functions.summarize.capability import Summarize
from localfn.runtime import Runtime
from localfn.settings import Settings
from tests.support.scripted_engine import ScriptedEngine, run_capability

COURSE = (Path(__file__).parents[2] / "fixtures" / "courses" / "python-intro.txt").read_text()
SENTENCE = "Completed six graded programming exercises and a final project in Python."
PENALTY = 1.3


def looped(sentence: str, max_chars: int) -> str:
    """``sentence`` over and over, closed at ``max_chars`` as constrained decoding closes a string."""
    return ((sentence + " ") * (max_chars // len(sentence) + 1))[:max_chars]


def badge_reply(**overrides: object) -> str:
    draft = {
        "name": "Python Programming Foundations",
        "description": "Certifies that the earner writes, tests and documents small Python programs.",
        "criteria": SENTENCE,
        "skills": ["Python programming", "functions", "exceptions"],
        "achievement_type": "Course",
        "estimated_duration": "30 hours",
        "alignments": [],
    }
    return json.dumps(draft | overrides)


async def test_looped_badge_criteria_come_back_as_one_sentence_ended_at_its_full_stop() -> None:
    criteria = looped(SENTENCE, DRAFT_MAX_CHARS["criteria"])
    assert criteria.count(SENTENCE) > 4 and not criteria.endswith(".")  # ends mid-word, as reported
    engine = ScriptedEngine("looping", [badge_reply(criteria=criteria)])
    runtime = Runtime(Settings(repeat_penalty=PENALTY), engines=[engine])
    try:
        draft, written = await BadgeWriter(runtime).draft(BadgeInput(course_input=COURSE))
    finally:
        await runtime.aclose()
    assert draft.criteria == SENTENCE
    assert written.attempts == 1  # collapsing needs no re-ask
    assert [request.repeat_penalty for request in engine.requests] == [PENALTY]


async def test_a_rewritten_field_that_loops_is_collapsed_the_same_way() -> None:
    description = "Certifies that the earner writes and tests small Python programs."
    engine = ScriptedEngine("looping", [json.dumps({"description": looped(description, DRAFT_MAX_CHARS["description"])})])
    runtime = Runtime(Settings(), engines=[engine])
    current = {"name": "Python", "description": "old", "criteria": SENTENCE, "skills": ["loops"]}
    try:
        value, _ = await BadgeWriter(runtime).rewrite("description", BadgeInput(course_input=COURSE), current, None)
    finally:
        await runtime.aclose()
    assert value == description
    assert engine.requests[0].repeat_penalty == Settings().repeat_penalty


async def test_a_looped_summary_stopped_at_its_budget_is_one_sentence() -> None:
    summary = "Solar power supplied a third of Spain's electricity last year."
    engine = ScriptedEngine("looping")
    # Stopped by max_tokens mid-word, as an engine reports it.
    engine.script.append(replace(engine.result(looped(summary, 400)), finish_reason="length"))
    request = {"mode": "context", "context": "Spain's grid. " * 200, "max_summary_tokens": 120}
    body = await run_capability(Summarize, engine, request, Settings(repeat_penalty=PENALTY, cache_ttl_s=0))
    assert body["summary"] == summary
    assert body["tokens_after"] <= 120 and body["compressed"]
    assert [request.repeat_penalty for request in engine.requests] == [PENALTY]


async def test_a_looped_route_query_answer_stopped_at_its_limit_is_the_sentence_once() -> None:
    answer = "Paris is the capital of France and its largest city."
    engine = ScriptedEngine("looping")
    engine.script.append(replace(engine.result(looped(answer, 500)), finish_reason="length"))
    body = await run_capability(RouteQuery, engine, {"query": "Capital of France?", "force_tier": "simple"}, Settings())
    assert body["answer"] == answer
    assert engine.requests[0].repeat_penalty == Settings().repeat_penalty
