"""DID documents (W3C DID Core): the one localfn publishes for its did:web, and reading a key from anyone's.

localfn's document lists every public key of the keys file (so credentials signed by a key
since rotated out of signing still verify), each as a verification method controlled by the
DID and named ``<did>#<the key's multibase>`` (an RSA key, having no multibase, by its JWK
thumbprint, RFC 7638), and each in ``assertionMethod`` (the purpose credential proofs are
made for). Ed25519 keys are ``Multikey`` (``publicKeyMultibase``), as eddsa-rdfc-2022
verifiers expect; P-256 and RSA keys are ``JsonWebKey`` (``publicKeyJwk``, for RSA n and e
only), as JOSE verifiers expect. RSA keys (RS256, which OB 3.0 requires verifiers to accept)
have at least ``MIN_RSA_BITS``. Only public parts are ever written; a document that
publishes a private part is refused when read.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from joserfc.jwk import ECKey, RSAKey
from joserfc.util import urlsafe_b64decode

from localfn.functions.generate_badge.signing.didkey import DidKeyError, ResolvedKey, VerifyingKey, multibase, public_key

__all__ = ["MIN_RSA_BITS", "PRIVATE_MEMBERS", "DidDocumentError", "did_document", "key_id", "method_id", "modulus_bits", "read_method"]

CONTEXTS = ["https://www.w3.org/ns/did/v1", "https://w3id.org/security/multikey/v1", "https://w3id.org/security/jwk/v1"]
# Private JWK members (RFC 7518 6.2.2 and 6.3.2): none may ever be published.
PRIVATE_MEMBERS = frozenset({"d", "p", "q", "dp", "dq", "qi", "oth", "k"})

# Smaller RSA keys are breakable (NIST SP 800-131A disallows them); RFC 7518 3.3 requires 2048 bits for RS256.
MIN_RSA_BITS = 2048


class DidDocumentError(ValueError):
    """The document does not give the key a verification method names; the message says why."""


def key_id(key: VerifyingKey) -> str:
    """What names ``key``: its multibase (as did:key writes it), or for RSA its JWK thumbprint (RFC 7638)."""
    return RSAKey.import_key(key).thumbprint() if isinstance(key, rsa.RSAPublicKey) else multibase(key)


def method_id(did: str, key: VerifyingKey) -> str:
    """The id of ``key``'s verification method in ``did``'s document."""
    return f"{did}#{key_id(key)}"


def modulus_bits(jwk: dict[str, Any]) -> int:
    """The size of an RSA JWK's modulus ``n`` (read before importing: joserfc only warns about a small key)."""
    return int.from_bytes(urlsafe_b64decode(str(jwk.get("n", "")).encode())).bit_length()


def _method(did: str, key: VerifyingKey) -> dict[str, Any]:
    method = {"id": method_id(did, key), "controller": did}
    if isinstance(key, Ed25519PublicKey):
        return {**method, "type": "Multikey", "publicKeyMultibase": multibase(key)}
    public = RSAKey.import_key(key) if isinstance(key, rsa.RSAPublicKey) else ECKey.import_key(key)
    return {**method, "type": "JsonWebKey", "publicKeyJwk": public.as_dict(private=False)}


def did_document(did: str, keys: Iterable[VerifyingKey]) -> dict[str, Any]:
    """``did``'s document, publishing ``keys`` (public keys only: nothing else can be written)."""
    methods = [_method(did, key) for key in keys]
    return {
        "@context": CONTEXTS,
        "id": did,
        "verificationMethod": methods,
        "assertionMethod": [method["id"] for method in methods],
    }


def read_method(document: Any, did: str, url: str) -> ResolvedKey:
    """The key the verification method ``url`` names in ``did``'s ``document``, once the document vouches for it.

    The document must be ``did``'s, list the method, and list it in ``assertionMethod``; the
    returned controller is the method's own (the verifier compares it with the issuer).
    """
    if not isinstance(document, dict) or document.get("id") != did:
        raise DidDocumentError(f"the document served for {did} is not its DID document (its id differs)")
    methods = [m for m in document.get("verificationMethod") or [] if isinstance(m, dict)]
    method = next((m for m in methods if _absolute(m.get("id"), did) == url), None)
    if method is None:
        raise DidDocumentError(f"{did}'s document has no verification method {url}: the key was never published or was withdrawn")
    purposes = [_absolute(m["id"] if isinstance(m, dict) else m, did) for m in document.get("assertionMethod") or []]
    if url not in purposes:
        raise DidDocumentError(f"{did}'s document does not list {url} in assertionMethod: it may not sign credentials")
    controller = method.get("controller")
    if not isinstance(controller, str):
        raise DidDocumentError(f"{url} has no controller in {did}'s document")
    return ResolvedKey(did=controller, verification_method=url, key=_key(method, url))


def _absolute(reference: Any, did: str) -> Any:
    # DID Core lets a document name its own methods relatively, as "#fragment".
    return f"{did}{reference}" if isinstance(reference, str) and reference.startswith("#") else reference


def _key(method: dict[str, Any], url: str) -> VerifyingKey:
    if method.get("type") == "Multikey" and isinstance(method.get("publicKeyMultibase"), str):
        try:
            return public_key(method["publicKeyMultibase"], url)
        except DidKeyError as exc:
            raise DidDocumentError(str(exc)) from None
    jwk = method.get("publicKeyJwk")
    if method.get("type") in ("JsonWebKey", "JsonWebKey2020") and isinstance(jwk, dict):
        if PRIVATE_MEMBERS & jwk.keys():
            raise DidDocumentError(f"{url} publishes a private key part: the document is refused")
        if jwk.get("kty") == "RSA":
            return _rsa_key(jwk, url)
        if (jwk.get("kty"), jwk.get("crv")) != ("EC", "P-256"):
            raise DidDocumentError(f"{url} is neither a P-256 JWK (kty EC, crv P-256) nor an RSA JWK (kty RSA)")
        try:
            return ECKey.import_key(jwk).public_key
        except ValueError:
            raise DidDocumentError(f"{url} does not hold a valid P-256 public key") from None
    raise DidDocumentError(f"{url} is neither a Multikey with publicKeyMultibase nor a JsonWebKey with publicKeyJwk")


def _rsa_key(jwk: dict[str, Any], url: str) -> rsa.RSAPublicKey:
    try:
        bits = modulus_bits(jwk)
        key = RSAKey.import_key(jwk).public_key if bits >= MIN_RSA_BITS else None
    except Exception:  # noqa: BLE001  (joserfc raises many kinds for a malformed n or e)
        raise DidDocumentError(f"{url} does not hold a valid RSA public key (n and e, base64url)") from None
    if key is None:
        raise DidDocumentError(f"{url} is a {bits}-bit RSA key; at least {MIN_RSA_BITS} bits are accepted")
    return key
