"""1EdTech's Open Badges 3.0 JSON Schema, read the way the tests judge generate-badge's output.

The tests validate with their own validator over the verbatim schema localfn ships, not
with the product's ``openbadges`` module, so a fault there cannot hide itself.
"""

from __future__ import annotations

import json
from importlib import resources
from typing import Any

import jsonschema

__all__ = ["ACHIEVEMENT_TYPES", "OB3", "SCHEMA", "assert_valid_badge"]

SCHEMA: dict[str, Any] = json.loads(
    resources.files("localfn.assets").joinpath("specs/openbadges-3.0/achievementcredential.json").read_text()
)
OB3 = jsonschema.validators.validator_for(SCHEMA)(SCHEMA, format_checker=jsonschema.Draft201909Validator.FORMAT_CHECKER)
ACHIEVEMENT_TYPES: list[str] = SCHEMA["$defs"]["Achievement"]["properties"]["achievementType"]["oneOf"][0]["enum"]


def assert_valid_badge(body: dict[str, Any]) -> None:
    """The achievement (inside a minimal credential: the schema describes credentials) and any credential are valid."""
    minimal = {
        "@context": [
            "https://www.w3.org/ns/credentials/v2",
            "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json",
        ],
        "id": "urn:uuid:2f1c7a0e-0000-4000-8000-000000000001",
        "type": ["VerifiableCredential", "OpenBadgeCredential"],
        "issuer": {"id": "https://example.edu", "type": ["Profile"]},
        "validFrom": "2026-01-01T00:00:00Z",
        "credentialSubject": {"type": ["AchievementSubject"], "achievement": body["achievement"]},
    }
    OB3.validate(minimal)
    if body["credential"] is not None:
        OB3.validate(body["credential"])
