"""generate-badge over HTTP and CloudEvents, on a real llama.cpp server with the tiny model.

The tiny model writes "Tiny fox." into every field, so these tests check the plumbing and
the rules around the model, never the prose. Every achievement and credential a response
carries is validated against 1EdTech's own JSON Schema.
"""

from __future__ import annotations

import hashlib
import json
import runpy
import xml.etree.ElementTree as ET
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from cloudevents.conversion import to_binary, to_structured
from cloudevents.http.conversion import from_http
from cloudevents.http.event import CloudEvent

from localfn.settings import BackendSettings
from tests.support.localfn_app import backend, make_settings, serve_client
from tests.support.openbadges import ACHIEVEMENT_TYPES, assert_valid_badge

ROOT = Path(__file__).parents[2]
# The title and first paragraph: the tiny model reads bytes, so shorter prompts keep these tests fast.
COURSE = "\n\n".join((ROOT / "tests" / "fixtures" / "courses" / "python-intro.txt").read_text().split("\n\n")[:2])
ISSUER = {"id": "https://example.edu", "name": "Example University", "url": "https://example.edu"}
TEXT_FIELDS = ("name", "description", "criteria", "skills")


@asynccontextmanager
async def badges(
    engine: BackendSettings, tmp_path: Path, max_input_chars: int = 10_000, **overrides: Any
) -> AsyncIterator[httpx.AsyncClient]:
    # One model call per badge: the tiny model's skills always break a soft rule, and the
    # re-ask that follows is tested once (first test below), not paid for in every test.
    overrides.setdefault("max_repairs", 0)
    badge = {"history_path": tmp_path / "history.sqlite3", "max_input_chars": max_input_chars}
    settings = make_settings(engine, generate_badge=badge, **overrides)
    async with serve_client(settings, ["generate-badge"]) as (client, _):
        yield client


async def generate(client: httpx.AsyncClient, **fields: Any) -> dict[str, Any]:
    response = await client.post("/generate-badge", json={"course_input": COURSE, **fields})
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    assert_valid_badge(body)
    return body


async def stored_count(client: httpx.AsyncClient) -> int:
    total: int = (await client.get("/generate-badge/history")).json()["total"]
    return total


# Generate


async def test_a_course_becomes_an_open_badges_achievement(tiny_backend: BackendSettings, tmp_path: Path) -> None:
    async with badges(tiny_backend, tmp_path, max_repairs=2) as client:
        body = await generate(client, badge_level="beginner", language="EN")
    achievement = body["achievement"]
    assert achievement["id"] == f"urn:uuid:{body['id']}"
    assert achievement["type"] == ["Achievement"]
    assert achievement["achievementType"] in ACHIEVEMENT_TYPES
    assert achievement["image"]["type"] == "Image"
    assert achievement["image"]["id"].startswith("data:image/svg+xml;base64,")
    assert achievement["tag"] == body["skills"]
    assert achievement["inLanguage"] == "en"
    assert body["credential"] is None
    assert (body["version"], body["parent_id"]) == (1, None)
    # The tiny model's skills are nonsense: they are replaced by phrases taken from the course.
    assert body["skills"] and all(skill.lower() in COURSE.lower() for skill in body["skills"])
    icon = body["suggested_icon"]
    assert len(icon["alternatives"]) == 2
    assert (ROOT / "assets" / "icons" / icon["file"]).is_file()
    generation = body["generation"]
    assert (generation["model"], generation["backend"]) == ("tiny", "embedded")
    # Skills not taken from the course are worth one re-ask; then they are replaced.
    assert generation["attempts"] == 2
    assert generation["prompt_tokens"] > 0 and generation["completion_tokens"] > 0


async def test_an_email_recipient_gets_a_credential_with_only_a_salted_hash(tiny_backend: BackendSettings, tmp_path: Path) -> None:
    async with badges(tiny_backend, tmp_path) as client:
        body = await generate(client, recipient="Ada.Lovelace@Example.org", issuer=ISSUER)
        stored = (await client.get(f"/generate-badge/history/{body['id']}")).text
    credential = body["credential"]
    assert credential["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert credential["issuer"] == {
        "id": ISSUER["id"],
        "type": ["Profile"],
        "name": ISSUER["name"],
        "url": ISSUER["url"],
    }
    assert credential["credentialSubject"]["achievement"] == body["achievement"]
    (identity,) = credential["credentialSubject"]["identifier"]
    digest = hashlib.sha256(("ada.lovelace@example.org" + identity["salt"]).encode()).hexdigest()
    assert identity == {
        "type": "IdentityObject",
        "identityHash": f"sha256${digest}",
        "identityType": "emailAddress",
        "hashed": True,
        "salt": identity["salt"],
    }
    assert "lovelace" not in json.dumps(body).lower()
    assert "lovelace" not in stored.lower()


async def test_a_uri_recipient_becomes_the_subject_id(tiny_backend: BackendSettings, tmp_path: Path) -> None:
    async with badges(tiny_backend, tmp_path) as client:
        body = await generate(client, recipient="did:example:ebfeb1f712ebc6f1c276e12ec21", issuer=ISSUER)
    assert body["credential"]["credentialSubject"]["id"] == "did:example:ebfeb1f712ebc6f1c276e12ec21"


async def test_the_same_course_always_gets_the_same_icon(tiny_backend: BackendSettings, tmp_path: Path) -> None:
    async with badges(tiny_backend, tmp_path) as client:
        first = await generate(client)
        # Written as the earlier badge API wrote them; the icon depends on the course alone.
        second = await generate(client, badge_style="Academic", criterion_style="Task-Oriented", badge_level="Advanced")
    assert first["suggested_icon"] == second["suggested_icon"]
    assert first["suggested_icon"]["name"] == "code"
    assert (second["input"]["badge_style"], second["input"]["criterion_style"]) == ("academic", "task-oriented")


@pytest.mark.parametrize(
    ("fields", "path", "hint"),
    [
        ({"course_input": ""}, "course_input", "empty"),
        ({"course_input": " \n\t "}, "course_input", "empty"),
        ({"badge_style": "fancy"}, "badge_style", "'academic'"),
        ({"badge_tone": "sarcastic"}, "badge_tone", "'concise'"),
        ({"criterion_style": "vibes"}, "criterion_style", "'evidence-based'"),
        ({"badge_level": "wizard"}, "badge_level", "'expert'"),
        ({"achievement_type": "Trophy"}, "achievement_type", "MicroCredential"),
        ({"language": "english"}, "language", "pt-BR"),
        ({"recipient": "not an address", "issuer": ISSUER}, "recipient", "email address"),
        ({"recipient": "ada@example.org"}, "(root)", "issuer"),
        ({"issuer": {"id": "Example University", "name": "Example"}}, "issuer/id", "URI"),
        ({"course_input": "x" * 301}, "course_input", "LOCALFN_GENERATE_BADGE__MAX_INPUT_CHARS"),
    ],
    ids=[
        "empty",
        "whitespace",
        "style",
        "tone",
        "criterion",
        "level",
        "type",
        "language",
        "recipient",
        "recipient-without-issuer",
        "issuer-id",
        "too-long",
    ],
)
async def test_bad_input_is_a_422_saying_what_to_fix_and_stores_nothing(
    tiny_backend: BackendSettings, tmp_path: Path, fields: dict[str, Any], path: str, hint: str
) -> None:
    async with badges(tiny_backend, tmp_path, max_input_chars=300) as client:
        response = await client.post("/generate-badge", json={"course_input": COURSE[:250], **fields})
        count = await stored_count(client)
    assert response.status_code == 422, response.text
    errors = response.json()["errors"]
    assert path in [error["path"] for error in errors]
    assert hint in " ".join(error["message"] for error in errors)
    assert count == 0


async def test_a_failed_generation_stores_nothing(closed_port_url: str, tmp_path: Path) -> None:
    down = backend("down", closed_port_url, "some-model")
    async with badges(down, tmp_path) as client:
        response = await client.post("/generate-badge", json={"course_input": COURSE})
        count = await stored_count(client)
    assert response.status_code == 503
    assert count == 0


async def test_options_list_every_value_with_its_meaning(tiny_backend: BackendSettings, tmp_path: Path) -> None:
    async with badges(tiny_backend, tmp_path) as client:
        body = (await client.get("/generate-badge/options")).json()
    assert set(body) == {"badge_styles", "badge_tones", "criterion_styles", "badge_levels", "achievement_types"}
    assert [o["value"] for o in body["achievement_types"]] == ACHIEVEMENT_TYPES
    assert all(option["meaning"] for options in body.values() for option in options)


# Regenerate


async def test_regenerating_a_field_changes_only_that_field(tiny_backend: BackendSettings, tmp_path: Path) -> None:
    async with badges(tiny_backend, tmp_path) as client:
        first = await generate(client, recipient="ada@example.org", issuer=ISSUER)
        versions = {}
        for field in ("name", "description", "criteria", "skills", "image"):
            response = await client.post("/generate-badge/regenerate", json={"badge_id": first["id"], "field": field})
            assert response.status_code == 200, response.text
            versions[field] = response.json()
        count = await stored_count(client)
    assert count == 6
    before = _fields(first)
    for field, second in versions.items():
        assert_valid_badge(second)
        assert (second["version"], second["parent_id"]) == (2, first["id"])
        after = _fields(second)
        # The picture shows the name, so a new name redraws it.
        unchanged = set(before) - {field} - ({"image"} if field == "name" else set())
        assert {key: after[key] for key in unchanged} == {key: before[key] for key in unchanged}, field
        # The recipient is not stored, yet each new version is awarded to the same (hashed) subject.
        subject = {k: v for k, v in second["credential"]["credentialSubject"].items() if k != "achievement"}
        assert subject == {k: v for k, v in first["credential"]["credentialSubject"].items() if k != "achievement"}
    assert versions["image"]["suggested_icon"]["name"] == first["suggested_icon"]["alternatives"][0]["name"]
    assert versions["image"]["generation"]["model"] is None
    assert {versions[field]["generation"]["model"] for field in TEXT_FIELDS} == {"tiny"}


def _fields(body: dict[str, Any]) -> dict[str, Any]:
    achievement = body["achievement"]
    return {
        "name": achievement["name"],
        "description": achievement["description"],
        "criteria": achievement["criteria"]["narrative"],
        "skills": body["skills"],
        "image": (achievement["image"]["id"], body["suggested_icon"]),
    }


async def test_image_instructions_choose_the_icon(tiny_backend: BackendSettings, tmp_path: Path) -> None:
    async with badges(tiny_backend, tmp_path) as client:
        first = await generate(client)
        response = await client.post(
            "/generate-badge/regenerate", json={"badge_id": first["id"], "field": "image", "instructions": "a robot"}
        )
    assert response.json()["suggested_icon"]["name"] == "robot"


async def test_regenerating_the_whole_badge_from_a_full_response(tiny_backend: BackendSettings, tmp_path: Path) -> None:
    async with badges(tiny_backend, tmp_path) as client:
        first = await generate(client)
        await client.delete(f"/generate-badge/history/{first['id']}")
        broken = {**first, "achievement": {**first["achievement"], "image": "https://example.org/badge.png"}}
        refused = await client.post("/generate-badge/regenerate", json={"badge": broken})
        response = await client.post("/generate-badge/regenerate", json={"badge": first, "instructions": "more formal"})
        history = (await client.get("/generate-badge/history")).json()
    assert refused.status_code == 422
    assert "badge/achievement/image" in [error["path"] for error in refused.json()["errors"]]
    assert response.status_code == 200, response.text
    second = response.json()
    assert_valid_badge(second)
    assert (second["version"], second["parent_id"]) == (2, first["id"])
    assert second["input"] == first["input"]
    assert [item["id"] for item in history["items"]] == [second["id"]]


@pytest.mark.parametrize(
    ("body", "status", "says"),
    [
        ({"badge_id": "0e0e0e0e-0000-4000-8000-000000000000"}, 404, "no stored badge"),
        ({}, 422, "either badge_id or badge"),
        ({"badge_id": "x", "field": "colour"}, 422, "'image'"),
    ],
    ids=["unknown-id", "no-badge", "unknown-field"],
)
async def test_bad_regenerate_requests(tiny_backend: BackendSettings, tmp_path: Path, body: dict[str, Any], status: int, says: str) -> None:
    async with badges(tiny_backend, tmp_path) as client:
        response = await client.post("/generate-badge/regenerate", json=body)
        count = await stored_count(client)
    assert response.status_code == status, response.text
    assert says in response.text
    assert count == 0


# History and images


async def test_history_reads_and_deletes_single_badges(tiny_backend: BackendSettings, tmp_path: Path) -> None:
    async with badges(tiny_backend, tmp_path) as client:
        body = await generate(client, institution="Example University")
        stored = await client.get(f"/generate-badge/history/{body['id']}")
        image = await client.get(f"/generate-badge/image/{body['id']}")
        deleted = await client.delete(f"/generate-badge/history/{body['id']}")
        gone = [await client.get(f"/generate-badge/{path}/{body['id']}") for path in ("history", "image")]
        deleted_again = await client.delete(f"/generate-badge/history/{body['id']}")
    assert stored.json() == body
    assert image.headers["content-type"].startswith("image/svg+xml")
    texts = [element.text for element in ET.fromstring(image.text).iter("{http://www.w3.org/2000/svg}text")]
    assert body["achievement"]["name"].split()[0] in " ".join(t or "" for t in texts)
    assert "Example University" in texts
    assert deleted.status_code == 204
    assert [r.status_code for r in gone] == [404, 404]
    assert deleted_again.status_code == 404


async def test_history_pages_newest_first_and_clearing_needs_confirmation(tiny_backend: BackendSettings, tmp_path: Path) -> None:
    async with badges(tiny_backend, tmp_path) as client:
        made = [(await generate(client))["id"]]
        for _ in range(2):  # a new image calls no model: a cheap way to more versions
            response = await client.post("/generate-badge/regenerate", json={"badge_id": made[-1], "field": "image"})
            made.append(response.json()["id"])
        page = (await client.get("/generate-badge/history", params={"limit": 2})).json()
        bad_limit = await client.get("/generate-badge/history", params={"limit": 0})
        unconfirmed = await client.delete("/generate-badge/history")
        confirmed = await client.delete("/generate-badge/history", params={"confirm": "true"})
        count = await stored_count(client)
    assert [item["id"] for item in page["items"]] == made[::-1][:2]
    assert (page["total"], page["next_offset"]) == (3, 2)
    assert bad_limit.status_code == 422 and bad_limit.json()["errors"][0]["path"] == "limit"
    assert unconfirmed.status_code == 422 and "confirm=true" in unconfirmed.text
    assert confirmed.json() == {"deleted": 3}
    assert count == 0


async def test_history_survives_a_restart(tiny_backend: BackendSettings, tmp_path: Path) -> None:
    async with badges(tiny_backend, tmp_path) as client:
        body = await generate(client)
    async with badges(tiny_backend, tmp_path) as client:
        stored = await client.get(f"/generate-badge/history/{body['id']}")
    assert stored.json() == body


# CloudEvents


@pytest.mark.parametrize(("encode", "path"), [(to_binary, "/events"), (to_structured, "/generate-badge")], ids=["binary", "structured"])
async def test_a_request_event_gets_a_reply_event_and_one_stored_badge(
    tiny_backend: BackendSettings, tmp_path: Path, encode: Any, path: str
) -> None:
    event = CloudEvent(
        {"type": "io.localfn.generate-badge.request", "source": "/tests/lms", "id": "course-7"},
        {"course_input": COURSE},
    )
    headers, body = encode(event)
    async with badges(tiny_backend, tmp_path) as client:
        first = await client.post(path, headers=headers, content=body)
        redelivered = await client.post(path, headers=headers, content=body)
        count = await stored_count(client)
    assert first.status_code == 200, first.text
    reply = from_http(dict(first.headers), first.content)
    assert reply["type"] == "io.localfn.generate-badge.response"
    assert reply["source"] == "/localfn/generate-badge"
    assert_valid_badge(reply.get_data())
    assert redelivered.content == first.content
    assert count == 1


# The earlier badge API


async def test_the_earlier_api_routes_still_answer(tiny_backend: BackendSettings, tmp_path: Path) -> None:
    legacy = {
        "course_input": COURSE,
        "badge_style": "Academic",
        "badge_tone": "",
        "badge_level": "",
        "image_generation": {"enable": True},
    }
    async with badges(tiny_backend, tmp_path) as client:
        made = await client.post("/api/v1/generate-badge-suggestions", json=legacy)
        badge_id = made.json()["badge_id"]
        again = await client.post("/api/v1/regenerate_badge", json={"badge_id": badge_id, "field": "image"})
        fresh = await client.post("/api/v1/regenerate_badge", json={"course_input": COURSE})
        history = (await client.get("/api/v1/badge_history")).json()
        styles = (await client.get("/api/v1/styles")).json()
        unconfirmed = await client.delete("/api/v1/badge_history")
        cleared = await client.delete("/api/v1/badge_history", params={"confirm": "true"})
    for response in (made, again, fresh):
        assert response.status_code == 200, response.text
        body = response.json()
        assert_valid_badge({"achievement": body["credentialSubject"]["achievement"], "credential": None})
    assert history["total_count"] == 3
    newest_first = [(item["badge_id"], item["parent_id"]) for item in history["history"]]
    assert newest_first == [(fresh.json()["badge_id"], None), (again.json()["badge_id"], badge_id), (badge_id, None)]
    assert set(styles) == {"badge_styles", "badge_tones", "criterion_styles", "badge_levels"}
    assert styles["criterion_styles"]["task-oriented"]
    assert unconfirmed.status_code == 422
    assert cleared.json()["deleted"] == 3


def test_the_functions_framework_entrypoint_is_named_for_function_target() -> None:
    module = runpy.run_path(str(ROOT / "functions" / "generate_badge" / "main.py"))
    assert callable(module["generate_badge"])
