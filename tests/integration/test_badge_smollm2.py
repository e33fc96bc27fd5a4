"""generate-badge with a real small instruct model (SmolLM2-135M-Instruct), where the text must make sense."""

from __future__ import annotations

from pathlib import Path

import pytest

from localfn.engine.embedded import LlamaServer
from tests.support.localfn_app import make_settings, serve_client
from tests.support.openbadges import assert_valid_badge

pytestmark = pytest.mark.smollm2

COURSE = (Path(__file__).parents[1] / "fixtures" / "courses" / "python-intro.txt").read_text()
SUBJECT_WORDS = ("python", "program", "coding", "code")


async def test_a_real_course_becomes_a_valid_badge_about_its_subject(
    smollm2_server: LlamaServer, tmp_path: Path
) -> None:
    # One model call: its text is what is judged here (the re-ask is tested on the tiny model and
    # in the unit tests), and a 135M model's call takes minutes when other test runs share the cores.
    settings = make_settings(
        smollm2_server.backend(), history_path=tmp_path / "history.sqlite3", max_repairs=0, request_timeout_s=240
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
    assert any(word in f"{achievement['name']} {achievement['description']}".lower() for word in SUBJECT_WORDS), (
        achievement
    )
    assert achievement["criteria"]["narrative"].strip()
    assert all(
        skill.lower() in COURSE.lower() or any(w in COURSE.lower() for w in skill.lower().split())
        for skill in body["skills"]
    )
    assert body["suggested_icon"]["name"] == "code"
    assert body["generation"]["model"] == "smollm2"
