"""Run the extract-parameters evaluation set through the real capability against one engine.

    python -m bench.extract_parameters.evaluate --engine-url http://127.0.0.1:8081/v1 --model smollm2

Each case of tests/eval/extract_parameters.jsonl is sent as ``{"user_message", "functions"}``
(with its ``reference_time`` and ``timezone`` when it has them, and ``--grounding``) to
``ExtractParameters`` in-process (the same code the HTTP function runs, without the
cache). A case is an exact match when the function, the arguments and the set of missing
required values all equal the expected ones. Also counted: replies whose arguments break
their schema (apart from the listed missing values), which must stay at zero, errors (the
model's reply never fitting its schema after the repairs), and value by value (scoring.py)
the values exact, wrong but grounded, misplaced (the message's, in a field the case does not
give), invented, and required values correctly missing.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import shlex
import sys
import time
from collections import defaultdict
from dataclasses import asdict, fields
from pathlib import Path
from typing import Any

from bench.extract_parameters.scoring import Tally, tally
from bench.machine import machine
from localfn.errors import LocalfnError
from localfn.functions.extract_parameters.arguments import judge
from localfn.functions.extract_parameters.capability import ExtractParameters
from localfn.functions.extract_parameters.grounding import Mode
from localfn.functions.extract_parameters.models import ExtractParametersRequest
from localfn.runtime import Runtime
from localfn.settings import BackendSettings, Settings

CASES = Path(__file__).resolve().parents[2] / "tests" / "eval" / "extract_parameters.jsonl"


def load_cases(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def select(cases: list[dict[str, Any]], ids: list[str]) -> list[dict[str, Any]]:
    """The cases with these ids, in the set's order (all of them when ``ids`` is empty);
    ``ValueError`` naming any id the set does not hold."""
    unknown = sorted(set(ids) - {case["id"] for case in cases})
    if unknown:
        raise ValueError(f"no case {', '.join(unknown)} in the set: ids look like {cases[0]['id']!r}" if cases else "the set is empty")
    return [case for case in cases if not ids or case["id"] in ids]


def request_of(case: dict[str, Any], grounding: Mode = "strict") -> ExtractParametersRequest:
    """The request a case makes: its message and functions, and the clock its relative dates are read by."""
    clock = {key: case[key] for key in ("reference_time", "timezone") if key in case}
    return ExtractParametersRequest.model_validate(
        {"user_message": case["user_message"], "functions": case["functions"], "grounding": grounding, **clock}
    )


async def run_case(capability: ExtractParameters, case: dict[str, Any], grounding: Mode) -> dict[str, Any]:
    """One case's outcome: what came back, whether it is an exact match, whether it is schema-valid, its values."""
    request = request_of(case, grounding)
    expected = case["expected"]
    outcome: dict[str, Any] = {"id": case["id"], "category": case["category"], "expected": expected}
    try:
        reply = (await capability.run(request)).model_dump(mode="json")
    except LocalfnError as exc:
        values = tally(case, {"function": None, "arguments": {}, "missing_required": []}, request.clock())
        return {**outcome, "exact": False, "valid": False, "values": asdict(values), "error": f"{exc.slug}: {exc.detail}"[:500]}
    got = {key: reply[key] for key in ("function", "arguments", "missing_required")}
    parameters = next((f["parameters"] for f in case["functions"] if f["name"] == reply["function"]), None)
    judged = judge(reply["arguments"], parameters) if parameters is not None else None
    return {
        **outcome,
        "got": got,
        "exact": got["function"] == expected["function"]
        and got["arguments"] == expected["arguments"]
        and set(got["missing_required"]) == set(expected["missing_required"]),
        "valid": judged is None or (not judged.problems and set(judged.missing) == set(reply["missing_required"])),
        "values": asdict(tally(case, got, request.clock())),
        "ungrounded": reply["ungrounded"],
        "error": None,
    }


async def evaluate(settings: Settings, cases: list[dict[str, Any]], concurrency: int, grounding: Mode = "strict") -> list[dict[str, Any]]:
    runtime = Runtime(settings)
    capability = runtime.capability(ExtractParameters)
    slots = asyncio.Semaphore(concurrency)

    async def bounded(case: dict[str, Any]) -> dict[str, Any]:
        async with slots:
            return await run_case(capability, case, grounding)

    try:
        return list(await asyncio.gather(*(bounded(case) for case in cases)))
    finally:
        await runtime.aclose()


def summarise(outcomes: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    """Per category (and "overall"): cases, exact matches, accuracy, schema-invalid replies, errors,
    and the values exact, wrong, misplaced, invented and correctly missing (of those the cases list missing)."""
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for outcome in outcomes:
        groups[outcome["category"]].append(outcome)
        groups["overall"].append(outcome)
    table = {}
    for category in [*sorted(k for k in groups if k != "overall"), "overall"]:
        rows = groups[category]
        exact = sum(row["exact"] for row in rows)
        table[category] = {
            "cases": len(rows),
            "exact": exact,
            "accuracy": round(exact / len(rows), 3),
            "invalid": sum(not row["valid"] and row["error"] is None for row in rows),
            "errors": sum(row["error"] is not None for row in rows),
            **{name: sum(row["values"][name] for row in rows) for name in (field.name for field in fields(Tally))},
        }
    return table


def print_table(table: dict[str, dict[str, Any]]) -> None:
    print(
        f"{'category':<20}{'cases':>6}{'exact':>7}{'accuracy':>10}{'invalid':>9}{'errors':>8}"
        f"{'| values: exact':>16}{'wrong':>7}{'misplaced':>11}{'invented':>10}{'missing':>10}"
    )
    for category, row in table.items():
        missing = f"{row['missing']}/{row['missing_expected']}"
        print(
            f"{category:<20}{row['cases']:>6}{row['exact']:>7}{row['accuracy']:>10.1%}{row['invalid']:>9}{row['errors']:>8}"
            f"{row['exact_values']:>16}{row['wrong']:>7}{row['misplaced']:>11}{row['invented']:>10}{missing:>10}"
        )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.extract_parameters.evaluate", description=__doc__.split("\n\n")[0])
    parser.add_argument("--engine-url", required=True, help="http://host:11434 (Ollama) or http://host/v1 (OpenAI-compatible)")
    parser.add_argument("--model", required=True, help="model name on that engine")
    parser.add_argument("--kind", choices=["openai", "ollama"], default="openai", help="engine API (default openai)")
    parser.add_argument("--cases", type=Path, default=CASES, help="JSONL evaluation set (default: tests/eval's)")
    parser.add_argument("--case", action="append", default=[], metavar="ID", help="run only this case of the set (repeatable)")
    parser.add_argument("--concurrency", type=int, default=2, help="cases run at once (default 2)")
    parser.add_argument("--temperature", type=float, default=0.0, help="sampling temperature (default 0: reproducible)")
    parser.add_argument("--output", type=Path, help="write every outcome and the table to this JSON file")
    parser.add_argument("--note", default="", help="recorded with the results, e.g. how the engine was started")
    parser.add_argument("--grounding", choices=["strict", "lenient", "off"], default="strict", help="sent with every case (default strict)")
    args = parser.parse_args(argv)

    backend = BackendSettings(name="eval", kind=args.kind, url=args.engine_url, model=args.model)
    settings = Settings(engines=[backend], temperature=args.temperature, cache_ttl_s=0, request_timeout_s=600)
    try:
        cases = select(load_cases(args.cases), args.case)
    except ValueError as exc:
        parser.error(str(exc))
    started = time.perf_counter()
    outcomes = asyncio.run(evaluate(settings, cases, args.concurrency, args.grounding))
    seconds = round(time.perf_counter() - started, 1)
    table = summarise(outcomes)
    print_table(table)
    print(f"{len(cases)} cases in {seconds} s against {args.model} at {args.engine_url}")
    if args.output:
        report = {
            "command": shlex.join(["python", "-m", "bench.extract_parameters.evaluate", *(argv or sys.argv[1:])]),
            "engine": {"kind": args.kind, "url": args.engine_url, "model": args.model, "note": args.note},
            "settings": {
                "temperature": args.temperature,
                "max_repairs": settings.max_repairs,
                "concurrency": args.concurrency,
                "grounding": args.grounding,
            },
            "machine": machine(),
            "seconds": seconds,
            "table": table,
            "outcomes": outcomes,
        }
        args.output.write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
