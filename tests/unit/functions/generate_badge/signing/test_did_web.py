"""did:web issuers and key rotation: identifiers, the DID document, issuing under a did:web, reading a document.

Keys and signatures are real. Resolution over a network is in
tests/integration/test_badge_did_web.py; here the document is read as a resolver reads it.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner
from pydantic import ValidationError

from localfn.cli import main
from localfn.functions.generate_badge.signing.diddocument import DidDocumentError, read_method
from localfn.functions.generate_badge.signing.didweb import DidWebError, parse
from localfn.functions.generate_badge.signing.issuer import CredentialIssuer
from localfn.functions.generate_badge.signing.keys import generate_key_set, load_keys, rotate_key_set
from localfn.settings import IssuerSettings, Settings
from tests.support.signing import jwt_parts, unsigned_credential, write_keys

DID = "did:web:example.edu"


def members(value: Any) -> set[str]:
    """Every member name anywhere in a JSON value."""
    if isinstance(value, dict):
        return set(value) | {name for item in value.values() for name in members(item)}
    if isinstance(value, list):
        return {name for item in value for name in members(item)}
    return set()


def private_parts(keys_file: Path) -> list[str]:
    return [jwk["d"] for jwk in json.loads(keys_file.read_text())["keys"]]


# Identifiers: the did:web method's own examples.


@pytest.mark.parametrize(
    ("did", "url"),
    [
        ("did:web:w3c-ccg.github.io", "https://w3c-ccg.github.io/.well-known/did.json"),
        ("did:web:w3c-ccg.github.io:user:alice", "https://w3c-ccg.github.io/user/alice/did.json"),
        ("did:web:example.com%3A3000:user:alice", "https://example.com:3000/user/alice/did.json"),
        ("example.edu:badges", "https://example.edu/badges/did.json"),
    ],
)
def test_a_did_web_maps_to_its_document_url_as_the_method_defines(did: str, url: str) -> None:
    assert parse(did).document_url == url


@pytest.mark.parametrize("bad", ["exa mple.edu", "https://example.edu", "example.edu::badges", "example.edu:..", "example.edu:a/b", ""])
def test_a_malformed_did_web_is_refused_naming_the_fault(bad: str) -> None:
    with pytest.raises(DidWebError, match=r"domain name|path segment"):
        parse(bad)


def test_did_web_settings_are_read_from_the_environment(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    keys_file = write_keys(tmp_path)
    monkeypatch.setenv("LOCALFN_ISSUER__KEYS_FILE", str(keys_file))
    monkeypatch.setenv("LOCALFN_ISSUER__DID_WEB", "example.edu:badges")
    monkeypatch.setenv("LOCALFN_ISSUER__DID_WEB_ALLOW", "Example.edu, badges.example.org:8443")
    monkeypatch.setenv("LOCALFN_ISSUER__DID_WEB_TIMEOUT_S", "2.5")
    issuer = Settings().issuer
    assert (issuer.did_web, issuer.did_web_allow, issuer.did_web_timeout_s) == (
        "example.edu:badges",
        ("example.edu", "badges.example.org:8443"),
        2.5,
    )


def test_a_did_web_needs_a_keys_file_and_a_domain(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="LOCALFN_ISSUER__DID_WEB needs LOCALFN_ISSUER__KEYS_FILE"):
        IssuerSettings(did_web="example.edu")
    with pytest.raises(ValidationError, match="does not start with a domain name"):
        IssuerSettings(keys_file=write_keys(tmp_path), did_web="exa_mple.edu")


# Issuing under a did:web


@pytest.fixture
def keys_file(tmp_path: Path) -> Path:
    return write_keys(tmp_path)


@pytest.fixture
def issuer(keys_file: Path) -> CredentialIssuer:
    return CredentialIssuer(IssuerSettings(keys_file=keys_file, did_web="example.edu"))


def test_credentials_name_the_did_web_and_the_method_that_signed_them(issuer: CredentialIssuer) -> None:
    document = issuer.did_document()
    assert document is not None
    ed25519_method, p256_method = document["assertionMethod"]
    signed = issuer.issue(unsigned_credential(), "data-integrity").credential
    assert signed["issuer"]["id"] == DID
    assert signed["proof"][0]["verificationMethod"] == ed25519_method
    issued = issuer.issue(unsigned_credential(), "jwt")
    assert issued.credential["issuer"]["id"] == DID
    assert issued.jwt is not None
    header = jwt_parts(issued.jwt)[0]
    assert header["kid"] == p256_method


def test_the_did_document_publishes_each_key_for_assertion_with_the_did_as_controller(issuer: CredentialIssuer, keys_file: Path) -> None:
    document = issuer.did_document()
    assert document is not None
    assert document["id"] == DID
    assert "https://www.w3.org/ns/did/v1" in document["@context"]
    methods = document["verificationMethod"]
    assert [(m["type"], m["controller"]) for m in methods] == [("Multikey", DID), ("JsonWebKey", DID)]
    assert methods[0]["publicKeyMultibase"].startswith("z6Mk")  # ed25519-pub multicodec
    assert (methods[1]["publicKeyJwk"]["kty"], methods[1]["publicKeyJwk"]["crv"]) == ("EC", "P-256")
    assert document["assertionMethod"] == [m["id"] for m in methods]
    for method in methods:
        assert read_method(document, DID, method["id"]).did == DID


def test_the_did_document_never_holds_a_private_part(issuer: CredentialIssuer, keys_file: Path) -> None:
    document = issuer.did_document()
    assert "d" not in members(document)
    assert not any(secret in json.dumps(document) for secret in private_parts(keys_file))


def test_without_a_did_web_there_is_no_document_and_the_issuer_is_the_did_key(keys_file: Path) -> None:
    issuer = CredentialIssuer(IssuerSettings(keys_file=keys_file))
    assert issuer.did_document() is None
    assert issuer.issue(unsigned_credential(), "data-integrity").credential["issuer"]["id"].startswith("did:key:z6Mk")


# Rotation


def test_after_rotation_the_new_keys_sign_and_every_key_is_published(tmp_path: Path) -> None:
    old = generate_key_set()
    path = tmp_path / "keys.json"
    path.write_text(json.dumps(rotate_key_set(old)))
    rotated = json.loads(path.read_text())["keys"]
    assert rotated[2:] == old["keys"]  # the old keys kept, after the new
    keys = load_keys(path)
    assert keys.ed25519 is not None and keys.ed25519.as_dict()["x"] == rotated[0]["x"]
    assert keys.p256 is not None and keys.p256.as_dict()["x"] == rotated[1]["x"]
    document = CredentialIssuer(IssuerSettings(keys_file=path, did_web="example.edu")).did_document()
    assert document is not None
    assert len(document["verificationMethod"]) == len(document["assertionMethod"]) == 4


# Reading a document as a resolver does


def doctored(document: dict[str, Any], **method: Any) -> dict[str, Any]:
    """``document`` with its first method changed."""
    first = {**document["verificationMethod"][0], **method}
    return {**document, "verificationMethod": [first, *document["verificationMethod"][1:]]}


def test_a_document_that_does_not_vouch_for_the_method_is_refused_with_the_reason(issuer: CredentialIssuer) -> None:
    document = issuer.did_document()
    assert document is not None
    method = document["assertionMethod"][0]
    p256_jwk = document["verificationMethod"][1]["publicKeyJwk"]
    cases = [
        ({**document, "id": "did:web:other.example"}, "is not its DID document"),
        ({**document, "verificationMethod": document["verificationMethod"][1:]}, "has no verification method"),
        ({**document, "assertionMethod": document["assertionMethod"][1:]}, "does not list .* in assertionMethod"),
        (doctored(document, type="JsonWebKey", publicKeyJwk={**p256_jwk, "d": "AAAA"}), "publishes a private key part"),
        (doctored(document, publicKeyMultibase="zabc"), "holds neither an Ed25519 nor a P-256"),
        (doctored(document, type="EcdsaSecp256k1VerificationKey2019"), "neither a Multikey"),
        ("[]", "is not its DID document"),
    ]
    for served, reason in cases:
        with pytest.raises(DidDocumentError, match=reason):
            read_method(served, DID, method)


def test_a_method_controlled_by_another_did_resolves_to_that_controller(issuer: CredentialIssuer) -> None:
    # The verifier compares the controller with the issuer; the document reader reports it as written.
    document = issuer.did_document()
    assert document is not None
    method = document["assertionMethod"][0]
    assert read_method(doctored(document, controller="did:web:mallory.example"), DID, method).did == "did:web:mallory.example"
    relative = doctored(document, id="#" + method.split("#")[1])
    assert read_method(relative, DID, method).verification_method == method


# The command line


def test_keys_did_web_prints_the_document_generate_badge_serves(keys_file: Path) -> None:
    done = CliRunner().invoke(main, ["keys", "did-web", "example.edu:badges", "--keys-file", str(keys_file)])
    assert done.exit_code == 0, done.output
    printed = json.loads(done.stdout)
    served = CredentialIssuer(IssuerSettings(keys_file=keys_file, did_web="example.edu:badges")).did_document()
    assert printed == served
    assert "https://example.edu/badges/did.json" in done.stderr
    assert not any(secret in done.output for secret in private_parts(keys_file))


def test_keys_did_web_refuses_a_bad_domain_saying_why(keys_file: Path) -> None:
    done = CliRunner().invoke(main, ["keys", "did-web", "example.edu/badges", "--keys-file", str(keys_file)])
    assert done.exit_code == 1
    assert "does not start with a domain name" in done.output


def test_keys_rotate_puts_new_keys_first_and_keeps_the_old(keys_file: Path) -> None:
    before = json.loads(keys_file.read_text())["keys"]
    done = CliRunner().invoke(main, ["keys", "rotate", str(keys_file)])
    assert done.exit_code == 0, done.output
    after = json.loads(keys_file.read_text())["keys"]
    assert after[2:] == before and len(after) == 4
    assert keys_file.stat().st_mode & 0o077 == 0
    assert not any(jwk["d"] in done.output for jwk in after)
    assert not list(keys_file.parent.glob(".*.new"))


def test_the_verify_command_resolves_did_web_only_from_allowed_domains(tmp_path: Path, issuer: CredentialIssuer) -> None:
    path = tmp_path / "credential.json"
    path.write_text(json.dumps(issuer.issue(unsigned_credential(), "data-integrity").credential))
    done = CliRunner().invoke(main, ["verify", str(path)])
    assert done.exit_code == 1
    assert "FAILED key: example.edu is not in the allow-list" in done.output
