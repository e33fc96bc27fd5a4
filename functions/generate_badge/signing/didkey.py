"""did:key identifiers (W3C CCG did:key method): a public key as a DID, resolvable offline.

``did:key:z`` + base58btc(multicodec prefix + public key): the prefix is the unsigned varint
of 0xed (ed25519-pub, bytes ed 01) or 0x1200 (p256-pub, bytes 80 24, the point compressed
to 33 bytes). The key's verification method is ``<did>#<the part after did:key:>``, and the
DID itself is its controller.
"""

from __future__ import annotations

from dataclasses import dataclass

import base58
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

__all__ = [
    "DidKeyError",
    "PublicKey",
    "ResolvedKey",
    "VerifyingKey",
    "did_key",
    "multibase",
    "public_key",
    "resolve",
    "verification_method",
]

PublicKey = Ed25519PublicKey | ec.EllipticCurvePublicKey
# Keys a credential may be verified with: RSA only from a did:web document (did:key names no RSA key here).
VerifyingKey = PublicKey | rsa.RSAPublicKey

_ED25519_PUB = b"\xed\x01"
_P256_PUB = b"\x80\x24"
_PREFIX = "did:key:"


class DidKeyError(ValueError):
    """A verification method or DID that is not a did:key localfn can resolve."""


@dataclass(frozen=True)
class ResolvedKey:
    did: str  # the controller
    verification_method: str
    key: VerifyingKey
    source: str = "offline"  # where the key was read, for the verifier's report


def multibase(key: PublicKey) -> str:
    """An Ed25519 or P-256 public key as a multicodec-prefixed base58btc multibase ('z...'), as did:key and Multikey write it."""
    if isinstance(key, Ed25519PublicKey):
        data = _ED25519_PUB + key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    elif isinstance(key.curve, ec.SECP256R1):
        data = _P256_PUB + key.public_bytes(Encoding.X962, PublicFormat.CompressedPoint)
    else:
        raise DidKeyError(f"did:key is made here for Ed25519 and P-256 keys, not {key.curve.name}")
    return "z" + base58.b58encode(data).decode()


def did_key(key: PublicKey) -> str:
    """The did:key of an Ed25519 or P-256 public key."""
    return _PREFIX + multibase(key)


def verification_method(did: str) -> str:
    return f"{did}#{did.removeprefix(_PREFIX)}"


def resolve(url: str) -> ResolvedKey:
    """The public key a did:key (or its verification method URL) names; no network involved.

    A fragment other than the key's own multibase is refused, as the did:key method defines
    exactly one verification method.
    """
    did, _, fragment = url.partition("#")
    encoded = did.removeprefix(_PREFIX)
    if not did.startswith(_PREFIX) or not encoded.startswith("z"):
        raise DidKeyError(f"{url!r} is not a did:key with a base58btc ('z') key; only did:key is resolved offline")
    if fragment and fragment != encoded:
        raise DidKeyError(f"{url!r} names a verification method its did:key does not have")
    return ResolvedKey(did=did, verification_method=verification_method(did), key=public_key(encoded, url))


def public_key(encoded: str, where: str) -> PublicKey:
    """The Ed25519 or P-256 key a multibase ('z...', as ``multibase`` writes) holds; ``where`` names it in errors."""
    if not encoded.startswith("z"):
        raise DidKeyError(f"{where!r} is not a base58btc ('z') multibase key")
    try:
        data = base58.b58decode(encoded[1:])
    except ValueError as exc:
        raise DidKeyError(f"{where!r} is not valid base58btc") from exc
    if not ((data.startswith(_ED25519_PUB) and len(data) == 34) or (data.startswith(_P256_PUB) and len(data) == 35)):
        raise DidKeyError(f"{where!r} holds neither an Ed25519 nor a P-256 public key")
    try:
        if data.startswith(_ED25519_PUB):
            return Ed25519PublicKey.from_public_bytes(data[2:])
        return ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), data[2:])
    except ValueError as exc:  # a point not on the curve
        raise DidKeyError(f"{where!r} does not hold a valid public key") from exc
