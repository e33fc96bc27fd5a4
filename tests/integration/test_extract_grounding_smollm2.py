"""extract-parameters with SmolLM2-135M on messages that leave a required value out: whatever the
model writes for it, the value comes back missing, never filled (grounding, strict by default)."""

from __future__ import annotations

from typing import Any

import pytest

from localfn.engine.embedded import LlamaServer
from tests.support.localfn_app import make_settings, serve_client

pytestmark = pytest.mark.smollm2


def function(name: str, required: dict[str, Any], optional: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "name": name,
        "parameters": {"type": "object", "properties": {**required, **(optional or {})}, "required": list(required)},
    }


STRING, NUMBER, INTEGER, DATE = {"type": "string"}, {"type": "number"}, {"type": "integer"}, {"type": "string", "format": "date"}
CURRENCY = {"type": "string", "pattern": "^[A-Z]{3}$", "description": "ISO currency code"}
# (message, function, the required value the message does not give)
ABSENT = [
    ("Send money to Jonas Weber.", function("transfer_money", {"to_account": STRING, "amount": NUMBER}), "amount"),
    ("Pay the invoice from ACME in full.", function("pay_invoice", {"payee": STRING, "currency": CURRENCY}), "currency"),
    ("Book a flight from Oslo to Rome.", function("book_flight", {"origin": STRING, "destination": STRING, "date": DATE}), "date"),
    ("Who is in the chess club?", function("list_members", {"club": STRING, "organization_id": INTEGER}), "organization_id"),
    ("Enrol Maria in the biology course.", function("enroll", {"student_id": STRING, "course": STRING}), "student_id"),
    ("Reserve a table at Luigi's tonight.", function("reserve_table", {"restaurant": STRING, "party_size": INTEGER}), "party_size"),
    ("Order more printer paper.", function("order_supplies", {"item": STRING, "quantity": INTEGER}), "quantity"),
    ("Email the report to my manager.", function("send_email", {"to": {"type": "string", "format": "email"}, "subject": STRING}), "to"),
    (
        "Call the plumber about the leak.",
        function("call_contact", {"name": STRING, "phone": {"type": "string", "pattern": "^\\+?[0-9 ]{7,15}$"}}),
        "phone",
    ),
    ("Set the thermostat in the living room.", function("set_thermostat", {"room": STRING, "temperature": NUMBER}), "temperature"),
    ("Schedule a dentist appointment.", function("schedule", {"what": STRING, "day": DATE}), "day"),
    ("Summarise the meeting notes and save them.", function("save_summary", {"title": STRING, "summary_id": INTEGER}), "summary_id"),
]


@pytest.mark.parametrize(("message", "schema", "absent"), ABSENT, ids=[schema["name"] for _, schema, _ in ABSENT])
async def test_a_required_value_the_message_does_not_give_is_always_missing(
    smollm2_server: LlamaServer, message: str, schema: dict[str, Any], absent: str
) -> None:
    settings = make_settings(smollm2_server.backend(), temperature=0, cache_ttl_s=0)
    async with serve_client(settings, ["extract-parameters"]) as (client, _):
        response = await client.post("/extract-parameters", json={"user_message": message, "function_schema": schema})
    assert response.status_code == 200, response.text
    body = response.json()
    assert absent not in body["arguments"], body
    assert body["function"] is None or absent in body["missing_required"], body
