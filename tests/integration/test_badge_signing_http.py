"""Signed badges over HTTP, on a real llama.cpp server with the tiny model: issue, store, regenerate, verify.

The keys file is real and so are the signatures; the tiny model only fills the text. History
must hand back exactly what was issued, and POST /verify must answer "not valid" with a
reason, never a 500, whatever credential it is sent.
"""

from __future__ import annotations

import copy
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx

from localfn.settings import BackendSettings, IssuerSettings
from tests.integration.test_badge_http import COURSE, ISSUER
from tests.support.localfn_app import make_settings, serve_client
from tests.support.openbadges import assert_valid_badge
from tests.support.signing import write_keys


@asynccontextmanager
async def signing_badges(engine: BackendSettings, tmp_path: Path, **issuer: Any) -> AsyncIterator[httpx.AsyncClient]:
    settings = make_settings(
        engine, generate_badge={"history_path": tmp_path / "history.sqlite3"}, max_repairs=0, issuer=IssuerSettings(**issuer)
    )
    async with serve_client(settings, ["generate-badge"]) as (client, _):
        yield client


async def issue(client: httpx.AsyncClient, **fields: Any) -> dict[str, Any]:
    body = {"course_input": COURSE, "issuer": ISSUER, "recipient": "ada@example.org", **fields}
    response = await client.post("/generate-badge", json=body)
    assert response.status_code == 200, response.text
    badge: dict[str, Any] = response.json()
    assert_valid_badge(badge)
    return badge


async def verify(client: httpx.AsyncClient, credential: Any) -> dict[str, Any]:
    response = await client.post("/generate-badge/verify", json={"credential": credential})
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


def failed(result: dict[str, Any]) -> dict[str, str]:
    return {check["name"]: check["detail"] for check in result["checks"] if not check["ok"]}


async def test_a_signed_badge_is_stored_and_regenerated_as_issued_and_verifies(tiny_backend: BackendSettings, tmp_path: Path) -> None:
    async with signing_badges(tiny_backend, tmp_path, keys_file=write_keys(tmp_path)) as client:
        badge = await issue(client)  # the configured default: data-integrity
        credential = badge["credential"]
        assert credential["proof"][0]["cryptosuite"] == "eddsa-rdfc-2022"
        assert credential["issuer"]["id"].startswith("did:key:z6Mk")
        assert credential["issuer"]["name"] == ISSUER["name"]
        assert badge["credential_jwt"] is None
        assert (await client.get(f"/generate-badge/history/{badge['id']}")).json() == badge
        assert (await verify(client, credential))["valid"] is True

        # A new image needs no model call: the new version is signed again, as the first was.
        response = await client.post("/generate-badge/regenerate", json={"badge_id": badge["id"], "field": "image"})
        assert response.status_code == 200, response.text
        second = response.json()["credential"]
        assert second["proof"] != credential["proof"]
        assert second["credentialSubject"]["identifier"] == credential["credentialSubject"]["identifier"]
        assert (await verify(client, second))["valid"] is True

        tampered = copy.deepcopy(credential)
        tampered["credentialSubject"]["achievement"]["name"] = "Forged"
        result = await verify(client, tampered)
        assert result["valid"] is False
        assert set(failed(result)) == {"signature"}


async def test_a_jwt_badge_returns_and_stores_the_token_and_verifies(tiny_backend: BackendSettings, tmp_path: Path) -> None:
    async with signing_badges(tiny_backend, tmp_path, keys_file=write_keys(tmp_path)) as client:
        badge = await issue(client, proof="jwt")
        token = badge["credential_jwt"]
        assert isinstance(token, str) and token.count(".") == 2
        assert "proof" not in badge["credential"]
        assert badge["credential"]["issuer"]["id"].startswith("did:key:zDn")
        assert (await client.get(f"/generate-badge/history/{badge['id']}")).json()["credential_jwt"] == token
        result = await verify(client, token)
        assert result["valid"] is True and result["proof"] == "jwt", failed(result)
        response = await client.post("/generate-badge/regenerate", json={"badge_id": badge["id"], "field": "image"})
        assert response.status_code == 200, response.text
        regenerated = response.json()["credential_jwt"]
        assert regenerated not in (None, token)
        assert (await verify(client, regenerated))["valid"] is True


async def test_without_keys_a_signed_proof_is_refused_before_the_model_runs(tiny_backend: BackendSettings, tmp_path: Path) -> None:
    async with signing_badges(tiny_backend, tmp_path) as client:
        for proof in ("data-integrity", "jwt"):
            response = await client.post(
                "/generate-badge",
                json={"course_input": COURSE, "issuer": ISSUER, "recipient": "ada@example.org", "proof": proof},
            )
            assert response.status_code == 422
            problem = response.json()
            assert "LOCALFN_ISSUER__KEYS_FILE" in problem["detail"]
            assert problem["errors"][0]["path"] == "proof"
        assert (await client.get("/generate-badge/history")).json()["total"] == 0
        # A proof without a recipient is a mistake too: there is no credential to sign.
        response = await client.post("/generate-badge", json={"course_input": COURSE, "proof": "none"})
        assert response.status_code == 422
        assert "send recipient too" in response.text


async def test_verify_answers_not_valid_never_a_500(tiny_backend: BackendSettings, tmp_path: Path) -> None:
    async with signing_badges(tiny_backend, tmp_path) as client:
        for credential in ({}, {"proof": [{"verificationMethod": "did:key:zzz"}], "issuer": "x"}, "a.b.c", ""):
            result = await verify(client, credential)
            assert result["valid"] is False
            assert all(check["detail"] for check in result["checks"])
        assert (await client.post("/generate-badge/verify", json={"credential": 3})).status_code == 422
        assert (await client.post("/generate-badge/verify", json={})).status_code == 422


async def test_an_unusable_keys_file_is_a_503_naming_it_without_its_content(tiny_backend: BackendSettings, tmp_path: Path) -> None:
    keys_file = tmp_path / "keys.json"
    keys_file.write_text('{"keys": [{"kty": "OKP", "crv": "Ed25519", "x": "secret-looking-x"}]}')
    async with signing_badges(tiny_backend, tmp_path, keys_file=keys_file) as client:
        response = await client.post("/generate-badge", json={"course_input": COURSE, "issuer": ISSUER, "recipient": "ada@example.org"})
    assert response.status_code == 503, response.text
    problem = response.json()
    assert problem["type"] == "urn:localfn:problem:misconfigured"
    assert "LOCALFN_ISSUER__KEYS_FILE" in problem["detail"] and "secret-looking-x" not in response.text
