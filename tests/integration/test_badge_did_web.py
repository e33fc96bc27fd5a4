"""did:web over real sockets: generate-badge serves its DID document, and the verifier resolves keys from it.

The document is the product's own, served by `localfn serve`'s app on a loopback port; the
verifier fetches it through ``FakeDidWebSource`` (the product's HTTPS source pointed at that
port, as no real domain can be reached here). Every failure is "not valid" with a reason.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from localfn.functions.generate_badge.models import VerifyResult
from localfn.functions.generate_badge.signing.issuer import CredentialIssuer
from localfn.functions.generate_badge.signing.keys import rotate_key_set
from localfn.functions.generate_badge.signing.resolver import MAX_DOCUMENT_BYTES, KeyResolver
from localfn.functions.generate_badge.signing.verify import verify_credential
from localfn.runtime import RuntimeHolder
from localfn.serve import build_app
from localfn.settings import IssuerSettings, Settings
from tests.support.asgi_server import serve_in_thread
from tests.support.didweb import FakeDidWebSource, silent_server
from tests.support.localfn_app import backend, make_settings, serve_client
from tests.support.signing import unsigned_credential, write_keys

DOCUMENT_URL = "https://example.edu/.well-known/did.json"


def failed(result: VerifyResult) -> dict[str, str]:
    return {check.name: check.detail for check in result.checks if not check.ok}


def badge_settings(tmp_path: Path, engine_url: str, **issuer: Any) -> Settings:
    # The engine is never called: these routes only sign, publish and verify.
    return make_settings(
        backend("unused", engine_url, "none"),
        generate_badge={"history_path": tmp_path / "history.sqlite3"},
        issuer=IssuerSettings(**issuer),
    )


@pytest.fixture
def keys_file(tmp_path: Path) -> Path:
    return write_keys(tmp_path)


@pytest.fixture
def published(tmp_path: Path, keys_file: Path, closed_port_url: str) -> Iterator[str]:
    """The base URL of generate-badge (under `localfn serve`) publishing did:web:example.edu with ``keys_file``."""
    settings = badge_settings(tmp_path, closed_port_url, keys_file=keys_file, did_web="example.edu")
    with serve_in_thread(build_app(RuntimeHolder(lambda: settings), ["generate-badge"])) as url:
        yield url


def issuer_for(keys_file: Path, did_web: str = "example.edu") -> CredentialIssuer:
    return CredentialIssuer(IssuerSettings(keys_file=keys_file, did_web=did_web))


@pytest.mark.parametrize("proof", ["data-integrity", "jwt"])
def test_a_did_web_credential_verifies_from_the_served_document(published: str, keys_file: Path, proof: Any) -> None:
    issued = issuer_for(keys_file).issue(unsigned_credential(), proof)
    source = FakeDidWebSource(published)
    result = verify_credential(issued.jwt or issued.credential, resolver=KeyResolver(["example.edu"], 5, source))
    assert result.valid, failed(result)
    key = next(check.detail for check in result.checks if check.name == "key")
    assert f"resolves from {DOCUMENT_URL}" in key
    assert source.asked == [DOCUMENT_URL]  # resolved once for the key and signature checks


def test_a_credential_signed_before_a_rotation_still_verifies(tmp_path: Path, keys_file: Path, closed_port_url: str) -> None:
    before = issuer_for(keys_file).issue(unsigned_credential(), "data-integrity").credential
    rotated = tmp_path / "rotated.json"
    rotated.write_text(json.dumps(rotate_key_set(json.loads(keys_file.read_text()))))
    after = issuer_for(rotated).issue(unsigned_credential(), "data-integrity").credential
    assert after["proof"][0]["verificationMethod"] != before["proof"][0]["verificationMethod"]
    settings = badge_settings(tmp_path, closed_port_url, keys_file=rotated, did_web="example.edu")
    with serve_in_thread(build_app(RuntimeHolder(lambda: settings), ["generate-badge"])) as url:
        resolver = KeyResolver(["example.edu"], 5, FakeDidWebSource(url))
        for credential in (before, after):
            result = verify_credential(credential, resolver=resolver)
            assert result.valid, failed(result)


def test_a_key_the_document_does_not_publish_is_not_valid(tmp_path: Path, published: str) -> None:
    (tmp_path / "other").mkdir()
    unpublished = issuer_for(write_keys(tmp_path / "other")).issue(unsigned_credential(), "data-integrity").credential
    result = verify_credential(unpublished, resolver=KeyResolver(["example.edu"], 5, FakeDidWebSource(published)))
    problems = failed(result)
    assert "has no verification method" in problems["key"]
    assert problems["signature"] == problems["key"]


def test_a_key_controlled_by_another_did_than_the_issuer_is_not_valid(published: str, keys_file: Path) -> None:
    genuine = issuer_for(keys_file).issue(unsigned_credential(), "data-integrity").credential
    claimed = copy.deepcopy(genuine)
    claimed["issuer"]["id"] = "did:web:mallory.example"  # example.edu's key, another issuer's name
    result = verify_credential(claimed, resolver=KeyResolver(["example.edu"], 5, FakeDidWebSource(published)))
    problems = failed(result)
    assert problems["key"] == "the key's controller did:web:example.edu is not the credential's issuer did:web:mallory.example"
    assert "changed after signing" in problems["signature"]


def test_a_domain_off_the_allow_list_is_never_fetched(published: str, keys_file: Path) -> None:
    credential = issuer_for(keys_file).issue(unsigned_credential(), "data-integrity").credential
    source = FakeDidWebSource(published)
    result = verify_credential(credential, resolver=KeyResolver(["example.org"], 5, source))
    assert "example.edu is not in the allow-list" in failed(result)["key"]
    assert "LOCALFN_ISSUER__DID_WEB_ALLOW" in failed(result)["key"]
    assert source.asked == []


def test_a_document_that_never_comes_is_a_timeout_with_the_setting_named(keys_file: Path) -> None:
    credential = issuer_for(keys_file).issue(unsigned_credential(), "jwt").jwt
    assert credential is not None
    with silent_server() as url:
        result = verify_credential(credential, resolver=KeyResolver(["example.edu"], 0.5, FakeDidWebSource(url)))
    assert failed(result)["key"] == f"{DOCUMENT_URL} did not answer within 0.5 s (LOCALFN_ISSUER__DID_WEB_TIMEOUT_S)"


def test_a_missing_document_is_not_valid_with_the_status(tmp_path: Path, keys_file: Path, closed_port_url: str) -> None:
    # generate-badge without a did:web answers 404 at the document's path.
    settings = badge_settings(tmp_path, closed_port_url, keys_file=keys_file)
    credential = issuer_for(keys_file).issue(unsigned_credential(), "data-integrity").credential
    with serve_in_thread(build_app(RuntimeHolder(lambda: settings), ["generate-badge"])) as url:
        result = verify_credential(credential, resolver=KeyResolver(["example.edu"], 5, FakeDidWebSource(url)))
    assert failed(result)["key"] == f"{DOCUMENT_URL} answered HTTP 404, not the DID document"


# The routes


async def test_generate_badge_serves_its_did_document_at_the_did_urls_path(tmp_path: Path, keys_file: Path, closed_port_url: str) -> None:
    settings = badge_settings(tmp_path, closed_port_url, keys_file=keys_file, did_web="example.edu:badges:2026")
    expected = issuer_for(keys_file, "example.edu:badges:2026").did_document()
    secrets = [jwk["d"] for jwk in json.loads(keys_file.read_text())["keys"]]
    async with serve_client(settings, ["generate-badge"]) as (client, _):
        # At `localfn serve`'s root, and at the function's own root (where functions-framework puts it).
        for path in ("/badges/2026/did.json", "/generate-badge/badges/2026/did.json"):
            response = await client.get(path)
            assert response.status_code == 200, response.text
            assert response.json() == expected
            assert not any(secret in response.text for secret in secrets)
            assert all("d" not in method.get("publicKeyJwk", {}) for method in response.json()["verificationMethod"])
        missing = await client.get("/.well-known/did.json")
        assert missing.status_code == 404
        assert "/badges/2026/did.json" in missing.json()["detail"]


async def test_without_a_did_web_the_document_route_says_what_to_set(tmp_path: Path, closed_port_url: str) -> None:
    async with serve_client(badge_settings(tmp_path, closed_port_url), ["generate-badge"]) as (client, _):
        response = await client.get("/.well-known/did.json")
    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert "LOCALFN_ISSUER__DID_WEB" in response.json()["detail"]


async def test_post_verify_answers_a_did_web_off_the_allow_list_as_not_valid(tmp_path: Path, keys_file: Path, closed_port_url: str) -> None:
    credential = issuer_for(keys_file, "badges.example.org").issue(unsigned_credential(), "data-integrity").credential
    settings = badge_settings(tmp_path, closed_port_url, keys_file=keys_file, did_web_allow="example.edu")
    async with serve_client(settings, ["generate-badge"]) as (client, _):
        response = await client.post("/generate-badge/verify", json={"credential": credential})
    assert response.status_code == 200, response.text
    result = response.json()
    assert result["valid"] is False
    key = next(check for check in result["checks"] if check["name"] == "key")
    assert "badges.example.org is not in the allow-list" in key["detail"]


def misbehaving_host() -> Starlette:
    """Answers the document's path with what no DID document is: a redirect, a huge body, or not JSON."""
    answers = {
        "redirect": RedirectResponse("https://mallory.example/did.json", status_code=302),
        "huge": Response(b" " * (MAX_DOCUMENT_BYTES + 1), media_type="application/json"),
        "html": Response("<html></html>", media_type="text/html"),
    }

    async def document(request: Request) -> Response:
        return answers[request.path_params["case"]]

    return Starlette(routes=[Route("/{case}/did.json", document)])


@pytest.mark.parametrize(
    ("case", "reason"),
    [
        ("redirect", "answered HTTP 302, not the DID document"),
        ("huge", f"serves over {MAX_DOCUMENT_BYTES} bytes: not a DID document"),
        ("html", "does not serve JSON"),
    ],
)
def test_a_host_that_does_not_serve_a_document_is_not_valid_with_the_reason(keys_file: Path, case: str, reason: str) -> None:
    credential = issuer_for(keys_file, f"example.edu:{case}").issue(unsigned_credential(), "data-integrity").credential
    with serve_in_thread(misbehaving_host()) as url:
        result = verify_credential(credential, resolver=KeyResolver(["example.edu"], 5, FakeDidWebSource(url)))
    assert failed(result)["key"] == f"https://example.edu/{case}/did.json {reason}"
