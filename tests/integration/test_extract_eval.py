"""Every case of the extract-parameters evaluation set, through the function on the tiny model: each
answer must be schema-true. Accuracy is not asserted (the tiny model writes nonsense); it is measured
with SmolLM2 and recorded by `python -m bench.extract_parameters.evaluate` (see bench/extract_parameters)."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from jsonschema import Draft202012Validator

from localfn.settings import BackendSettings
from tests.support.localfn_app import make_settings, serve_client

CASES = [json.loads(line) for line in (Path(__file__).parents[1] / "eval" / "extract_parameters.jsonl").read_text().splitlines() if line]
PARALLEL = 4  # the tiny server's slots


def faults(case: dict[str, Any], body: dict[str, Any]) -> list[str]:
    """How an answer breaks the promise: arguments valid against the chosen function's schema,
    except for required values listed in missing_required, which are absent."""
    names = {function["name"]: function for function in case["functions"]}
    if body["function"] is None:
        return (
            []
            if (body["arguments"], body["missing_required"], bool(body["no_call_reason"])) == ({}, [], True)
            else ["a no-call with content"]
        )
    if body["function"] not in names:
        return [f"unknown function {body['function']!r}"]
    parameters = names[body["function"]]["parameters"]
    problems = []
    for error in Draft202012Validator(parameters, format_checker=Draft202012Validator.FORMAT_CHECKER).iter_errors(body["arguments"]):
        absent = [name for name in error.validator_value if name not in error.instance] if error.validator == "required" else []
        path = "/".join(map(str, error.absolute_path))
        if not absent or any("/".join(filter(None, [path, name])) not in body["missing_required"] for name in absent):
            problems.append(f"{path}: {error.message}")
    return problems


@pytest.mark.parametrize("category", sorted({case["category"] for case in CASES}))
async def test_every_evaluation_case_gets_schema_true_arguments(tiny_backend: BackendSettings, category: str) -> None:
    cases = [case for case in CASES if case["category"] == category]
    slots = asyncio.Semaphore(PARALLEL)
    async with serve_client(make_settings(tiny_backend, cache_ttl_s=0), ["extract-parameters"]) as (client, _):

        async def check(case: dict[str, Any]) -> list[str]:
            async with slots:
                body = {key: case[key] for key in ("user_message", "functions", "reference_time", "timezone") if key in case}
                response = await client.post("/extract-parameters", json=body)
            if response.status_code != 200:
                return [f"{case['id']}: HTTP {response.status_code} {response.text[:300]}"]
            return [f"{case['id']}: {fault}" for fault in faults(case, response.json())]

        found = [fault for faults_of_case in await asyncio.gather(*map(check, cases)) for fault in faults_of_case]
    assert found == []


def test_the_set_covers_what_the_issue_asks_for() -> None:
    categories = {case["category"] for case in CASES}
    assert len(CASES) >= 60 and len({case["id"] for case in CASES}) == len(CASES)
    assert {"single", "multi_function", "missing_required", "no_call", "enum", "nested", "numbers_in_words", "grounding"} <= categories
