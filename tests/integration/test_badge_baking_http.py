"""Baked badge images over HTTP, on a real llama.cpp server with the tiny model: served, then verified.

GET /generate-badge/image/{id} bakes what history stores as issued into the SVG (or, with
format=png, the PNG); POST /generate-badge/verify takes such an image as its body and
answers every check, `baked` first. An image that holds no credential, or a broken one, is
"not valid" with the reason, never a 500.
"""

from __future__ import annotations

import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path
from typing import Any

import httpx
from PIL import Image

from localfn.functions.generate_badge.image import svg_from_data_uri
from localfn.functions.generate_badge.signing.baking import NAMESPACE, extract
from localfn.settings import BackendSettings
from tests.integration.test_badge_signing_http import failed, issue, signing_badges
from tests.support.signing import write_keys


async def image(client: httpx.AsyncClient, badge_id: str, **params: str) -> httpx.Response:
    response = await client.get(f"/generate-badge/image/{badge_id}", params=params)
    assert response.status_code == 200, response.text
    return response


async def verify_image(client: httpx.AsyncClient, body: bytes, media_type: str) -> dict[str, Any]:
    response = await client.post("/generate-badge/verify", content=body, headers={"content-type": media_type})
    assert response.status_code == 200, response.text
    result: dict[str, Any] = response.json()
    return result


async def test_a_signed_badges_images_carry_what_history_stores_and_verify(tiny_backend: BackendSettings, tmp_path: Path) -> None:
    async with signing_badges(tiny_backend, tmp_path, keys_file=write_keys(tmp_path)) as client:
        for proof in ("data-integrity", "jwt"):
            badge = await issue(client, proof=proof)
            stored = (await client.get(f"/generate-badge/history/{badge['id']}")).json()
            assert stored == badge  # history: exactly what was issued, unchanged by serving images
            issued = stored["credential_jwt"] or stored["credential"]
            svg, png = await image(client, badge["id"]), await image(client, badge["id"], format="png")
            assert svg.headers["content-type"].startswith("image/svg+xml")
            assert png.headers["content-type"] == "image/png"
            assert extract(svg.content) == issued and extract(png.content) == issued
            assert ET.fromstring(svg.text)[0].tag == f"{{{NAMESPACE}}}credential"
            assert Image.open(io.BytesIO(png.content)).size == (400, 400)
            for body, media_type in ((svg.content, "image/svg+xml"), (png.content, "image/png; charset=binary")):
                result = await verify_image(client, body, media_type)
                assert result["valid"] is True and result["proof"] == proof, failed(result)
                assert result["checks"][0]["name"] == "baked"


async def test_an_edited_or_unbaked_image_is_not_valid_with_the_reason(tiny_backend: BackendSettings, tmp_path: Path) -> None:
    async with signing_badges(tiny_backend, tmp_path, keys_file=write_keys(tmp_path)) as client:
        badge = await issue(client)
        svg = (await image(client, badge["id"])).text
        name = json.dumps(badge["credential"]["credentialSubject"]["achievement"]["name"])
        assert name in svg
        edited = await verify_image(client, svg.replace(name, '"Doctor of Physics"').encode(), "image/svg+xml")
        assert edited["valid"] is False and set(failed(edited)) == {"signature"}

        unsigned = await issue(client, proof="none")
        plain = await image(client, unsigned["id"])
        assert plain.text == svg_from_data_uri(unsigned["achievement"]["image"]["id"])  # unsigned: as before
        plain_png = await image(client, unsigned["id"], format="png")
        broken_png = b"\x89PNG\r\n\x1a\nxx"
        for body, media_type in ((plain.content, "image/svg+xml"), (plain_png.content, "image/png"), (broken_png, "image/png")):
            result = await verify_image(client, body, media_type)
            assert result["valid"] is False and result["proof"] == "none"
            assert set(failed(result)) == {"baked"} and failed(result)["baked"]

        wrong = await client.get(f"/generate-badge/image/{badge['id']}", params={"format": "gif"})
        assert wrong.status_code == 422 and "format" in wrong.text
