"""Embedded proofs: W3C Data Integrity ``DataIntegrityProof`` with the ``eddsa-rdfc-2022`` cryptosuite.

As the W3C vc-di-eddsa specification defines it: the proof configuration (the proof without
``proofValue``, carrying the document's ``@context``) and the document without its proof are
each canonicalized with RDF Dataset Canonicalization (RDFC-1.0, pyld's URDNA2015) and hashed
with SHA-256; the Ed25519 signature over the two hashes (proof's first) is the proof value,
multibase base58btc ('z'). A property no context defines is an error, not silently left out
of what the signature covers (jsonld.js's "safe mode"; pyld reports dropped properties to a hook).
"""

from __future__ import annotations

import hashlib
from typing import Any

import base58
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from pyld import jsonld

from localfn.functions.generate_badge.signing.contexts import DocumentLoader, document_loader

__all__ = ["CRYPTOSUITE", "ProofInvalid", "canonical", "create_proof", "verify_proof"]

CRYPTOSUITE = "eddsa-rdfc-2022"
PROOF_TYPE = "DataIntegrityProof"


class ProofInvalid(ValueError):
    """The proof does not hold; the message says why."""


def _refuse_dropped(expanded: str | None) -> None:
    raise ProofInvalid(f"the property {expanded!r} is defined by no context, so no signature could cover it")


def canonical(document: dict[str, Any], loader: DocumentLoader) -> str:
    """RDFC-1.0 canonical N-Quads of a JSON-LD document (contexts from ``loader`` only).

    A property no context defines is refused (JSON-LD would drop it, unsigned, while the JSON shows it).
    """
    options = {"algorithm": "URDNA2015", "format": "application/n-quads", "documentLoader": loader}
    try:
        return str(jsonld.JsonLdProcessor(on_property_dropped=_refuse_dropped).normalize(document, options))
    except jsonld.JsonLdError as exc:
        raise ProofInvalid(f"the document cannot be canonicalized: {_cause(exc)}") from None


def _cause(exc: BaseException) -> str:
    # pyld wraps the real reason (a refused context, an undefined term) in layers of JsonLdError.
    while exc.__cause__ is not None or getattr(exc, "cause", None) is not None:
        exc = exc.__cause__ or exc.cause  # type: ignore[attr-defined]
    return str(exc).splitlines()[0]


def _hash_data(document: dict[str, Any], options: dict[str, Any], loader: DocumentLoader) -> bytes:
    config = {**options, "@context": document["@context"]}
    return hashlib.sha256(canonical(config, loader).encode()).digest() + hashlib.sha256(canonical(document, loader).encode()).digest()


def create_proof(
    document: dict[str, Any],
    key: Ed25519PrivateKey,
    *,
    verification_method: str,
    created: str,
    loader: DocumentLoader | None = None,
) -> dict[str, Any]:
    """An assertionMethod proof over ``document`` (which carries no proof), made at ``created``."""
    options = {
        "type": PROOF_TYPE,
        "cryptosuite": CRYPTOSUITE,
        "created": created,
        "verificationMethod": verification_method,
        "proofPurpose": "assertionMethod",
    }
    signature = key.sign(_hash_data(document, options, loader or document_loader()))
    return {**options, "proofValue": "z" + base58.b58encode(signature).decode()}


def verify_proof(document: dict[str, Any], proof: dict[str, Any], key: Ed25519PublicKey, loader: DocumentLoader | None = None) -> None:
    """Raise ProofInvalid unless ``proof`` is an eddsa-rdfc-2022 assertion over ``document`` (without its proof)."""
    if proof.get("type") != PROOF_TYPE or proof.get("cryptosuite") != CRYPTOSUITE:
        raise ProofInvalid(f"the proof is not a {PROOF_TYPE} of the {CRYPTOSUITE} cryptosuite")
    if proof.get("proofPurpose") != "assertionMethod":
        raise ProofInvalid("the proof's purpose is not assertionMethod")
    value = proof.get("proofValue")
    if not isinstance(value, str) or not value.startswith("z"):
        raise ProofInvalid("the proof has no base58btc ('z') proofValue")
    try:
        signature = base58.b58decode(value[1:])
    except ValueError:
        raise ProofInvalid("the proofValue is not valid base58btc") from None
    options = {name: item for name, item in proof.items() if name != "proofValue"}
    try:
        key.verify(signature, _hash_data(document, options, loader or document_loader()))
    except InvalidSignature:
        raise ProofInvalid("the signature does not match the credential: it was changed after signing") from None
