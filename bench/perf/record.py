"""A benchmark's result: its checks against targets, written to bench/results/<benchmark>.json."""

from __future__ import annotations

import datetime
import json
import subprocess
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from bench.perf.harness import REPO

__all__ = ["Check", "Result", "commit", "print_table", "write"]

RESULTS = REPO / "bench" / "results"


@dataclass
class Check:
    """One measured number held against its target, e.g. a ratio to the competitor that must stay at most 1.3."""

    name: str
    measured: float
    unit: str
    target: str | None  # None: reported beside the checks, no target of its own
    met: bool | None

    @classmethod
    def at_most(cls, name: str, measured: float, limit: float, unit: str = "x") -> Check:
        return cls(name, round(measured, 4), unit, f"<= {limit:g}", measured <= limit)

    @classmethod
    def at_least(cls, name: str, measured: float, floor: float, unit: str = "x") -> Check:
        return cls(name, round(measured, 4), unit, f">= {floor:g}", measured >= floor)

    @classmethod
    def info(cls, name: str, measured: float, unit: str) -> Check:
        return cls(name, round(measured, 4), unit, None, None)


@dataclass
class Result:
    """What one benchmark measured: its parameters, the raw numbers, the checks."""

    benchmark: str
    parameters: dict[str, Any]
    raw: dict[str, Any]
    checks: list[Check] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def write(result: Result, *, command: str, machine: dict[str, Any], directory: Path = RESULTS) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"{result.benchmark}.json"
    record = {
        "benchmark": result.benchmark,
        "command": command,
        "recorded_at": datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds"),
        "commit": commit(),
        "machine": machine,
        "parameters": result.parameters,
        "checks": [asdict(check) for check in result.checks],
        "all_met": all(check.met is not False for check in result.checks),
        "notes": result.notes,
        "raw": result.raw,
    }
    path.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
    return path


def commit() -> str | None:
    """The commit measured (with '+changes' when the tree differs from it)."""
    try:
        head = subprocess.run(["git", "rev-parse", "HEAD"], cwd=REPO, capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain"], cwd=REPO, capture_output=True, text=True, check=True).stdout
    except (OSError, subprocess.CalledProcessError):
        return None
    return f"{head}+changes" if dirty.strip() else head


def print_table(results: list[Result]) -> None:
    table = Table("benchmark", "check", "measured", "target", "met")
    met = {True: "yes", False: "[bold red]no[/]", None: "-"}
    for result in results:
        for check in result.checks:
            target = f"{check.target} {check.unit}" if check.target else "-"
            table.add_row(result.benchmark, check.name, f"{check.measured:g} {check.unit}", target, met[check.met])
    Console().print(table)
