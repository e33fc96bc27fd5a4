"""Badge history on real databases: the same contract for SQLite and a throwaway PostgreSQL server.

Also the whole service with LOCALFN_GENERATE_BADGE__DATABASE_URL set, end to end on the tiny model.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
import pytest_asyncio
from pydantic import SecretStr

from localfn.functions.generate_badge.models import BadgeInput, GenerateBadgeResponse, Generation, SuggestedIcon
from localfn.functions.generate_badge.openbadges import build_achievement
from localfn.functions.generate_badge.store import BadgeStore, HistoryUnavailable, open_store
from localfn.functions.generate_badge.store.postgres import PostgresStore
from localfn.settings import BackendSettings, Settings
from tests.integration.test_badge_http import COURSE
from tests.support.localfn_app import make_settings, serve_client
from tests.support.openbadges import assert_valid_badge
from tests.support.postgres import postgres_url

__all__ = ["postgres_url"]  # the session fixture, imported so pytest finds it here

START = datetime(2026, 1, 1, tzinfo=UTC)


def sample(number: int, parent: GenerateBadgeResponse | None = None) -> GenerateBadgeResponse:
    """A stored-looking badge; the store never looks inside the achievement, but it is a valid one."""
    badge_id = f"00000000-0000-4000-8000-{number:012d}"
    achievement = build_achievement(
        achievement_id=f"urn:uuid:{badge_id}",
        name=f"Badge {number}",
        description="Certifies a test.",
        criteria="Passed a test.",
        achievement_type="Badge",
        image_uri="https://example.org/badge.svg",
        skills=["testing"],
        language="en",
    )
    return GenerateBadgeResponse(
        id=badge_id,
        version=parent.version + 1 if parent else 1,
        parent_id=parent.id if parent else None,
        created_at=START + timedelta(seconds=number),
        achievement=achievement,
        credential=None,
        skills=["testing"],
        estimated_duration="1 hour",
        suggested_icon=SuggestedIcon(name="code", file="svg/code.svg", score=0.5, alternatives=[]),
        input=BadgeInput(course_input=f"Course number {number}: " + "testing " * 40),
        generation=Generation(seconds=0.1, model="m", backend="b", prompt_tokens=1, completion_tokens=1, attempts=1),
    )


@pytest.fixture(params=["sqlite", "postgres"])
def settings(request: pytest.FixtureRequest, tmp_path: Path, postgres_url: str) -> Settings:
    if request.param == "sqlite":
        return Settings(generate_badge={"history_path": tmp_path / "history" / "badges.sqlite3"})
    return Settings(generate_badge={"database_url": SecretStr(postgres_url)})


@pytest_asyncio.fixture
async def store(settings: Settings) -> AsyncIterator[BadgeStore]:
    opened = open_store(settings)
    await opened.clear()  # the PostgreSQL server is shared by the session
    yield opened
    await opened.clear()
    await opened.aclose()


async def test_a_stored_badge_comes_back_whole(store: BadgeStore) -> None:
    badge = sample(1)
    await store.add(badge)
    assert await store.get(badge.id) == badge
    assert await store.get("no-such-id") is None


async def test_history_pages_are_newest_first(store: BadgeStore) -> None:
    for number in range(1, 6):
        await store.add(sample(number))
    first = await store.page(limit=2, offset=0)
    last = await store.page(limit=2, offset=4)
    assert [item.name for item in first.items] == ["Badge 5", "Badge 4"]
    assert (first.total, first.next_offset) == (5, 2)
    assert [item.name for item in last.items] == ["Badge 1"]
    assert last.next_offset is None
    assert first.items[0].course_excerpt.startswith("Course number 5: testing")
    assert len(first.items[0].course_excerpt) <= 160


async def test_versions_keep_their_parent(store: BadgeStore) -> None:
    first = sample(1)
    second = sample(2, parent=first)
    await store.add(first)
    await store.add(second)
    (newest, oldest) = (await store.page(limit=10, offset=0)).items
    assert (newest.id, newest.parent_id, newest.version) == (second.id, first.id, 2)
    assert oldest.parent_id is None


async def test_delete_one_and_clear_all(store: BadgeStore) -> None:
    for number in range(1, 4):
        await store.add(sample(number))
    assert await store.delete(sample(2).id) is True
    assert await store.delete(sample(2).id) is False
    assert [item.name for item in (await store.page(10, 0)).items] == ["Badge 3", "Badge 1"]
    assert await store.clear() == 2
    assert (await store.page(10, 0)).total == 0


async def test_concurrent_writers_lose_nothing(store: BadgeStore, settings: Settings) -> None:
    # A second store on the same database stands for another process (another pod).
    other = open_store(settings)
    writers = (store, other)
    try:
        await asyncio.gather(*(writers[n % 2].add(sample(n)) for n in range(1, 61)))
    finally:
        await other.aclose()
    page = await store.page(limit=100, offset=0)
    assert page.total == 60
    assert {item.id for item in page.items} == {sample(n).id for n in range(1, 61)}


async def test_sqlite_history_survives_a_restart(tmp_path: Path) -> None:
    settings = Settings(generate_badge={"history_path": tmp_path / "badges.sqlite3"})
    first = open_store(settings)
    await first.add(sample(1))
    await first.aclose()
    again = open_store(settings)
    try:
        assert await again.get(sample(1).id) == sample(1)
    finally:
        await again.aclose()


async def test_an_unreachable_database_is_a_503(closed_port_url: str) -> None:
    port = closed_port_url.rsplit(":", 1)[1]
    unreachable = PostgresStore(f"postgresql://postgres@127.0.0.1:{port}/postgres", connect_timeout_s=1)
    with pytest.raises(HistoryUnavailable) as raised:
        await unreachable.page(10, 0)
    await unreachable.aclose()
    assert raised.value.status == 503


async def test_the_service_keeps_history_in_postgresql(tiny_backend: BackendSettings, postgres_url: str) -> None:
    settings = make_settings(tiny_backend, generate_badge={"database_url": SecretStr(postgres_url)})
    async with serve_client(settings, ["generate-badge"]) as (client, _):
        await client.delete("/generate-badge/history", params={"confirm": "true"})
        made = await client.post("/generate-badge", json={"course_input": COURSE})
        assert made.status_code == 200, made.text
        assert_valid_badge(made.json())
        again = await client.post("/generate-badge/regenerate", json={"badge_id": made.json()["id"], "field": "image"})
        assert again.status_code == 200, again.text
        assert_valid_badge(again.json())
        history = (await client.get("/generate-badge/history")).json()
        stored = await client.get(f"/generate-badge/history/{made.json()['id']}")
    assert [item["id"] for item in history["items"]] == [again.json()["id"], made.json()["id"]]
    assert stored.json() == made.json()
