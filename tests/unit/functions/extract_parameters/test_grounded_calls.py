"""ExtractParameters on a scripted engine that invents: every invented value is re-asked once, then
dropped (a required one reported missing) and listed in ``ungrounded``; never returned."""

from __future__ import annotations

import json
from typing import Any

import pytest
from pydantic import ValidationError

from localfn.functions.extract_parameters.capability import ExtractParameters
from localfn.functions.extract_parameters.models import ExtractParametersRequest
from localfn.settings import Settings
from tests.support.extract_functions import TRANSFER  # the README's example
from tests.support.scripted_engine import ScriptedEngine, run_capability

MEMBERS = {
    "name": "list_members",
    "parameters": {
        "type": "object",
        "properties": {"organization_id": {"type": "integer"}, "student_id": {"type": "string"}},
        "required": ["organization_id", "student_id"],
    },
}
NOTE = {
    "name": "save_note",
    "parameters": {"type": "object", "properties": {"title": {"type": "string"}, "body": {"type": "string"}}, "required": ["title"]},
}
REMINDER = {
    "name": "set_reminder",
    "parameters": {
        "type": "object",
        "properties": {"what": {"type": "string"}, "at": {"type": "string", "format": "date-time"}},
        "required": ["what", "at"],
    },
}
SESSION = {
    "name": "book_session",
    "parameters": {
        "type": "object",
        "properties": {
            "student_id": {"type": "string", "description": "Student ID, e.g. S12345"},
            "course_code": {"type": "string"},
            "date": {"type": "string", "format": "date"},
            "room": {"type": "string"},
            "duration_minutes": {"type": "integer"},
            "seats": {"type": "integer"},
        },
        "required": ["student_id", "course_code", "date"],
    },
}
FLIGHT = {
    "name": "book_flight",
    "parameters": {
        "type": "object",
        "properties": {"destination": {"type": "string"}, "departure_date": {"type": "string", "pattern": "^\\d{4}-\\d{2}-\\d{2}$"}},
        "required": ["destination", "departure_date"],
    },
}
EVENT = {
    "name": "create_event",
    "parameters": {
        "type": "object",
        "properties": {
            "title": {"type": "string"},
            "start": {"type": "string", "pattern": "^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}$"},
            "end": {"type": "string", "pattern": "^\\d{4}-\\d{2}-\\d{2}T\\d{2}:\\d{2}$"},
        },
        "required": ["title", "start"],
    },
}
HOTEL = {
    "name": "book_hotel",
    "parameters": {
        "type": "object",
        "properties": {"city": {"type": "string"}, "guests": {"type": "integer"}, "rooms": {"type": "integer"}},
        "required": ["city"],
    },
}
EVENING = "2026-12-31T09:00:00"  # a reference time on the last day of a year


def call(function: str, **arguments: Any) -> str:
    return json.dumps({"function": function, "arguments": arguments, "no_call_reason": None})


async def run(engine: ScriptedEngine, message: str, function: dict[str, Any], **options: Any) -> dict[str, Any]:
    request = {"user_message": message, "function_schema": function, **options}
    return await run_capability(ExtractParameters, engine, request, Settings(max_repairs=1))


async def test_the_readme_example_invented_twice_is_dropped_and_reported() -> None:
    invented = call("transfer_money", to_account="Jonas Weber", amount=100, currency="USD")
    engine = ScriptedEngine("gpu", [invented, invented])
    body = await run(engine, "Send 300 EUR to Jonas Weber.", TRANSFER)

    assert body["arguments"] == {"to_account": "Jonas Weber"}
    assert sorted(body["missing_required"]) == ["amount", "from_account"]
    assert [(u["field"], u["value"], u["kept"]) for u in body["ungrounded"]] == [("amount", 100, False), ("currency", "USD", False)]
    assert "no number 100" in body["ungrounded"][0]["reason"]
    assert "it names EUR" in body["ungrounded"][1]["reason"]
    reask = engine.requests[1].messages[-1].content  # the reasons went back to the model once
    assert "- amount: 100: the message states no number 100" in reask and "- currency:" in reask
    assert engine.requests[1].messages[-2].content == invented


async def test_the_re_ask_repairs_what_the_model_invented() -> None:
    engine = ScriptedEngine(
        "gpu",
        [
            call("transfer_money", to_account="Jonas Weber", amount=100, currency="USD"),
            call("transfer_money", to_account="Jonas Weber", amount=300, currency="EUR"),
        ],
    )
    body = await run(engine, "Send 300 euros to Jonas Weber.", TRANSFER)

    assert body["arguments"] == {"to_account": "Jonas Weber", "amount": 300, "currency": "EUR"}
    assert (body["missing_required"], body["ungrounded"]) == (["from_account"], [])


async def test_invented_ids_and_placeholders_are_reported_missing() -> None:
    invented = call("list_members", organization_id=1234567890123456, student_id="123456789")
    engine = ScriptedEngine("gpu", [invented, invented])
    body = await run(engine, "Who is in organization 5?", MEMBERS)

    assert (body["arguments"], sorted(body["missing_required"])) == ({}, ["organization_id", "student_id"])
    assert all("placeholder" in u["reason"] for u in body["ungrounded"])


async def test_a_template_placeholder_is_never_a_value() -> None:
    engine = ScriptedEngine("gpu", [call("save_note", title="Groceries", body="{{summary}}")] * 2)
    body = await run(engine, "Save a note titled groceries: milk and eggs.", NOTE)

    assert body["arguments"] == {"title": "Groceries"}
    assert body["ungrounded"][0]["field"] == "body" and "placeholder" in body["ungrounded"][0]["reason"]


async def test_values_the_message_holds_in_fields_it_does_not_give_are_re_asked_then_dropped() -> None:
    misplaced = call(
        "book_session",
        student_id="Priya Shah",
        course_code="HIST220",
        date="2025-11-05",
        room="2025-11-05",
        duration_minutes=15,
        seats=2025,
    )
    engine = ScriptedEngine("gpu", [misplaced, misplaced])
    body = await run(engine, "Book Priya Shah into HIST220 on 2025-11-05 at 15:00.", SESSION)

    assert (body["arguments"], body["missing_required"]) == ({"course_code": "HIST220", "date": "2025-11-05"}, ["student_id"])
    assert {u["field"]: u["reason"] for u in body["ungrounded"]} == {
        "student_id": "'student_id' holds an identifier, and 'Priya Shah' is a name or a phrase, not one",
        "room": "the message's '2025-11-05' already fills 'date'",
        "duration_minutes": "the message writes 15 only as part of a date or a time",
        "seats": "the message writes 2025 only as part of a date or a time",
    }
    reask = engine.requests[1].messages[-1].content
    assert "- room: \"2025-11-05\": the message's '2025-11-05' already fills 'date'" in reask


async def test_the_re_ask_takes_a_mention_out_of_a_second_field() -> None:
    engine = ScriptedEngine(
        "gpu",
        [
            call("book_session", student_id="S1001", course_code="HIST220", date="2025-11-05", room="2025-11-05", seats=2),
            call("book_session", student_id="S1001", course_code="HIST220", date="2025-11-05", seats=2),
        ],
    )
    body = await run(engine, "Book S1001 into HIST220 on 2025-11-05, 2 seats.", SESSION)

    assert body["arguments"] == {"student_id": "S1001", "course_code": "HIST220", "date": "2025-11-05", "seats": 2}
    assert (body["missing_required"], body["ungrounded"]) == ([], [])


async def test_a_date_the_model_computed_wrongly_is_replaced_by_the_products_reading() -> None:
    engine = ScriptedEngine(
        "gpu",
        [
            call("set_reminder", what="call mum", at="2023-05-01T10:00:00Z"),
            call("set_reminder", what="call mum", at="tomorrow evening"),
        ],
    )
    body = await run(engine, "Remind me to call mum tomorrow evening.", REMINDER, reference_time=EVENING, timezone="Europe/Lisbon")

    assert body["arguments"] == {"what": "call mum", "at": "2027-01-01T18:00:00+00:00"}  # across the year end
    assert "it mentions 'tomorrow evening'" in engine.requests[1].messages[-1].content


async def test_a_date_is_read_from_all_of_its_words_with_its_year() -> None:
    engine = ScriptedEngine("gpu", [call("book_flight", destination="Berlin", departure_date="March 3")])
    body = await run(engine, "Book a flight from Lisbon to Berlin on March 3, 2026.", FLIGHT, reference_time=EVENING)

    assert body["arguments"] == {"destination": "Berlin", "departure_date": "2026-03-03"}  # not the next March 3, in 2027
    assert len(engine.requests) == 1


async def test_a_time_the_message_does_not_state_is_re_asked_then_dropped() -> None:
    made_up = call("create_event", title="Thesis review", start="2025-04-03 from 10:00", end="2025-04-03 11:00")
    engine = ScriptedEngine("gpu", [made_up, made_up])
    body = await run(engine, 'Put "Thesis review" in my calendar on 2025-04-03 from 10:00 to 11:30 in Room B204.', EVENT)

    assert body["arguments"] == {"title": "Thesis review", "start": "2025-04-03T10:00"}
    assert [(u["field"], u["value"]) for u in body["ungrounded"]] == [("end", "2025-04-03 11:00")]
    assert "it mentions '2025-04-03 from 10:00', '11:30'" in engine.requests[1].messages[-1].content


async def test_an_end_time_copied_alone_takes_the_messages_day() -> None:
    engine = ScriptedEngine("gpu", [call("create_event", title="Thesis review", start="2025-04-03 from 10:00", end="11:30")])
    body = await run(engine, 'Put "Thesis review" in my calendar on 2025-04-03 from 10:00 to 11:30 in Room B204.', EVENT)

    assert body["arguments"] == {"title": "Thesis review", "start": "2025-04-03T10:00", "end": "2025-04-03T11:30"}


async def test_a_count_labelled_for_another_field_is_re_asked_then_dropped() -> None:
    engine = ScriptedEngine("gpu", [call("book_hotel", city="Porto", rooms=3)] * 2)
    body = await run(engine, "A room in Porto from 2025-05-02 to 2025-05-04 for 3 guests.", HOTEL)

    assert body["arguments"] == {"city": "Porto"}
    assert body["ungrounded"] == [
        {"field": "rooms", "value": 3, "reason": "the message's '3 guests' is for 'guests', not 'rooms'", "kept": False}
    ]


async def test_the_model_sees_dates_as_words_to_copy() -> None:
    engine = ScriptedEngine("gpu", [call("set_reminder", what="pay rent", at="next Monday at 9am")])
    body = await run(engine, "Remind me to pay rent next Monday at 9am.", REMINDER, reference_time="2026-01-30T12:00:00+00:00")

    assert body["arguments"]["at"] == "2026-02-02T09:00:00+00:00"  # across a month end, from a Friday
    property_schema = engine.requests[0].json_schema["properties"]["arguments"]["properties"]["at"]  # type: ignore[index]
    assert "format" not in property_schema and "Copy the words" in property_schema["description"]


async def test_lenient_keeps_weak_evidence_flagged_and_strict_drops_it() -> None:
    partly = call("transfer_money", from_account="savings", to_account="Jonas Weber", amount=20)
    lenient = await run(ScriptedEngine("gpu", [partly]), "Move 20 from savings to Jonas.", TRANSFER, grounding="lenient")
    strict = await run(ScriptedEngine("gpu", [partly, partly]), "Move 20 from savings to Jonas.", TRANSFER)

    assert lenient["arguments"]["to_account"] == "Jonas Weber"
    assert [(u["field"], u["kept"]) for u in lenient["ungrounded"]] == [("to_account", True)]
    assert "to_account" not in strict["arguments"] and strict["missing_required"] == ["to_account"]


async def test_off_returns_what_the_model_said() -> None:
    engine = ScriptedEngine("gpu", [call("transfer_money", from_account="checking", to_account="Jonas Weber", amount=100, currency="USD")])
    body = await run(engine, "Send 300 EUR to Jonas Weber.", TRANSFER, grounding="off")

    assert body["arguments"]["amount"] == 100 and body["ungrounded"] == []
    assert len(engine.requests) == 1


@pytest.mark.parametrize("zone", ["Mars/Olympus", "Europe", "", "posix/UTC", "../etc/passwd"])
def test_an_unknown_time_zone_is_refused_saying_what_to_give(zone: str) -> None:
    with pytest.raises(ValidationError, match="IANA name such as 'Europe/Lisbon'"):
        ExtractParametersRequest.model_validate({"user_message": "hi", "function_schema": NOTE, "timezone": zone})
