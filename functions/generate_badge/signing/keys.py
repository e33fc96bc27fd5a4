"""The issuer's private keys: read from a JWK Set file, or made anew; only public parts ever leave.

A keys file (``LOCALFN_ISSUER__KEYS_FILE``) is a JWK Set of Ed25519 keys (sign Data Integrity
proofs) and P-256 keys (sign JWTs, ES256), each with its private part ``d``. Rotation: the
first key of each kind signs; every key is published (in the did:web document), so what an
older key signed still verifies. ``rotate_key_set`` puts new keys first and keeps the old.
Each key's identifiers are derived from it, so the file needs no ``kid``; the ones
``generate_key_set`` writes name their did:key verification method for the reader's benefit.
Errors name the file and the key's position, never a key's content.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from joserfc.jwk import ECKey, OKPKey

from localfn.functions.generate_badge.signing.didkey import PublicKey, did_key, verification_method

__all__ = ["IssuerKeys", "KeysFileError", "generate_key_set", "load_keys", "public_key_set", "rotate_key_set"]


class KeysFileError(ValueError):
    """The keys file cannot be used; the message says why and what to do, without its content."""


@dataclass(frozen=True, repr=False)
class IssuerKeys:
    """The loaded keys; ``repr`` shows only their DIDs, so a stray log line leaks nothing.

    ``ed25519`` and ``p256`` are the signers (the first of each kind in the file); ``published``
    holds the public part of every key in the file, in its order.
    """

    ed25519: OKPKey | None
    p256: ECKey | None
    published: tuple[PublicKey, ...] = ()

    @property
    def ed25519_did(self) -> str | None:
        return did_key(self.ed25519.private_key.public_key()) if self.ed25519 else None

    @property
    def p256_did(self) -> str | None:
        return did_key(self.p256.private_key.public_key()) if self.p256 else None

    def __repr__(self) -> str:
        return f"IssuerKeys(data_integrity={self.ed25519_did}, jwt={self.p256_did})"


def _import(path: Path, position: int, jwk: Any) -> OKPKey | ECKey:
    where = f"{path}: key {position}"
    if not isinstance(jwk, dict) or (jwk.get("kty"), jwk.get("crv")) not in (("OKP", "Ed25519"), ("EC", "P-256")):
        raise KeysFileError(f"{where} is not an Ed25519 (kty OKP) or P-256 (kty EC) JWK; those are the keys used")
    if "d" not in jwk:
        raise KeysFileError(f"{where} has no private part 'd': the keys file holds the issuer's private keys")
    try:
        kind = OKPKey if jwk["kty"] == "OKP" else ECKey
        key: OKPKey | ECKey = kind.import_key(jwk)
        written = kind.import_key({name: value for name, value in jwk.items() if name != "d"})
        # The public part derived from 'd' must be the one written, or readers of the file would see another key.
        matches = did_key(key.private_key.public_key()) == did_key(written.public_key)
    except Exception as exc:  # noqa: BLE001  (joserfc raises many kinds; their messages may quote key material)
        raise KeysFileError(f"{where} is not a valid {jwk['crv']} private key ({type(exc).__name__})") from None
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
        raise KeysFileError(f"the keys file {path} is not a JWK Set ({{\"keys\": [...]}}) with at least one key")
    keys = [_import(path, position, jwk) for position, jwk in enumerate(data["keys"], 1)]
    published = [key.private_key.public_key() for key in keys]
    if len(set(map(did_key, published))) < len(published):
        raise KeysFileError(f"the keys file {path} holds a key twice; keep one copy of each")
    return IssuerKeys(
        ed25519=next((key for key in keys if isinstance(key, OKPKey)), None),
        p256=next((key for key in keys if isinstance(key, ECKey)), None),
        published=tuple(published),
    )


def generate_key_set() -> dict[str, Any]:
    """A new JWK Set with an Ed25519 and a P-256 private key, each named by its verification method."""
    ed25519, p256 = OKPKey.generate_key("Ed25519"), ECKey.generate_key("P-256")
    return {
        "keys": [
            {**key.as_dict(private=True), "alg": alg, "use": "sig", "kid": verification_method(did_key(key.private_key.public_key()))}
            for key, alg in ((ed25519, "EdDSA"), (p256, "ES256"))
        ]
    }


def rotate_key_set(key_set: dict[str, Any]) -> dict[str, Any]:
    """``key_set`` with new Ed25519 and P-256 keys first (they sign from now on) and its old keys kept (still published)."""
    return {**key_set, "keys": [*generate_key_set()["keys"], *key_set["keys"]]}


def public_key_set(key_set: dict[str, Any]) -> dict[str, Any]:
    """``key_set`` without its private parts."""
    return {"keys": [{name: value for name, value in jwk.items() if name != "d"} for jwk in key_set["keys"]]}
