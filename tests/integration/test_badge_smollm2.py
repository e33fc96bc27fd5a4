"""generate-badge with a real small instruct model (SmolLM2-135M-Instruct), where the text must make sense."""

from __future__ import annotations

from pathlib import Path

import pytest

from localfn.engine.embedded import LlamaServer
from localfn.functions.generate_badge.quality import CourseText
from tests.support.localfn_app import make_settings, serve_client
from tests.support.openbadges import assert_valid_badge

pytestmark = pytest.mark.smollm2

COURSE = (Path(__file__).parents[1] / "fixtures" / "courses" / "python-intro.txt").read_text()
SUBJECT_WORDS = ("python", "program", "coding", "code")


async def test_a_real_course_becomes_a_valid_badge_about_its_subject(smollm2_server: LlamaServer, tmp_path: Path) -> None:
    # One model call: its text is what is judged here (the re-ask is tested on the tiny model and
    # in the unit tests), and a 135M model's call takes minutes when other test runs share the cores.
    # Temperature 0: the same text on every run of one machine (llama.cpp's thread count still varies it
    # between machines: checked under six thread and batch settings).
    settings = make_settings(
        smollm2_server.backend(),
        generate_badge={"history_path": tmp_path / "history.sqlite3"},
        max_repairs=0,
        request_timeout_s=240,
        temperature=0,
    )
    request = {
        "course_input": COURSE,
        "badge_level": "beginner",
        "recipient": "ada@example.org",
        "issuer": {"id": "https://example.edu", "name": "Example University"},
    }
    async with serve_client(settings, ["generate-badge"]) as (client, _):
        response = await client.post("/generate-badge", json=request)
    assert response.status_code == 200, response.text
    body = response.json()
    assert_valid_badge(body)
    achievement = body["achievement"]
    # The name is checked after the model (quality.tidy): it names the course's title subject.
    assert any(word in achievement["name"].lower() for word in SUBJECT_WORDS), achievement
    assert achievement["criteria"]["narrative"].strip()
    # "Drawn from the course" is the product's rule (tests/unit/functions/generate_badge/test_quality.py):
    # word forms count, so "dictionary" is drawn from "dictionaries" and "data-types" from "data types".
    course = CourseText(COURSE)
    assert body["skills"] and all(course.fits_skill(skill) for skill in body["skills"]), body["skills"]
    assert body["suggested_icon"]["name"] == "code"
    assert body["generation"]["model"] == "smollm2"
