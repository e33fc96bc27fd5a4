"""Badge history in one SQLite file: the default, for a laptop or a single pod with a volume.

sqlite3 blocks, so every call runs on one dedicated thread that owns the connection; the
event loop never waits on disk. WAL lets readers work while a writer commits, writes take
the lock up front (BEGIN IMMEDIATE) and wait up to BUSY_TIMEOUT_MS for another process's
writer instead of failing, so concurrent writers, in this process or others, lose nothing.
"""

from __future__ import annotations

import asyncio
import sqlite3
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TypeVar

from localfn.functions.generate_badge.models import GenerateBadgeResponse, HistoryPage
from localfn.functions.generate_badge.store.base import BadgeStore, HistoryUnavailable, history_page, row_of

__all__ = ["SqliteStore"]

T = TypeVar("T")

BUSY_TIMEOUT_MS = 10_000

_SCHEMA = """
CREATE TABLE IF NOT EXISTS localfn_badges (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    id TEXT NOT NULL UNIQUE,
    parent_id TEXT,
    version INTEGER NOT NULL,
    created_at TEXT NOT NULL,
    name TEXT NOT NULL,
    course_excerpt TEXT NOT NULL,
    body TEXT NOT NULL
)
"""
_COLUMNS = "id, parent_id, version, created_at, name, course_excerpt"


class SqliteStore(BadgeStore):
    def __init__(self, path: Path) -> None:
        self.path = path
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="localfn-history")
        self._connection: sqlite3.Connection | None = None  # opened, used and closed on that thread only

    async def _run(self, work: Callable[[sqlite3.Connection], T]) -> T:
        def call() -> T:
            try:
                return work(self._connect())
            except (sqlite3.Error, OSError) as exc:  # OSError: the folder cannot be created
                raise HistoryUnavailable(f"badge history at {self.path}: {exc}") from exc

        return await asyncio.get_running_loop().run_in_executor(self._thread, call)

    def _connect(self) -> sqlite3.Connection:
        if self._connection is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # isolation_level=None: transactions are begun explicitly below, never implicitly.
            connection = sqlite3.connect(self.path, timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
            try:
                connection.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
                connection.execute("PRAGMA journal_mode = WAL")
                with _transaction(connection):
                    connection.execute(_SCHEMA)
            except BaseException:
                connection.close()
                raise
            self._connection = connection
        return self._connection

    async def add(self, badge: GenerateBadgeResponse) -> None:
        id_, parent, version, created, name, excerpt = row_of(badge)
        values = (id_, parent, version, created.isoformat(), name, excerpt, badge.model_dump_json())

        def insert(connection: sqlite3.Connection) -> None:
            with _transaction(connection):
                connection.execute(f"INSERT INTO localfn_badges ({_COLUMNS}, body) VALUES (?, ?, ?, ?, ?, ?, ?)", values)

        await self._run(insert)

    async def get(self, badge_id: str) -> GenerateBadgeResponse | None:
        def select(connection: sqlite3.Connection) -> str | None:
            row = connection.execute("SELECT body FROM localfn_badges WHERE id = ?", (badge_id,)).fetchone()
            return row[0] if row else None

        body = await self._run(select)
        return GenerateBadgeResponse.model_validate_json(body) if body is not None else None

    async def page(self, limit: int, offset: int) -> HistoryPage:
        def select(connection: sqlite3.Connection) -> HistoryPage:
            with _transaction(connection, "BEGIN"):  # one snapshot for the count and the rows
                (total,) = connection.execute("SELECT count(*) FROM localfn_badges").fetchone()
                rows = connection.execute(
                    f"SELECT {_COLUMNS} FROM localfn_badges ORDER BY seq DESC LIMIT ? OFFSET ?", (limit, offset)
                ).fetchall()
            parsed = [(i, p, v, datetime.fromisoformat(c), n, e) for i, p, v, c, n, e in rows]
            return history_page(parsed, total, limit, offset)

        return await self._run(select)

    async def delete(self, badge_id: str) -> bool:
        def remove(connection: sqlite3.Connection) -> bool:
            with _transaction(connection):
                return connection.execute("DELETE FROM localfn_badges WHERE id = ?", (badge_id,)).rowcount > 0

        return await self._run(remove)

    async def clear(self) -> int:
        def remove(connection: sqlite3.Connection) -> int:
            with _transaction(connection):
                return connection.execute("DELETE FROM localfn_badges").rowcount

        return await self._run(remove)

    async def aclose(self) -> None:
        def close() -> None:
            if self._connection is not None:
                self._connection.close()
                self._connection = None

        await asyncio.get_running_loop().run_in_executor(self._thread, close)
        self._thread.shutdown(wait=True)


@contextmanager
def _transaction(connection: sqlite3.Connection, begin: str = "BEGIN IMMEDIATE") -> Iterator[None]:
    connection.execute(begin)
    try:
        yield
    except BaseException:
        connection.execute("ROLLBACK")
        raise
    connection.execute("COMMIT")
