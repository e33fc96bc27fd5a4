"""Verifying a credential: each check answered on its own, a failure a reason, never an exception.

A credential is JSON with an embedded Data Integrity proof, or a VC-JWT. The checks:
``key`` (the verification method resolves, through the given ``KeyResolver``: a did:key
offline, a did:web from an allowed domain's document; it is of the right kind and controlled
by the credential's issuer), ``signature`` (the proof holds over the credential as sent),
``claims`` (JWT only: iss, jti, nbf, sub and exp match the credential), ``schema`` (OB 3.0's
JSON Schema) and ``validity`` (now lies within validFrom and validUntil). The credential is
valid only when every check passes. A baked image (SVG or PNG) adds ``baked`` first: the image
holds exactly one credential, which the other checks then judge.
"""

from __future__ import annotations

import functools
import json
from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from joserfc import jws

from localfn.functions.generate_badge.models import VerifyCheck, VerifyResult
from localfn.functions.generate_badge.openbadges import credential_problems
from localfn.functions.generate_badge.signing import baking, dataintegrity, didkey, vcjwt
from localfn.functions.generate_badge.signing.resolver import KeyNotResolved, KeyResolver
from localfn.settings import Proof

__all__ = ["verify_credential", "verify_image"]

# What a malformed credential raises while being read; each becomes a failed check with its reason.
_UNREADABLE = (ValueError, KeyError, TypeError, AttributeError, IndexError)


class _Failed(Exception):
    """One check failed; the message is its detail."""


def _check(name: str, run: Callable[[], str]) -> VerifyCheck:
    try:
        return VerifyCheck(name=name, ok=True, detail=run())
    except _Failed as exc:
        return VerifyCheck(name=name, ok=False, detail=str(exc))
    except _UNREADABLE as exc:
        reason = f"missing {exc}" if isinstance(exc, KeyError) else str(exc) or type(exc).__name__
        return VerifyCheck(name=name, ok=False, detail=f"the credential cannot be read: {reason}")


def verify_credential(item: dict[str, Any] | str, at: datetime | None = None, resolver: KeyResolver | None = None) -> VerifyResult:
    """Every check on ``item`` (a credential with an embedded proof, or a VC-JWT), judged at ``at`` (default now).

    Keys are resolved by ``resolver``; the default resolves did:key only (no domain allowed).
    """
    at = at or datetime.now(UTC)
    resolver = resolver or KeyResolver()
    if isinstance(item, str):
        return _verify_jwt(item.strip(), at, resolver)
    return _verify_embedded(item, at, resolver)


def verify_image(image: bytes, at: datetime | None = None, resolver: KeyResolver | None = None) -> VerifyResult:
    """Every check on the credential baked in ``image`` (an SVG or a PNG), after ``baked``; judged at ``at``,
    its key found by ``resolver`` as in ``verify_credential``."""
    try:
        signed = baking.extract(image)
    except baking.BakingError as exc:  # no single readable credential: nothing else can be checked
        return _result("none", [VerifyCheck(name="baked", ok=False, detail=str(exc))])
    result = verify_credential(signed, at, resolver)
    baked = VerifyCheck(name="baked", ok=True, detail="the image holds exactly one credential, the one verified here")
    return result.model_copy(update={"checks": [baked, *result.checks]})


def _issuer_id(credential: dict[str, Any]) -> Any:
    issuer = credential["issuer"]
    return issuer["id"] if isinstance(issuer, dict) else issuer


def _resolver_of(resolver: KeyResolver, kind: type | tuple[type, ...]) -> Callable[[Any], didkey.ResolvedKey]:
    """Resolves a verification method to a key of ``kind`` once (a did:web costs a fetch), for the key and signature checks."""

    @functools.cache
    def resolve(url: str) -> didkey.ResolvedKey | str:  # the key, or why there is none
        try:
            resolved = resolver.resolve(url)
        except KeyNotResolved as exc:
            return str(exc)
        return resolved if isinstance(resolved.key, kind) else f"{url} is not the kind of key this proof is made with"

    def key(url: Any) -> didkey.ResolvedKey:
        if not isinstance(url, str):
            raise _Failed("the proof names no verification method")
        resolved = resolve(url)
        if isinstance(resolved, str):
            raise _Failed(resolved)
        return resolved

    return key


def _controlled(resolved: didkey.ResolvedKey, issuer: Any) -> didkey.ResolvedKey:
    if resolved.did != issuer:
        raise _Failed(f"the key's controller {resolved.did} is not the credential's issuer {issuer}")
    return resolved


def _verify_embedded(credential: dict[str, Any], at: datetime, resolver: KeyResolver) -> VerifyResult:
    proofs = credential.get("proof")
    if proofs is None:
        unsigned = "the credential carries no proof: it is unsigned"
        checks = [VerifyCheck(name="key", ok=False, detail=unsigned), VerifyCheck(name="signature", ok=False, detail=unsigned)]
        return _result("none", [*checks, _schema(credential), _validity(credential, at)])
    proof = proofs[0] if isinstance(proofs, list) and len(proofs) == 1 else proofs
    resolve = _resolver_of(resolver, Ed25519PublicKey)

    def key() -> str:
        if not isinstance(proof, dict):
            raise _Failed("expected exactly one proof object")
        resolved = _controlled(resolve(proof.get("verificationMethod")), _issuer_id(credential))
        return f"{resolved.verification_method} resolves {resolved.source} to an Ed25519 key controlled by the issuer"

    def signature() -> str:
        if not isinstance(proof, dict):
            raise _Failed("expected exactly one proof object")
        resolved = resolve(proof.get("verificationMethod"))
        assert isinstance(resolved.key, Ed25519PublicKey), "this resolve admits Ed25519 keys only"
        document = {name: value for name, value in credential.items() if name != "proof"}
        try:
            dataintegrity.verify_proof(document, proof, resolved.key)
        except dataintegrity.ProofInvalid as exc:
            raise _Failed(str(exc)) from None
        return f"the {dataintegrity.CRYPTOSUITE} proof holds over the credential as sent"

    return _result("data-integrity", [_check("key", key), _check("signature", signature), _schema(credential), _validity(credential, at)])


def _verify_jwt(token: str, at: datetime, resolver: KeyResolver) -> VerifyResult:
    try:
        header = vcjwt.header(token)
        payload = json.loads(jws.extract_compact(token.encode()).payload)
        if not isinstance(payload, dict):
            raise ValueError("its payload is not a JSON object")
    except ValueError as exc:
        failed = [VerifyCheck(name=name, ok=False, detail=f"not a VC-JWT: {exc}") for name in ("key", "signature")]
        return _result("jwt", failed)
    registered = {name: payload.pop(name) for name in ("iss", "jti", "nbf", "sub", "exp") if name in payload}
    credential = payload
    resolve = _resolver_of(resolver, (ec.EllipticCurvePublicKey, rsa.RSAPublicKey))

    def key() -> str:
        resolved = _controlled(resolve(header.get("kid")), _issuer_id(credential))
        kind = "an RSA" if isinstance(resolved.key, rsa.RSAPublicKey) else "a P-256"
        return f"kid {resolved.verification_method} resolves {resolved.source} to {kind} key controlled by the issuer"

    def signature() -> str:
        resolved = resolve(header.get("kid"))
        assert isinstance(resolved.key, ec.EllipticCurvePublicKey | rsa.RSAPublicKey), "this resolve admits P-256 and RSA keys only"
        algorithm = vcjwt.algorithm_for(resolved.key)  # the key's kind decides, never the header alone
        if header.get("alg") != algorithm:
            raise _Failed(f"the JWT header says {header.get('alg')} but its key {resolved.verification_method} signs {algorithm}")
        try:
            vcjwt.verify(token, resolved.key)
        except vcjwt.JwtInvalid as exc:
            raise _Failed(str(exc)) from None
        return f"the {algorithm} signature holds over the JWT as sent"

    def claims() -> str:
        expected = vcjwt.claims_for(credential)
        wrong = sorted(name for name in {*expected, *registered} if expected.get(name) != registered.get(name))
        if wrong:
            raise _Failed(f"the JWT claims {', '.join(wrong)} do not match the credential they carry")
        return f"{', '.join(sorted(expected))} match the credential"

    checks = [_check("key", key), _check("signature", signature), _check("claims", claims)]
    return _result("jwt", [*checks, _schema(credential), _validity(credential, at)])


def _schema(credential: dict[str, Any]) -> VerifyCheck:
    problems = credential_problems(credential)
    if problems:
        listing = "; ".join(f"{path}: {message}" for path, message in problems[:5])
        return VerifyCheck(name="schema", ok=False, detail=f"{len(problems)} Open Badges 3.0 schema violations: {listing}")
    return VerifyCheck(name="schema", ok=True, detail="valid against the Open Badges 3.0 AchievementCredential schema")


def _validity(credential: dict[str, Any], at: datetime) -> VerifyCheck:
    def run() -> str:
        valid_from = datetime.fromisoformat(credential["validFrom"])
        if at < valid_from:
            raise _Failed(f"not valid before {credential['validFrom']}")
        if "validUntil" in credential:
            if at >= datetime.fromisoformat(credential["validUntil"]):
                raise _Failed(f"expired on {credential['validUntil']}")
            return f"valid from {credential['validFrom']} until {credential['validUntil']}"
        return f"valid from {credential['validFrom']}, with no end"

    return _check("validity", run)


def _result(proof: Proof, checks: list[VerifyCheck]) -> VerifyResult:
    return VerifyResult(valid=all(check.ok for check in checks), proof=proof, checks=checks)
