"""The issuer's private keys: read from a JWK Set file, or made anew; only public parts ever leave.

A keys file (``LOCALFN_ISSUER__KEYS_FILE``) is a JWK Set of Ed25519 keys (sign Data Integrity
proofs), P-256 keys (sign JWTs, ES256) and RSA keys of at least 2048 bits (sign JWTs, RS256,
when chosen), each with its private part ``d``. Rotation: the
first key of each kind signs; every key is published (in the did:web document), so what an
older key signed still verifies. ``rotate_key_set`` puts new keys (of the kinds the set holds) first and keeps the old.
Each key's identifiers are derived from it, so the file needs no ``kid``; the ones
``generate_key_set`` writes name their did:key verification method for the reader's benefit.
Errors name the file and the key's position, never a key's content.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any, overload

from cryptography.hazmat.primitives.asymmetric.ec import EllipticCurvePublicKey
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.rsa import RSAPublicKey
from joserfc.jwk import ECKey, OKPKey, RSAKey

from localfn.functions.generate_badge.signing.diddocument import MIN_RSA_BITS, PRIVATE_MEMBERS, key_id, modulus_bits
from localfn.functions.generate_badge.signing.didkey import VerifyingKey, did_key, verification_method

__all__ = [
    "IssuerKeys",
    "KeysFileError",
    "generate_key_set",
    "load_keys",
    "public_key_set",
    "rotate_key_set",
    "signing_key",
    "verifying_key",
]


class KeysFileError(ValueError):
    """The keys file cannot be used; the message says why and what to do, without its content."""


@dataclass(frozen=True, repr=False)
class IssuerKeys:
    """The loaded keys; ``repr`` shows only their DIDs, so a stray log line leaks nothing.

    ``ed25519``, ``p256`` and ``rsa`` are the signers (the first of each kind in the file);
    ``published`` holds the public part of every key in the file, in its order.
    """

    ed25519: OKPKey | None
    p256: ECKey | None
    rsa: RSAKey | None = None
    published: tuple[VerifyingKey, ...] = ()

    @property
    def ed25519_did(self) -> str | None:
        return did_key(verifying_key(self.ed25519)) if self.ed25519 else None

    @property
    def p256_did(self) -> str | None:
        return did_key(verifying_key(self.p256)) if self.p256 else None

    @property
    def rsa_id(self) -> str | None:
        return key_id(verifying_key(self.rsa)) if self.rsa else None

    def __repr__(self) -> str:
        return f"IssuerKeys(data_integrity={self.ed25519_did}, jwt={self.p256_did}, rsa={self.rsa_id})"


# joserfc types a JWK's keys as every kind its key type allows (an OKP key may be X25519, a key
# may lack 'd'); the keys here are only those `_import` admits, so these two narrow and check.
@overload
def verifying_key(key: OKPKey) -> Ed25519PublicKey: ...
@overload
def verifying_key(key: ECKey) -> EllipticCurvePublicKey: ...
@overload
def verifying_key(key: RSAKey) -> RSAPublicKey: ...
def verifying_key(key: OKPKey | ECKey | RSAKey) -> VerifyingKey:
    """The public key of an Ed25519, P-256 or RSA JWK; of a private one, derived from its 'd'."""
    public = key.public_key
    if not isinstance(public, Ed25519PublicKey | EllipticCurvePublicKey | RSAPublicKey):
        raise TypeError(f"a {type(public).__name__} is not a kind of key localfn signs with")
    return public


def signing_key(key: OKPKey) -> Ed25519PrivateKey:
    """The Ed25519 private key of a Data Integrity signer (an OKP JWK with its 'd')."""
    private = key.private_key
    if not isinstance(private, Ed25519PrivateKey):
        raise TypeError(f"a Data Integrity proof is signed with an Ed25519 private key, not {type(private).__name__}")
    return private


_KINDS: dict[tuple[Any, Any], type[OKPKey | ECKey | RSAKey]] = {
    ("OKP", "Ed25519"): OKPKey,
    ("EC", "P-256"): ECKey,
    ("RSA", None): RSAKey,
}


def _import(path: Path, position: int, jwk: Any) -> OKPKey | ECKey | RSAKey:
    where = f"{path}: key {position}"
    kind = _KINDS.get((jwk.get("kty"), jwk.get("crv"))) if isinstance(jwk, dict) else None
    if kind is None:
        raise KeysFileError(f"{where} is not an Ed25519 (kty OKP), P-256 (kty EC) or RSA (kty RSA) JWK; those are the keys used")
    if "d" not in jwk:
        raise KeysFileError(f"{where} has no private part 'd': the keys file holds the issuer's private keys")
    name = jwk.get("crv") or "RSA"
    try:
        if kind is RSAKey and (bits := modulus_bits(jwk)) < MIN_RSA_BITS:
            raise KeysFileError(f"{where} is a {bits}-bit RSA key; at least {MIN_RSA_BITS} bits (`localfn keys generate --rsa`)")
        key = kind.import_key(jwk)
        written = kind.import_key({member: value for member, value in jwk.items() if member not in PRIVATE_MEMBERS})
        # The public part derived from 'd' must be the one written, or readers of the file would see another key.
        matches = key_id(verifying_key(key)) == key_id(verifying_key(written))
    except KeysFileError:
        raise
    except Exception as exc:  # noqa: BLE001  (joserfc raises many kinds; their messages may quote key material)
        raise KeysFileError(f"{where} is not a valid {name} private key ({type(exc).__name__})") from None
    if not matches:
        raise KeysFileError(f"{where}: its public part does not belong to its private part 'd'")
    return key


def load_keys(path: Path) -> IssuerKeys:
    """The keys in the JWK Set at ``path`` (at least one): the first of each kind signs, all are published."""
    try:
        data = json.loads(path.read_text())
    except OSError as exc:
        raise KeysFileError(f"cannot read the keys file {path} ({exc.strerror}); check LOCALFN_ISSUER__KEYS_FILE") from None
    except ValueError:
        raise KeysFileError(f"the keys file {path} is not JSON; `localfn keys generate` writes one") from None
    if not isinstance(data, dict) or not isinstance(data.get("keys"), list) or not data["keys"]:
        raise KeysFileError(f'the keys file {path} is not a JWK Set ({{"keys": [...]}}) with at least one key')
    keys = [_import(path, position, jwk) for position, jwk in enumerate(data["keys"], 1)]
    published = [verifying_key(key) for key in keys]
    if len(set(map(key_id, published))) < len(published):
        raise KeysFileError(f"the keys file {path} holds a key twice; keep one copy of each")
    return IssuerKeys(
        ed25519=next((key for key in keys if isinstance(key, OKPKey)), None),
        p256=next((key for key in keys if isinstance(key, ECKey)), None),
        rsa=next((key for key in keys if isinstance(key, RSAKey)), None),
        published=tuple(published),
    )


def generate_key_set(rsa: bool = False) -> dict[str, Any]:
    """A new JWK Set with an Ed25519 and a P-256 private key, each named by its verification method,
    and with ``rsa`` an RSA one (``MIN_RSA_BITS``), named by its JWK thumbprint (its did:web method's fragment)."""
    made: list[tuple[OKPKey | ECKey, str]] = [(OKPKey.generate_key("Ed25519"), "EdDSA"), (ECKey.generate_key("P-256"), "ES256")]
    keys = [
        {**key.as_dict(private=True), "alg": alg, "use": "sig", "kid": verification_method(did_key(verifying_key(key)))}
        for key, alg in made
    ]
    if rsa:
        key = RSAKey.generate_key(MIN_RSA_BITS)
        keys.append({**key.as_dict(private=True), "alg": "RS256", "use": "sig", "kid": key.thumbprint()})
    return {"keys": keys}


def rotate_key_set(key_set: dict[str, Any]) -> dict[str, Any]:
    """``key_set`` with new keys first (they sign from now on: an RSA one too when it holds one) and its old keys kept (still published)."""
    rsa = any(isinstance(jwk, dict) and jwk.get("kty") == "RSA" for jwk in key_set["keys"])
    return {**key_set, "keys": [*generate_key_set(rsa)["keys"], *key_set["keys"]]}


def public_key_set(key_set: dict[str, Any]) -> dict[str, Any]:
    """``key_set`` without its private parts (for RSA also p, q, dp, dq, qi)."""
    return {"keys": [{name: value for name, value in jwk.items() if name not in PRIVATE_MEMBERS} for jwk in key_set["keys"]]}
