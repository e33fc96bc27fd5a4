"""Enveloping proofs: a VC-JWT, the compact JWS (ES256 or RS256) whose payload is the credential, as OB 3.0 defines it.

Besides the credential's own properties the payload carries the registered claims OB 3.0
requires: ``iss`` (issuer id), ``jti`` (credential id), ``nbf`` (validFrom), ``sub`` (the
subject's id, when it has one) and ``exp`` (validUntil, when set). The header's ``kid`` is
the signing key's verification method (a did:key URL, resolved offline, or a did:web one).
localfn signs and verifies ES256 and RS256 (OB 3.0 requires RS256 support), the
algorithm fixed by the key's kind, never by the header (so no alg confusion, no "none").
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec, rsa
from joserfc import jws, jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, RSAKey

from localfn.functions.generate_badge.signing.keys import verifying_key

__all__ = ["JwtInvalid", "algorithm_for", "claims_for", "encode", "header", "verify"]

ALGORITHM = "ES256"


class JwtInvalid(ValueError):
    """The JWT cannot be read or its signature does not hold; the message says why."""


def _epoch(timestamp: str) -> int:
    return int(datetime.fromisoformat(timestamp).timestamp())


def claims_for(credential: dict[str, Any]) -> dict[str, Any]:
    """The JWT registered claims ``credential`` implies."""
    claims = {"iss": credential["issuer"]["id"], "jti": credential["id"], "nbf": _epoch(credential["validFrom"])}
    if "id" in credential["credentialSubject"]:
        claims["sub"] = credential["credentialSubject"]["id"]
    if "validUntil" in credential:
        claims["exp"] = _epoch(credential["validUntil"])
    return claims


def encode(credential: dict[str, Any], key: ECKey | RSAKey, kid: str) -> str:
    """The VC-JWT of ``credential`` signed with ``key`` (a private key): ES256 for P-256, RS256 for RSA."""
    header = {"alg": algorithm_for(verifying_key(key)), "typ": "JWT", "kid": kid}
    return jwt.encode(header, {**credential, **claims_for(credential)}, key)


def header(token: str) -> dict[str, Any]:
    """The protected header, read before the signature is checked (to find the key)."""
    try:
        return dict(jws.extract_compact(token.encode()).protected)
    except (JoseError, ValueError) as exc:
        raise JwtInvalid(f"not a compact JWS: {exc}") from None


def algorithm_for(key: ec.EllipticCurvePublicKey | rsa.RSAPublicKey) -> str:
    """The one algorithm a JWT signed with ``key``'s private part may name: RS256 for RSA, ES256 for P-256."""
    return "RS256" if isinstance(key, rsa.RSAPublicKey) else ALGORITHM


def verify(token: str, key: ec.EllipticCurvePublicKey | rsa.RSAPublicKey) -> dict[str, Any]:
    """The payload, once the signature holds with ``key`` under the algorithm its kind implies."""
    imported = RSAKey.import_key(key) if isinstance(key, rsa.RSAPublicKey) else ECKey.import_key(key)
    try:
        return dict(jwt.decode(token, imported, algorithms=[algorithm_for(key)]).claims)
    except (JoseError, ValueError) as exc:
        raise JwtInvalid(f"the signature does not hold ({type(exc).__name__}): it was changed or signed by another key") from None
