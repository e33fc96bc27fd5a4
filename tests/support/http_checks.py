"""Checks on what a localfn app answers over HTTP: problem documents and Prometheus scrapes."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import httpx
from prometheus_client.parser import text_string_to_metric_families

__all__ = ["PROBLEM", "Scrape", "assert_problem"]

PROBLEM = "application/problem+json"


def assert_problem(response: httpx.Response, status: int, slug: str) -> dict[str, Any]:
    """The response is an RFC 9457 problem of this status and type, with a title and a detail; its body."""
    assert response.status_code == status, response.text
    assert response.headers["content-type"].startswith(PROBLEM)
    body = response.json()
    assert body["type"] == f"urn:localfn:problem:{slug}"
    assert body["status"] == status and body["title"] and body["detail"]
    return body


@dataclass(frozen=True)
class Scrape:
    """One GET /metrics, parsed: any sample's value by name and labels (0 when it is absent)."""

    values: dict[tuple[str, frozenset[tuple[str, str]]], float]

    @classmethod
    def parse(cls, text: str) -> Scrape:
        return cls(
            {(s.name, frozenset(s.labels.items())): s.value for family in text_string_to_metric_families(text) for s in family.samples}
        )

    def value(self, name: str, **labels: str) -> float:
        return self.values.get((name, frozenset(labels.items())), 0.0)
