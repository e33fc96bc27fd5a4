"""extract-parameters with SmolLM2-135M, where the arguments must make sense."""

from __future__ import annotations

import pytest

from localfn.engine.embedded import LlamaServer
from tests.support.localfn_app import make_settings, serve_client

pytestmark = pytest.mark.smollm2

WEATHER = {
    "name": "get_current_weather",
    "description": "Get the current weather for a location.",
    "parameters": {
        "type": "object",
        "properties": {
            "location": {"type": "string", "description": "City or place"},
            "units": {"type": "string", "enum": ["celsius", "fahrenheit"], "description": "Temperature units"},
        },
        "required": ["location"],
        "additionalProperties": False,
    },
}


async def test_a_plain_request_is_filled_from_the_message(smollm2_server: LlamaServer) -> None:
    settings = make_settings(smollm2_server.backend(), temperature=0)
    async with serve_client(settings, ["extract-parameters"]) as (client, _):
        response = await client.post(
            "/extract-parameters",
            json={"user_message": "What's the weather like in Lisbon right now? Use celsius.", "function_schema": WEATHER},
        )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["function"] == "get_current_weather"
    assert "lisbon" in body["arguments"]["location"].lower()
    assert body["arguments"].get("units", "celsius") == "celsius"
    assert body["missing_required"] == []
