"""Badge history in PostgreSQL (LOCALFN_GENERATE_BADGE__DATABASE_URL): for several pods sharing one history.

psycopg 3's async pool; each method is one transaction on a pooled connection. The table
is created on first use under an advisory lock, so pods starting together do not race on
CREATE TABLE. Rows are only ever inserted or deleted, so concurrent writers cannot lose
each other's work.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import psycopg
from psycopg.types.json import Jsonb
from psycopg_pool import AsyncConnectionPool, PoolTimeout

from localfn.functions.generate_badge.models import GenerateBadgeResponse, HistoryPage
from localfn.functions.generate_badge.store.base import BadgeStore, HistoryUnavailable, history_page, row_of

__all__ = ["PostgresStore"]

POOL_MAX_SIZE = 10  # connections per process; the in-flight limit bounds concurrent requests anyway
CONNECT_TIMEOUT_S = 10.0
_LOCK_KEY = 0x6C6F63616C666E  # "localfn": the advisory lock guarding schema creation

_SCHEMA = """
CREATE TABLE IF NOT EXISTS localfn_badges (
    seq BIGINT GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    id TEXT NOT NULL UNIQUE,
    parent_id TEXT,
    version INTEGER NOT NULL,
    created_at TIMESTAMPTZ NOT NULL,
    name TEXT NOT NULL,
    course_excerpt TEXT NOT NULL,
    body JSONB NOT NULL
)
"""
_COLUMNS = "id, parent_id, version, created_at, name, course_excerpt"


class PostgresStore(BadgeStore):
    def __init__(self, url: str, *, connect_timeout_s: float = CONNECT_TIMEOUT_S) -> None:
        self._url = url
        self._connect_timeout_s = connect_timeout_s
        self._pool: AsyncConnectionPool | None = None
        self._opening = asyncio.Lock()

    async def _open(self) -> AsyncConnectionPool:
        async with self._opening:
            if self._pool is None:
                pool = AsyncConnectionPool(self._url, min_size=1, max_size=POOL_MAX_SIZE, open=False)
                try:
                    await pool.open(wait=True, timeout=self._connect_timeout_s)
                    async with pool.connection() as connection:
                        await connection.execute("SELECT pg_advisory_xact_lock(%s)", (_LOCK_KEY,))
                        await connection.execute(_SCHEMA)
                except BaseException:
                    await pool.close()
                    raise
                self._pool = pool
        return self._pool

    @asynccontextmanager
    async def _connection(self) -> AsyncIterator[psycopg.AsyncConnection]:
        """A pooled connection inside a transaction (committed on success), errors translated once."""
        try:
            pool = self._pool or await self._open()
            async with pool.connection() as connection:
                yield connection
        except (psycopg.OperationalError, PoolTimeout) as exc:
            raise HistoryUnavailable(f"badge history in PostgreSQL: {exc}") from exc

    async def add(self, badge: GenerateBadgeResponse) -> None:
        values = (*row_of(badge), Jsonb(badge.model_dump(mode="json")))
        async with self._connection() as connection:
            await connection.execute(f"INSERT INTO localfn_badges ({_COLUMNS}, body) VALUES (%s, %s, %s, %s, %s, %s, %s)", values)

    async def get(self, badge_id: str) -> GenerateBadgeResponse | None:
        async with self._connection() as connection:
            cursor = await connection.execute("SELECT body FROM localfn_badges WHERE id = %s", (badge_id,))
            row = await cursor.fetchone()
        return GenerateBadgeResponse.model_validate(row[0]) if row else None

    async def page(self, limit: int, offset: int) -> HistoryPage:
        async with self._connection() as connection:
            # REPEATABLE READ: the count and the rows come from one snapshot.
            await connection.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            cursor = await connection.execute("SELECT count(*) FROM localfn_badges")
            (total,) = await cursor.fetchone() or (0,)
            cursor = await connection.execute(
                f"SELECT {_COLUMNS} FROM localfn_badges ORDER BY seq DESC LIMIT %s OFFSET %s", (limit, offset)
            )
            rows = await cursor.fetchall()
        return history_page(list(rows), total, limit, offset)

    async def delete(self, badge_id: str) -> bool:
        async with self._connection() as connection:
            cursor = await connection.execute("DELETE FROM localfn_badges WHERE id = %s", (badge_id,))
            return cursor.rowcount > 0

    async def clear(self) -> int:
        async with self._connection() as connection:
            cursor = await connection.execute("DELETE FROM localfn_badges")
            return cursor.rowcount

    async def aclose(self) -> None:
        if self._pool is not None:
            await self._pool.close()
            self._pool = None
