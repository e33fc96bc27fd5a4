"""RS256 VC-JWTs from another issuer: signed by a second JOSE library (jwcrypto), verified by localfn.

OB 3.0 requires verifiers to accept RS256. The issuer here is not localfn: a did:web whose
document (served on a loopback port, fetched through ``FakeDidWebSource``) publishes an RSA
``JsonWebKey`` and a P-256 one; its JWTs are made with jwcrypto, so localfn's verifier is not
graded on tokens it made itself. Every forgery is "not valid" with the reason.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import pytest
from jwcrypto import jwk, jws
from starlette.applications import Starlette
from starlette.responses import JSONResponse
from starlette.routing import Route

from localfn.functions.generate_badge.models import VerifyResult
from localfn.functions.generate_badge.signing import vcjwt
from localfn.functions.generate_badge.signing.resolver import KeyResolver
from localfn.functions.generate_badge.signing.verify import verify_credential
from tests.support.asgi_server import serve_in_thread
from tests.support.didweb import FakeDidWebSource
from tests.support.signing import ISSUER, RSA_PRIVATE_MEMBERS, unsigned_credential

DID = "did:web:example.edu"
RSA_METHOD, EC_METHOD, WEAK_METHOD = f"{DID}#rsa-1", f"{DID}#p256-1", f"{DID}#rsa-weak"


class OtherIssuer:
    """An issuer's keys, made with jwcrypto: an RSA-2048, a P-256 and a 1024-bit RSA key (too small to accept)."""

    def __init__(self) -> None:
        self.keys = {
            RSA_METHOD: jwk.JWK.generate(kty="RSA", size=2048),
            EC_METHOD: jwk.JWK.generate(kty="EC", crv="P-256"),
            WEAK_METHOD: jwk.JWK.generate(kty="RSA", size=1024),
        }

    def document(self) -> dict[str, Any]:
        methods = [
            {"id": method, "type": "JsonWebKey", "controller": DID, "publicKeyJwk": key.export_public(as_dict=True)}
            for method, key in self.keys.items()
        ]
        return {"id": DID, "verificationMethod": methods, "assertionMethod": list(self.keys)}

    def sign(self, payload: dict[str, Any], kid: str, alg: str = "RS256", key: jwk.JWK | None = None) -> str:
        token = jws.JWS(json.dumps(payload).encode())
        token.add_signature(key or self.keys[kid], alg=alg, protected={"alg": alg, "typ": "JWT", "kid": kid})
        return str(token.serialize(compact=True))


def credential() -> dict[str, Any]:
    signed = unsigned_credential(issuer={**ISSUER, "id": DID})
    return {**signed, **vcjwt.claims_for(signed)}


def failed(result: VerifyResult) -> dict[str, str]:
    return {check.name: check.detail for check in result.checks if not check.ok}


@pytest.fixture(scope="module")
def issuer() -> OtherIssuer:
    return OtherIssuer()


@pytest.fixture(scope="module")
def resolver(issuer: OtherIssuer) -> Iterator[KeyResolver]:
    async def did_json(_: Any) -> JSONResponse:
        return JSONResponse(issuer.document())

    with serve_in_thread(Starlette(routes=[Route("/.well-known/did.json", did_json)])) as url:
        yield KeyResolver(["example.edu"], 5, FakeDidWebSource(url))


def test_an_rs256_jwt_from_a_did_web_rsa_key_verifies(issuer: OtherIssuer, resolver: KeyResolver) -> None:
    result = verify_credential(issuer.sign(credential(), RSA_METHOD), resolver=resolver)
    assert result.valid, failed(result)
    details = {check.name: check.detail for check in result.checks}
    assert details["key"].endswith("to an RSA key controlled by the issuer")
    assert details["signature"] == "the RS256 signature holds over the JWT as sent"


def test_an_rs256_jwt_with_a_changed_claim_is_not_valid(issuer: OtherIssuer, resolver: KeyResolver) -> None:
    header, _, signature = issuer.sign(credential(), RSA_METHOD).split(".")
    changed = jws.base64url_encode(json.dumps({**credential(), "jti": "urn:uuid:00000000-0000-0000-0000-000000000000"}))
    result = verify_credential(f"{header}.{changed}.{signature}", resolver=resolver)
    assert not result.valid
    assert "the signature does not hold" in failed(result)["signature"]


def test_an_rs256_jwt_signed_by_another_rsa_key_is_not_valid(issuer: OtherIssuer, resolver: KeyResolver) -> None:
    forged = issuer.sign(credential(), RSA_METHOD, key=jwk.JWK.generate(kty="RSA", size=2048))
    problems = failed(verify_credential(forged, resolver=resolver))
    assert "it was changed or signed by another key" in problems["signature"]
    assert "key" not in problems  # the key resolves; only the signature fails


@pytest.mark.parametrize(
    ("kid", "alg", "says"),
    [
        (EC_METHOD, "RS256", "the JWT header says RS256 but its key did:web:example.edu#p256-1 signs ES256"),
        (RSA_METHOD, "ES256", "the JWT header says ES256 but its key did:web:example.edu#rsa-1 signs RS256"),
        (RSA_METHOD, "HS256", "the JWT header says HS256 but its key did:web:example.edu#rsa-1 signs RS256"),
    ],
)
def test_an_alg_other_than_the_keys_own_is_not_valid(issuer: OtherIssuer, resolver: KeyResolver, kid: str, alg: str, says: str) -> None:
    # Signed correctly under the named alg (HS256 with the RSA public key as the secret: the classic confusion).
    key = jwk.JWK(kty="oct", k=jws.base64url_encode(issuer.keys[RSA_METHOD].export_to_pem())) if alg == "HS256" else None
    key = key or (issuer.keys[EC_METHOD] if alg == "ES256" else issuer.keys[RSA_METHOD])
    result = verify_credential(issuer.sign(credential(), kid, alg=alg, key=key), resolver=resolver)
    assert not result.valid
    assert failed(result)["signature"] == says


def test_an_unsigned_alg_none_jwt_is_not_valid(resolver: KeyResolver) -> None:
    header = jws.base64url_encode(json.dumps({"alg": "none", "typ": "JWT", "kid": RSA_METHOD}))
    token = f"{header}.{jws.base64url_encode(json.dumps(credential()))}."
    result = verify_credential(token, resolver=resolver)
    assert not result.valid
    assert failed(result)["signature"] == f"the JWT header says none but its key {RSA_METHOD} signs RS256"


def test_an_rsa_key_under_2048_bits_is_refused_saying_so(issuer: OtherIssuer, resolver: KeyResolver) -> None:
    problems = failed(verify_credential(issuer.sign(credential(), WEAK_METHOD), resolver=resolver))
    assert problems["key"] == f"{WEAK_METHOD} is a 1024-bit RSA key; at least 2048 bits are accepted"


def test_the_served_document_and_every_reply_hold_no_private_rsa_part(issuer: OtherIssuer, resolver: KeyResolver) -> None:
    private = {name: value for name, value in issuer.keys[RSA_METHOD].export_private(as_dict=True).items() if name in RSA_PRIVATE_MEMBERS}
    assert private.keys() == set(RSA_PRIVATE_MEMBERS)
    forged = issuer.sign(credential(), RSA_METHOD, key=jwk.JWK.generate(kty="RSA", size=2048))
    seen = json.dumps(issuer.document()) + verify_credential(forged, resolver=resolver).model_dump_json()
    assert not [name for name, value in private.items() if value in seen]
