"""Signing against published data: the W3C eddsa-rdfc-2022 test vector and the did:key method's examples.

The vectors are copied verbatim under tests/fixtures (SOURCE.md there says from where); the
vector's credential uses the W3C examples context, which the product does not ship, so the
test hands it to the same document loader the product uses.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path
from typing import Any

import base58
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from joserfc.jwk import ECKey

from localfn.functions.generate_badge.signing import dataintegrity, didkey
from localfn.functions.generate_badge.signing.contexts import ContextRefused, document_loader, shipped_contexts

FIXTURES = Path(__file__).parents[1] / "fixtures"
VECTORS = FIXTURES / "vc-di-eddsa"
EXAMPLES_CONTEXT = "https://www.w3.org/ns/credentials/examples/v2"


def vector(name: str) -> Any:
    text = (VECTORS / name).read_text()
    return json.loads(text) if name.endswith((".json", ".jsonld")) else text


@pytest.fixture
def loader() -> dataintegrity.DocumentLoader:
    return document_loader({**shipped_contexts(), EXAMPLES_CONTEXT: vector("credentials-examples-v2.jsonld")})


def vector_key() -> Ed25519PrivateKey:
    # privateKeyMultibase: 'z' + base58btc(ed25519-priv multicodec 0x1300, varint 80 26, + the 32-byte seed).
    raw = base58.b58decode(vector("keyPair.json")["privateKeyMultibase"][1:])
    assert raw[:2] == b"\x80\x26"
    return Ed25519PrivateKey.from_private_bytes(raw[2:])


def test_the_vectors_key_pair_gives_the_published_did_key() -> None:
    did = didkey.did_key(vector_key().public_key())
    assert did == "did:key:" + vector("keyPair.json")["publicKeyMultibase"]
    assert didkey.verification_method(did) == vector("proofConfigDataInt.json")["verificationMethod"]


def test_canonical_forms_and_hashes_are_the_published_ones(loader: dataintegrity.DocumentLoader) -> None:
    config = vector("proofConfigDataInt.json")
    canonical_document = dataintegrity.canonical(vector("unsigned.json"), loader)
    canonical_proof = dataintegrity.canonical(config, loader)
    assert canonical_document == vector("canonDocDataInt.txt")
    assert canonical_proof == vector("proofCanonDataInt.txt")
    combined = hashlib.sha256(canonical_proof.encode()).hexdigest() + hashlib.sha256(canonical_document.encode()).hexdigest()
    assert combined == vector("combinedHashDataInt.txt").strip()


def test_the_proof_is_the_published_one_bit_for_bit(loader: dataintegrity.DocumentLoader) -> None:
    config = vector("proofConfigDataInt.json")
    proof = dataintegrity.create_proof(
        vector("unsigned.json"), vector_key(),
        verification_method=config["verificationMethod"], created=config["created"], loader=loader,
    )
    signed = vector("signedDataInt.json")
    assert proof == signed["proof"]
    assert base58.b58decode(proof["proofValue"][1:]).hex() == vector("sigHexDataInt.txt").strip()


def test_the_published_signed_credential_verifies_and_a_changed_one_does_not(loader: dataintegrity.DocumentLoader) -> None:
    signed = vector("signedDataInt.json")
    document = {name: value for name, value in signed.items() if name != "proof"}
    public = vector_key().public_key()
    dataintegrity.verify_proof(document, signed["proof"], public, loader)
    changed = {**document, "credentialSubject": {**document["credentialSubject"], "alumniOf": "Another School"}}
    with pytest.raises(dataintegrity.ProofInvalid, match="changed after signing"):
        dataintegrity.verify_proof(changed, signed["proof"], public, loader)


def test_the_product_loader_refuses_every_context_it_does_not_ship() -> None:
    load = document_loader()
    assert load("https://www.w3.org/ns/credentials/v2")["document"]["@context"]["@protected"] is True
    with pytest.raises(ContextRefused, match="never fetched"):
        load(EXAMPLES_CONTEXT)
    # Through pyld too: a document naming another context cannot be canonicalized, so cannot be verified.
    with pytest.raises(dataintegrity.ProofInvalid, match="not one localfn ships"):
        dataintegrity.canonical(vector("unsigned.json"), load)


def test_a_term_no_context_defines_is_an_error_not_silently_unsigned() -> None:
    document = {"@context": ["https://www.w3.org/ns/credentials/v2"], "id": "urn:uuid:1", "undefinedTerm": "x"}
    with pytest.raises(dataintegrity.ProofInvalid, match="defined by no context"):
        dataintegrity.canonical(document, document_loader())


ED25519_EXAMPLES = json.loads((FIXTURES / "did-key" / "ed25519-x25519.json").read_text())
P256_EXAMPLES = {
    did: example
    for did, example in json.loads((FIXTURES / "did-key" / "nist-curves.json").read_text()).items()
    if example["verificationMethod"].get("publicKeyJwk", {}).get("crv") == "P-256"
}


@pytest.mark.parametrize("did", sorted(ED25519_EXAMPLES))
def test_ed25519_did_keys_are_the_specs_examples(did: str) -> None:
    example = ED25519_EXAMPLES[did]
    key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(example["seed"])).public_key()
    assert didkey.did_key(key) == did
    resolved = didkey.resolve(example["didDocument"]["assertionMethod"][0])
    assert (resolved.did, didkey.did_key(resolved.key)) == (did, did)


@pytest.mark.parametrize("did", sorted(P256_EXAMPLES))
def test_p256_did_keys_are_the_specs_examples(did: str) -> None:
    jwk = P256_EXAMPLES[did]["verificationMethod"]["publicKeyJwk"]
    key = ECKey.import_key(jwk).public_key
    assert isinstance(key, ec.EllipticCurvePublicKey)
    assert didkey.did_key(key) == did
    assert ECKey.import_key(didkey.resolve(did).key).as_dict(private=False) | {"kty": "EC"} == jwk | {"kty": "EC"}


@pytest.mark.parametrize(
    ("url", "reason"),
    [
        ("did:web:example.edu", "only did:key"),
        ("did:key:z6MkiTBz1ymuepAQ4HEHYSF1H8quG5GLVVQR3djdX3mDooWp#z6Mkother", "does not have"),
        ("did:key:z0OIl", "not valid base58btc"),
        ("did:key:z" + base58.b58encode(b"\x12\x00" + bytes(32)).decode(), "neither an Ed25519 nor a P-256"),
        ("did:key:z" + base58.b58encode(b"\x80\x24" + b"\x02" + b"\xff" * 32).decode(), "not hold a valid public key"),
    ],
)
def test_what_is_not_a_resolvable_did_key_says_why(url: str, reason: str) -> None:
    with pytest.raises(didkey.DidKeyError, match=reason):
        didkey.resolve(url)
