"""The evaluation set's expected answers, grounded: the rules keep every value a careful reader takes
from the message, apart from the few the product knowingly cannot read (listed here)."""

from __future__ import annotations

import pytest

from bench.extract_parameters.evaluate import CASES, load_cases, request_of
from localfn.functions.extract_parameters.evidence import Evidence
from localfn.functions.extract_parameters.grounding import Mode, ground

# (case, value): enum values and flags implied by meaning alone ("her mother" is a parent, "at 06:45" a
# time trigger, "let everyone know" notifies attendees), dropped in strict mode and kept flagged in
# lenient; and a time dateparser cannot read.
BY_MEANING = {("nested-01", "guardian/relationship"), ("nested-03", "trigger/type"), ("multi_function-09", "notify_attendees")}
UNREAD = {("numbers_in_words-07", "start_time")}  # "half past two in the afternoon"


@pytest.mark.parametrize(("mode", "dropped"), [("strict", BY_MEANING | UNREAD), ("lenient", UNREAD)])
def test_expected_answers_survive_grounding_but_for_the_known_limits(mode: Mode, dropped: set[tuple[str, str]]) -> None:
    found = set()
    for case in load_cases(CASES):
        expected = case["expected"]
        if expected["function"] is None:
            continue
        parameters = next(f["parameters"] for f in case["functions"] if f["name"] == expected["function"])
        grounded = ground(expected["arguments"], parameters, Evidence(case["user_message"]), request_of(case).clock(), mode)
        found |= {(case["id"], finding.field) for finding in grounded.dropped(mode)}
        kept = {finding.field for finding in grounded.findings if finding.kept(mode)}
        if not grounded.dropped(mode) and not kept:
            assert grounded.arguments == expected["arguments"], case["id"]  # dates come back as written
    assert found == dropped


def test_the_set_has_cases_for_every_grounding_rule() -> None:
    grounding = [case for case in load_cases(CASES) if case["category"] == "grounding"]
    messages = " ".join(case["user_message"] for case in grounding)
    assert all(
        sign in messages for sign in ("euros", "£", "$", "a dozen", "twenty-one", "tomorrow evening", "in two weeks", "°F", "zoom call")
    )
    assert sum(bool(case["expected"]["missing_required"]) for case in grounding) >= 4
    assert {case["reference_time"][:10] for case in grounding if "reference_time" in case} >= {
        "2025-01-31",
        "2025-12-31",
    }  # month and year ends
    # one mention, one field (a date, and a count beside its unit); parts of a date or a time; a name where an id is wanted
    assert all(sign in messages for sign in ("BIO205 on 2025-11-12", "for 3 guests", "March 3, 2026", "at 16:30", "Enrol Maria Costa"))
