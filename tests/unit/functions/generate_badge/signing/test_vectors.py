"""Signing against published data: W3C's eddsa-rdfc-2022 vector, the OB 3.0 guide's example, did:key's examples.

The vectors are copied verbatim under tests/fixtures (each folder's SOURCE.md says from where).
They name contexts the product does not ship (W3C's examples context; the VC 1.1 and older OB
contexts of the guide), so the tests hand those to the same document loader the product uses.
"""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path
from typing import Any

import base58
import pytest
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from joserfc.jwk import ECKey

from localfn.functions.generate_badge.signing import dataintegrity, didkey
from localfn.functions.generate_badge.signing.contexts import ContextRefused, document_loader, shipped_contexts

FIXTURES = Path(__file__).parents[4] / "fixtures"
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
        vector("unsigned.json"),
        vector_key(),
        verification_method=config["verificationMethod"],
        created=config["created"],
        loader=loader,
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


# The Open Badges 3.0 implementation guide's signed example, read from the guide's own text.

GUIDE = FIXTURES / "ob3-guide"


def guide_sections() -> dict[str, str]:
    """Each '### Heading' of the guide -> its first code block, or its first `inline` value."""
    sections = {}
    for part in (GUIDE / "linked-data-proof-ob.md").read_text().split("\n### ")[1:]:
        heading, _, body = part.partition("\n")
        block = re.search(r"```[a-z]*\n(.*?)```", body, re.S) or re.search(r"`([^`]+)`", body)
        assert block is not None, heading
        sections[heading.strip()] = block.group(1)
    return sections


def guide_loader() -> dataintegrity.DocumentLoader:
    files = {
        "https://www.w3.org/2018/credentials/v1": "credentials-v1.jsonld",
        "https://purl.imsglobal.org/spec/ob/v3p0/context/ob_v3p0.jsonld": "ob_v3p0.jsonld",
        "https://w3id.org/security/data-integrity/v1": "data-integrity-v1.jsonld",
    }
    return document_loader({url: json.loads((GUIDE / name).read_text()) for url, name in files.items()})


def test_the_ob3_guides_signed_example_is_reproduced_bit_for_bit() -> None:
    guide = guide_sections()
    private_hex = re.search(r"Private key \(hex\): `([0-9a-f]+)`", (GUIDE / "linked-data-proof-ob.md").read_text())
    assert private_hex is not None
    key = Ed25519PrivateKey.from_private_bytes(bytes.fromhex(private_hex.group(1))[:32])  # seed, then public key
    document = json.loads(guide["Document with cryptosuite context"])
    options = json.loads(guide["Proof before signing"])
    loader = guide_loader()

    assert dataintegrity.canonical(document, loader) == guide["Document normalized"]
    assert dataintegrity.canonical({**options, "@context": document["@context"]}, loader) == guide["Proof normalized"]
    assert hashlib.sha256(guide["Document normalized"].encode()).hexdigest() == guide["Document hash (hex)"]
    assert hashlib.sha256(guide["Proof normalized"].encode()).hexdigest() == guide["Proof hash (hex)"]
    proof = dataintegrity.create_proof(
        document, key, verification_method=options["verificationMethod"], created=options["created"], loader=loader
    )
    assert base58.b58decode(proof["proofValue"][1:]).hex() == guide["Signature (hex)"]
    assert proof["proofValue"] == guide["Proof value (hex)"]
    assert proof == json.loads(guide["Proof"]) == json.loads(guide["Signed credential"])["proof"]
