"""Issuer keys and credentials for the signing tests: a real keys file, real OB 3.0 credentials."""

from __future__ import annotations

import base64
import json
from pathlib import Path
from typing import Any

from localfn.functions.generate_badge.openbadges import build_achievement, build_credential, subject_for
from localfn.functions.generate_badge.signing.issuer import CredentialIssuer
from localfn.functions.generate_badge.signing.keys import generate_key_set
from localfn.settings import IssuerSettings

# An RSA JWK's private members (RFC 7518 6.3.2): none may appear outside the keys file.
RSA_PRIVATE_MEMBERS = ("d", "p", "q", "dp", "dq", "qi")

ISSUER = {"id": "https://example.edu", "type": ["Profile"], "name": "Example University"}


def write_keys(folder: Path, name: str = "issuer-keys.json") -> Path:
    """A new keys file (one Ed25519 and one P-256 private key), as `localfn keys generate` writes."""
    path = folder / name
    path.write_text(json.dumps(generate_key_set()))
    return path


def issuer_with_keys(folder: Path) -> CredentialIssuer:
    return CredentialIssuer(IssuerSettings(keys_file=write_keys(folder)))


def unsigned_credential(recipient: str = "did:example:ada", **extra: Any) -> dict[str, Any]:
    """An unsigned OpenBadgeCredential as generate-badge builds it; ``extra`` adds top-level properties."""
    achievement = build_achievement(
        achievement_id="urn:uuid:6f1d1c3e-8c5b-4b8e-9d3a-0f2f5d2b7a10",
        name="Python Foundations",
        description="Certifies that the earner writes small Python programs.",
        criteria="Passed six graded exercises and a final project.",
        achievement_type="Course",
        image_uri="data:image/svg+xml;base64,PHN2Zy8+",
        skills=["loops", "functions"],
        language="en",
        alignments=[{"targetName": "Python", "targetFramework": "ESCO", "targetUrl": "https://esco.ec.europa.eu/"}],
        creator=ISSUER,
    )
    return {**build_credential(achievement, issuer=ISSUER, subject=subject_for(recipient)), **extra}


def jwt_parts(token: str) -> list[dict[str, Any]]:
    """A compact JWS's header and payload, decoded (the signature left alone)."""
    return [json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))) for part in token.split(".")[:2]]
