"""Badge history: every generated or regenerated badge, in SQLite (default) or PostgreSQL."""

from __future__ import annotations

from localfn.functions.generate_badge.store.base import BadgeStore, HistoryUnavailable
from localfn.settings import Settings

__all__ = ["BadgeStore", "HistoryUnavailable", "open_store"]


def open_store(settings: Settings) -> BadgeStore:
    """PostgreSQL when LOCALFN_GENERATE_BADGE__DATABASE_URL is set, else the SQLite file at LOCALFN_GENERATE_BADGE__HISTORY_PATH.

    Nothing connects here: each store opens itself on first use.
    """
    if settings.generate_badge.database_url is not None:
        # Imported only here: psycopg is not loaded by processes that keep history in SQLite.
        from localfn.functions.generate_badge.store.postgres import PostgresStore

        return PostgresStore(settings.generate_badge.database_url.get_secret_value())
    from localfn.functions.generate_badge.store.sqlite import SqliteStore

    return SqliteStore(settings.generate_badge.history_path)
