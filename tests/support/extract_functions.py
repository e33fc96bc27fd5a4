"""Function schemas the extract-parameters tests share: the README's own example."""

from __future__ import annotations

from typing import Any

TRANSFER: dict[str, Any] = {
    "name": "transfer_money",
    "description": "Send money from one of the user's accounts to a payee.",
    "parameters": {
        "type": "object",
        "properties": {
            "from_account": {"type": "string", "enum": ["checking", "savings"]},
            "to_account": {"type": "string"},
            "amount": {"type": "number", "exclusiveMinimum": 0},
            "currency": {"type": "string", "pattern": r"^[A-Z]{3}$"},
            "on": {"type": "string", "format": "date"},
        },
        "required": ["from_account", "to_account", "amount"],
        "additionalProperties": False,
    },
}
