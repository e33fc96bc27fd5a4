"""RS256 issuing over real sockets, on a real llama.cpp server with the tiny model.

generate-badge (under `localfn serve`) with ``LOCALFN_ISSUER__JWT_ALG=RS256`` and a did:web
signs its JWTs with the keys file's RSA key and publishes that key in its DID document. The
token is verified by localfn (the document fetched through ``FakeDidWebSource``: no real
domain is reachable here) and by jwcrypto, and so is the JWT baked in the badge's SVG and PNG.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx
from jwcrypto import jwk, jwt

from localfn.functions.generate_badge.signing.keys import generate_key_set
from localfn.functions.generate_badge.signing.resolver import KeyResolver
from localfn.functions.generate_badge.signing.verify import verify_credential, verify_image
from localfn.runtime import RuntimeHolder
from localfn.serve import build_app
from localfn.settings import BackendSettings, IssuerSettings
from tests.integration.test_badge_signing_http import issue
from tests.support.asgi_server import serve_in_thread
from tests.support.didweb import FakeDidWebSource
from tests.support.localfn_app import make_settings
from tests.support.signing import RSA_PRIVATE_MEMBERS, jwt_parts


def rsa_keys_file(folder: Path) -> Path:
    path = folder / "issuer-keys.json"
    path.write_text(json.dumps(generate_key_set(rsa=True)))
    return path


@asynccontextmanager
async def rs256_issuer(engine: BackendSettings, tmp_path: Path, keys_file: Path) -> AsyncIterator[tuple[httpx.AsyncClient, KeyResolver]]:
    issuer = IssuerSettings(keys_file=keys_file, did_web="example.edu", jwt_alg="RS256", did_web_allow="example.edu")
    settings = make_settings(engine, generate_badge={"history_path": tmp_path / "history.sqlite3"}, max_repairs=0, issuer=issuer)
    with serve_in_thread(build_app(RuntimeHolder(lambda: settings), ["generate-badge"])) as url:
        async with httpx.AsyncClient(base_url=url, timeout=120) as client:
            yield client, KeyResolver(["example.edu"], 5, FakeDidWebSource(url))


async def test_an_rs256_badge_verifies_here_with_jwcrypto_and_from_its_baked_images(tiny_backend: BackendSettings, tmp_path: Path) -> None:
    keys_file = rsa_keys_file(tmp_path)
    rsa = next(key for key in json.loads(keys_file.read_text())["keys"] if key["kty"] == "RSA")
    async with rs256_issuer(tiny_backend, tmp_path, keys_file) as (client, resolver):
        badge = await issue(client, proof="jwt")
        token = badge["credential_jwt"]
        header, payload = jwt_parts(token)
        assert header["alg"] == "RS256" and header["kid"] == f"did:web:example.edu#{rsa['kid']}"
        assert payload["iss"] == "did:web:example.edu"

        result = verify_credential(token, resolver=resolver)
        assert result.valid, [check for check in result.checks if not check.ok]
        assert "the RS256 signature holds" in next(check.detail for check in result.checks if check.name == "signature")

        document = (await client.get("/.well-known/did.json")).json()
        method = next(m for m in document["verificationMethod"] if m["id"] == header["kid"])
        assert method["type"] == "JsonWebKey" and method["publicKeyJwk"].keys() <= {"kty", "n", "e"}
        checked = jwt.JWT(jwt=token, key=jwk.JWK(**method["publicKeyJwk"]), algs=["RS256"], expected_type="JWS")
        assert json.loads(checked.claims)["jti"] == badge["credential"]["id"]

        for params in ({}, {"format": "png"}):
            image = await client.get(f"/generate-badge/image/{badge['id']}", params=params)
            assert image.status_code == 200, image.text
            baked = verify_image(image.content, resolver=resolver)
            assert baked.valid and baked.proof == "jwt", [check for check in baked.checks if not check.ok]

        # POST /verify answers the same JWT (its did:web is on the allow-list, but example.edu cannot be reached here).
        answer = await client.post("/generate-badge/verify", json={"credential": token})
        assert answer.status_code == 200, answer.text
        assert answer.json()["valid"] is False
        assert "https://example.edu/.well-known/did.json cannot be fetched" in answer.json()["checks"][0]["detail"]

        private = [value for name, value in rsa.items() if name in RSA_PRIVATE_MEMBERS]
        assert len(private) == len(RSA_PRIVATE_MEMBERS)
        seen = json.dumps(document) + answer.text + json.dumps(badge)
        assert not [value for value in private if value in seen]
