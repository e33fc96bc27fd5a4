"""Open Badges 3.0 objects built by localfn, and checked against 1EdTech's own JSON Schema.

The model only drafts text; the Achievement and the OpenBadgeCredential around it are
built here, so the schema's traps are handled once: every multi-valued property is an
array, ``image`` is an Image object (never a bare URL), the credential carries the VC 2.0
and OB 3.0 contexts. Everything built is validated before it leaves; a failure is a bug in
this module, raised, never returned.
"""

from __future__ import annotations

import functools
import hashlib
import json
import re
import secrets
import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from importlib import resources
from typing import Any

import jsonschema_rs

from localfn.jsonschemas import place, validator

__all__ = [
    "CONTEXTS",
    "BadgeSchemaViolation",
    "Profile",
    "achievement_problems",
    "achievement_types",
    "build_achievement",
    "build_credential",
    "credential_problems",
    "email_identity",
    "is_achievement_type",
    "is_email",
    "is_uri",
    "now",
    "subject_for",
    "validate_achievement",
    "validate_credential",
]

CONTEXTS = ("https://www.w3.org/ns/credentials/v2", "https://purl.imsglobal.org/spec/ob/v3p0/context-3.0.3.json")
CREDENTIAL_TYPES = ("VerifiableCredential", "OpenBadgeCredential")

_EMAIL = re.compile(r"^[^@\s:/]+@[^@\s:/]+\.[^@\s:/.]+$")
_URI = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:[^\s]+$")
# The schema's own pattern for extension types ("ext:Name").
_EXTENSION = re.compile(r"^ext:[A-Za-z0-9.\-_]+$")

Profile = dict[str, Any]


class BadgeSchemaViolation(RuntimeError):
    """localfn built an object that breaks the Open Badges schema: a bug, never the caller's fault."""


@functools.cache
def _schema() -> dict[str, Any]:
    text = resources.files("localfn.assets").joinpath("specs/openbadges-3.0/achievementcredential.json").read_text()
    schema: dict[str, Any] = json.loads(text)
    return schema


@functools.cache
def _validator() -> jsonschema_rs.Validator:
    # Formats (date-time, uri) are checked too: the schema declares them and wallets rely on them.
    return validator(_schema(), formats=True, draft=jsonschema_rs.Draft201909Validator)


def achievement_types() -> tuple[str, ...]:
    """The achievementType vocabulary, read from the schema rather than copied."""
    choices = _schema()["$defs"]["Achievement"]["properties"]["achievementType"]["oneOf"]
    return tuple(next(choice["enum"] for choice in choices if "enum" in choice))


def is_achievement_type(value: str) -> bool:
    return value in achievement_types() or bool(_EXTENSION.match(value))


def is_email(value: str) -> bool:
    return bool(_EMAIL.match(value))


def is_uri(value: str) -> bool:
    return bool(_URI.match(value))


def now() -> str:
    """The current time as OB 3.0 writes it (UTC, whole seconds)."""
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def build_achievement(
    *,
    achievement_id: str,
    name: str,
    description: str,
    criteria: str,
    achievement_type: str,
    image_uri: str,
    skills: Sequence[str],
    language: str,
    alignments: Sequence[dict[str, Any]] = (),
    creator: Profile | None = None,
) -> dict[str, Any]:
    """An OB 3.0 Achievement, validated (inside a minimal credential, as the schema only describes credentials)."""
    achievement: dict[str, Any] = {
        "id": achievement_id,
        "type": ["Achievement"],
        "achievementType": achievement_type,
        "name": name,
        "description": description,
        "criteria": {"narrative": criteria},
        "image": {"id": image_uri, "type": "Image", "caption": name},
        "tag": list(skills),
        "inLanguage": language,
    }
    if alignments:
        achievement["alignment"] = [{"type": ["Alignment"], **alignment} for alignment in alignments]
    if creator is not None:
        achievement["creator"] = creator
    validate_achievement(achievement)
    return achievement


def build_credential(achievement: dict[str, Any], *, issuer: Profile, subject: dict[str, Any]) -> dict[str, Any]:
    """An unsigned OpenBadgeCredential awarding ``achievement`` to ``subject``, valid from now."""
    credential = {
        "@context": list(CONTEXTS),
        "id": f"urn:uuid:{uuid.uuid4()}",
        "type": list(CREDENTIAL_TYPES),
        "name": achievement["name"],
        "issuer": issuer,
        "validFrom": now(),
        "credentialSubject": {**subject, "type": ["AchievementSubject"], "achievement": achievement},
    }
    validate_credential(credential)
    return credential


def email_identity(email: str, salt: str | None = None) -> dict[str, Any]:
    """An IdentityObject for an email: OB 3.0's IdentityHash, "sha256$" + hex(sha256(email + salt)).

    The address is lower-cased first, as verifiers do before hashing what an earner claims.
    """
    salt = salt if salt is not None else secrets.token_hex(16)
    digest = hashlib.sha256((email.strip().lower() + salt).encode()).hexdigest()
    return {
        "type": "IdentityObject",
        "identityHash": f"sha256${digest}",
        "identityType": "emailAddress",
        "hashed": True,
        "salt": salt,
    }


def subject_for(recipient: str) -> dict[str, Any]:
    """The recipient part of an AchievementSubject: a hashed identifier for an email, ``id`` for any other URI.

    The caller has already checked that ``recipient`` is one of the two.
    """
    if recipient.lower().startswith("mailto:"):
        recipient = recipient[len("mailto:") :]
    if is_email(recipient):
        return {"identifier": [email_identity(recipient)]}
    return {"id": recipient}


def _wrapper(achievement: dict[str, Any]) -> dict[str, Any]:
    return {
        "@context": list(CONTEXTS),
        "id": "urn:uuid:00000000-0000-4000-8000-000000000000",
        "type": list(CREDENTIAL_TYPES),
        "issuer": {"id": "urn:localfn:validation", "type": ["Profile"]},
        "validFrom": "2025-01-01T00:00:00Z",
        "credentialSubject": {"type": ["AchievementSubject"], "achievement": achievement},
    }


def achievement_problems(achievement: dict[str, Any]) -> list[tuple[str, str]]:
    """(path, message) for each way ``achievement`` breaks the schema; paths are relative to it."""
    prefix = ("credentialSubject", "achievement")
    return [(place(e, below=len(prefix)), e.message) for e in _validator().iter_errors(_wrapper(achievement))]


def credential_problems(credential: dict[str, Any]) -> list[tuple[str, str]]:
    return [(place(e), e.message) for e in _validator().iter_errors(credential)]


def validate_achievement(achievement: dict[str, Any]) -> None:
    _raise_if("Achievement", achievement_problems(achievement))


def validate_credential(credential: dict[str, Any]) -> None:
    _raise_if("OpenBadgeCredential", credential_problems(credential))


def _raise_if(what: str, problems: list[tuple[str, str]]) -> None:
    if problems:
        listing = "; ".join(f"{path}: {message}" for path, message in problems[:5])
        raise BadgeSchemaViolation(f"the {what} localfn built breaks the Open Badges 3.0 schema: {listing}")
