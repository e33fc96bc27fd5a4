"""Open Badges 3.0 objects built by localfn: valid against 1EdTech's schema, or a loud error."""

from __future__ import annotations

import hashlib
from typing import Any

import pytest

from localfn.functions.generate_badge.openbadges import (
    CONTEXTS,
    BadgeSchemaViolation,
    build_achievement,
    build_credential,
    email_identity,
    is_email,
    is_uri,
    subject_for,
)
from tests.support.openbadges import OB3

ISSUER = {"id": "https://example.edu", "type": ["Profile"], "name": "Example University"}


def achievement(**overrides: Any) -> dict[str, Any]:
    fields: dict[str, Any] = {
        "achievement_id": "urn:uuid:6f1d1c3e-8c5b-4b8e-9d3a-0f2f5d2b7a10",
        "name": "Python Foundations",
        "description": "Certifies that the earner writes small Python programs.",
        "criteria": "Passed six graded exercises and a final project.",
        "achievement_type": "Course",
        "image_uri": "data:image/svg+xml;base64,PHN2Zy8+",
        "skills": ["loops", "functions"],
        "language": "en",
    }
    return build_achievement(**(fields | overrides))


def test_an_achievement_has_arrays_an_image_object_and_the_tags() -> None:
    built = achievement(alignments=[{"targetName": "Python", "targetUrl": "https://esco.ec.europa.eu/"}], creator=ISSUER)
    assert built["type"] == ["Achievement"]
    assert built["image"] == {
        "id": "data:image/svg+xml;base64,PHN2Zy8+",
        "type": "Image",
        "caption": "Python Foundations",
    }
    assert built["criteria"] == {"narrative": "Passed six graded exercises and a final project."}
    assert built["alignment"] == [{"type": ["Alignment"], "targetName": "Python", "targetUrl": "https://esco.ec.europa.eu/"}]
    assert built["tag"] == ["loops", "functions"]
    assert "alignment" not in achievement()


def test_a_credential_is_an_unsigned_open_badge_credential_valid_against_the_schema() -> None:
    credential = build_credential(achievement(), issuer=ISSUER, subject=subject_for("did:example:123"))
    OB3.validate(credential)
    assert credential["@context"] == list(CONTEXTS)
    assert credential["type"] == ["VerifiableCredential", "OpenBadgeCredential"]
    assert credential["credentialSubject"]["id"] == "did:example:123"
    assert credential["validFrom"].endswith("Z")
    assert "proof" not in credential


@pytest.mark.parametrize(
    "overrides",
    [{"achievement_type": "Trophy"}, {"language": "English"}, {"alignments": [{"targetName": "no url"}]}],
    ids=["unknown-type", "language", "alignment-without-url"],
)
def test_an_invalid_object_is_a_bug_that_raises(overrides: dict[str, Any]) -> None:
    with pytest.raises(BadgeSchemaViolation):
        achievement(**overrides)


def test_an_email_identity_is_a_salted_sha256_of_the_lower_case_address() -> None:
    identity = email_identity("Ada@Example.org", salt="pepper")
    digest = hashlib.sha256(b"ada@example.orgpepper").hexdigest()
    assert identity == {
        "type": "IdentityObject",
        "identityHash": f"sha256${digest}",
        "identityType": "emailAddress",
        "hashed": True,
        "salt": "pepper",
    }


def test_each_email_identity_gets_its_own_salt() -> None:
    first, second = (subject_for("ada@example.org")["identifier"][0] for _ in range(2))
    assert first["salt"] != second["salt"] and len(first["salt"]) == 32


def test_a_mailto_uri_is_hashed_like_an_email() -> None:
    (identity,) = subject_for("mailto:ada@example.org")["identifier"]
    assert identity["identityHash"] == email_identity("ada@example.org", identity["salt"])["identityHash"]


@pytest.mark.parametrize(
    ("value", "email", "uri"),
    [
        ("ada@example.org", True, False),
        ("did:example:123", False, True),
        ("https://example.org/people/ada", False, True),
        ("ada at example dot org", False, False),
        ("ada@", False, False),
    ],
)
def test_recipients_are_told_apart(value: str, email: bool, uri: bool) -> None:
    assert (is_email(value), is_uri(value)) == (email, uri)
