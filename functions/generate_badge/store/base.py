"""What a badge store does, and the parts both implementations share."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from localfn.errors import LocalfnError
from localfn.functions.generate_badge.models import GenerateBadgeResponse, HistoryItem, HistoryPage

__all__ = ["BadgeStore", "HistoryUnavailable", "Row", "history_page", "row_of"]

EXCERPT_CHARS = 160

# (id, parent_id, version, created_at, name, course_excerpt): the columns a history page lists.
Row = tuple[str, str | None, int, Any, str, str]


class HistoryUnavailable(LocalfnError):
    """The history database cannot be reached or written (503, worth a retry)."""

    status, slug, title = 503, "history-unavailable", "Badge history unavailable"
    retryable = True


class BadgeStore(ABC):
    """Stored badges, newest first. Each method is one transaction; nothing is kept in memory."""

    @abstractmethod
    async def add(self, badge: GenerateBadgeResponse) -> None: ...

    @abstractmethod
    async def get(self, badge_id: str) -> GenerateBadgeResponse | None: ...

    @abstractmethod
    async def page(self, limit: int, offset: int) -> HistoryPage: ...

    @abstractmethod
    async def delete(self, badge_id: str) -> bool:
        """True when a badge was deleted."""

    @abstractmethod
    async def clear(self) -> int:
        """Delete every badge; returns how many there were."""

    @abstractmethod
    async def aclose(self) -> None: ...


def row_of(badge: GenerateBadgeResponse) -> Row:
    excerpt = " ".join(badge.input.course_input.split())[:EXCERPT_CHARS]
    return (badge.id, badge.parent_id, badge.version, badge.created_at, badge.achievement["name"], excerpt)


def history_page(rows: list[Row], total: int, limit: int, offset: int) -> HistoryPage:
    items = [
        HistoryItem(id=id_, parent_id=parent, version=version, created_at=created, name=name, course_excerpt=excerpt)
        for id_, parent, version, created, name, excerpt in rows
    ]
    next_offset = offset + limit if offset + limit < total else None
    return HistoryPage(items=items, total=total, limit=limit, offset=offset, next_offset=next_offset)
