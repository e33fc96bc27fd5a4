"""A doctor's findings: one `Check` per thing looked at, OK, WARN or FAIL, with the fix."""

from __future__ import annotations

from dataclasses import asdict, dataclass
from enum import Enum
from typing import Any

__all__ = ["Check", "Status", "fail", "failed", "ok", "to_json", "warn"]


class Status(str, Enum):
    OK = "OK"
    WARN = "WARN"  # works, but not as the chart intends (no dead-letter sink, a model on the CPU)
    FAIL = "FAIL"  # does not work until fixed; the command exits 1


@dataclass(frozen=True)
class Check:
    """What was checked (``name``, e.g. "ollama-gpu pvc"), what was found, and, unless OK, what to do."""

    name: str
    status: Status
    detail: str
    fix: str = ""


def ok(name: str, detail: str) -> Check:
    return Check(name, Status.OK, detail)


def warn(name: str, detail: str, fix: str) -> Check:
    return Check(name, Status.WARN, detail, fix)


def fail(name: str, detail: str, fix: str) -> Check:
    return Check(name, Status.FAIL, detail, fix)


def failed(checks: list[Check]) -> bool:
    return any(check.status is Status.FAIL for check in checks)


def to_json(checks: list[Check], **context: Any) -> dict[str, Any]:
    """The report as `--json` prints it: the context (cluster, namespace, release), then every check."""
    return {**context, "ok": not failed(checks), "checks": [{**asdict(c), "status": c.status.value} for c in checks]}
