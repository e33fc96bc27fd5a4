"""The evaluation runner's choice of cases."""

from __future__ import annotations

import pytest

from bench.extract_parameters.evaluate import CASES, load_cases, main, select


def test_case_ids_pick_a_subset_in_the_sets_order() -> None:
    cases = load_cases(CASES)
    assert [case["id"] for case in select(cases, ["grounding-19", "single-08"])] == ["single-08", "grounding-19"]
    assert select(cases, []) == cases


def test_an_unknown_case_id_is_refused_naming_it(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        main(["--engine-url", "http://127.0.0.1:9/v1", "--model", "m", "--case", "single-08", "--case", "nope-1"])
    assert "no case nope-1 in the set: ids look like 'single-01'" in capsys.readouterr().err
