"""Baking credentials into badge images (OB 3.0 "Baked Badge"), reading them back, and verifying baked images.

The images are localfn's own badge (SVG, and the PNG CairoSVG draws from it), the credentials
signed with real keys. Pillow reads and writes PNGs independently of localfn: it checks that a
baked PNG is still a valid image whose iTXt chunk holds the credential, and writes the images
that break the rules (two chunks, a compressed one, a forged one). Tampered images are made as
a forger would: the credential inside edited, the image otherwise valid (CRCs correct).
"""

from __future__ import annotations

import base64
import io
import json
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from PIL import Image

from localfn.functions.generate_badge.image import render_png
from localfn.functions.generate_badge.models import VerifyResult
from localfn.functions.generate_badge.signing.baking import (
    NAMESPACE,
    BakingError,
    Signed,
    bake_png,
    bake_svg,
    credential_text,
    extract,
)
from localfn.functions.generate_badge.signing.verify import verify_image
from tests.support.baking import IHDR_END, badge_svg, pillow_png, signed_credentials

SVG_NS = "{http://www.w3.org/2000/svg}"
CREDENTIAL_TAG = f"{{{NAMESPACE}}}credential"
PROOFS = ("data-integrity", "jwt")


@pytest.fixture(scope="module")
def signed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Signed]:
    return signed_credentials(tmp_path_factory.mktemp("keys"))


@pytest.fixture(scope="module")
def png() -> bytes:
    return render_png(badge_svg())


@pytest.mark.parametrize("proof", PROOFS)
def test_an_svg_gives_back_exactly_what_was_baked(signed: dict[str, Signed], proof: str) -> None:
    svg = badge_svg()
    baked = bake_svg(svg, signed[proof])
    assert extract(baked.encode()) == signed[proof]
    root = ET.fromstring(baked)
    assert root.tag == f"{SVG_NS}svg"
    first = root[0]  # right after the opening <svg> tag
    assert first.tag == CREDENTIAL_TAG and len(root.findall(f".//{CREDENTIAL_TAG}")) == 1
    if proof == "jwt":
        assert first.get("verify") == signed[proof] and not first.text
    else:
        assert first.get("verify") is None and json.loads(first.text or "") == signed[proof]
    # Only the declaration and the element were added: the rest of the image is as it was.
    tag_end = svg.index(">")
    declaration = f' xmlns:openbadges="{NAMESPACE}"'
    head, tail = svg[:tag_end] + declaration + ">", svg[tag_end + 1 :]
    assert baked.startswith(head) and baked.endswith(tail)
    added = baked[len(head) : len(baked) - len(tail)]
    assert added.startswith("<openbadges:credential") and added.endswith("</openbadges:credential>")


@pytest.mark.parametrize("proof", PROOFS)
def test_a_png_gives_back_exactly_what_was_baked(signed: dict[str, Signed], png: bytes, proof: str) -> None:
    baked = bake_png(png, signed[proof])
    assert extract(baked) == signed[proof]
    image = Image.open(io.BytesIO(baked))
    image.load()  # every chunk read and checked by Pillow
    assert image.size == (400, 400)
    assert image.text == {"openbadgecredential": credential_text(signed[proof])}  # type: ignore[attr-defined]
    # One iTXt chunk right after IHDR: keyword, NUL, compression flag 0, method 0, empty language and translation.
    chunk = baked[IHDR_END:]
    assert chunk[4:8] == b"iTXt"
    assert chunk[8:].startswith(b"openbadgecredential\x00\x00\x00\x00\x00")
    assert baked[:IHDR_END] + baked[len(baked) - len(png) + IHDR_END :] == png


def test_json_that_holds_the_end_of_a_cdata_section_round_trips(signed: dict[str, Signed], png: bytes) -> None:
    credential = dict(signed["data-integrity"])  # type: ignore[arg-type]
    credential["name"] = 'Arrays]]> & <markup> "quoted" café \u2028 ok'
    svg = bake_svg(badge_svg(), credential)
    assert svg.count("]]>") == 1  # only the section's own end
    assert extract(svg.encode()) == credential
    assert extract(bake_png(png, credential)) == credential
    assert json.loads(credential_text(credential)) == credential


def test_an_svg_is_baked_wherever_its_tag_ends_and_whatever_it_declares() -> None:
    doctype = '<!DOCTYPE svg PUBLIC "-//W3C//DTD SVG 1.1//EN" "http://www.w3.org/Graphics/SVG/1.1/DTD/svg11.dtd">'
    svg = (
        f'<?xml version="1.0" encoding="UTF-8"?>\n{doctype}\n<svg xmlns="http://www.w3.org/2000/svg" '
        f'aria-label=\'1 > 0\' xmlns:openbadges="{NAMESPACE}"\n  viewBox="0 0 2 2"><rect width="1" height="1"/></svg>'
    )
    baked = bake_svg(svg, "header.payload.signature")
    assert extract(baked.encode()) == "header.payload.signature"
    assert baked.count("xmlns:openbadges") == 1
    assert ET.fromstring(baked.split("\n", 2)[2])[0].get("verify") == "header.payload.signature"


def svg_with(credentials: str) -> bytes:
    return f'<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="{NAMESPACE}">{credentials}<g/></svg>'.encode()


@pytest.mark.parametrize(
    ("image", "reason"),
    [
        (badge_svg().encode(), "holds no <openbadges:credential>"),
        (svg_with('<openbadges:credential verify="a.b.c"/>' * 2), "holds 2 <openbadges:credential> elements"),
        (svg_with('<openbadges:credential verify="a.b">{"a": 1}</openbadges:credential>'), "both a verify attribute and a body"),
        (svg_with("<openbadges:credential>\n  </openbadges:credential>"), "is empty"),
        (svg_with('<openbadges:credential><![CDATA[{"a": ]]></openbadges:credential>'), "not valid JSON"),
        (svg_with("<openbadges:credential>[1, 2]</openbadges:credential>"), "not an object"),
        (b'<svg xmlns="http://www.w3.org/2000/svg"><credential verify="a.b.c"/></svg>', "holds no <openbadges:credential>"),
        (b'<html><openbadges:credential xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0"/></html>', "not an SVG"),
        (b"PK\x03\x04 a zip file", "neither a PNG nor a well-formed SVG"),
        (b"", "neither a PNG nor a well-formed SVG"),
    ],
    ids=["none", "two", "both", "empty", "broken-json", "json-array", "no-namespace", "not-svg", "zip", "nothing"],
)
def test_an_svg_without_exactly_one_readable_credential_is_refused_with_the_reason(image: bytes, reason: str) -> None:
    with pytest.raises(BakingError, match=reason.replace("[", r"\[")):
        extract(image)


def test_entities_are_refused_never_expanded_or_fetched(tmp_path: Path) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("top secret")
    external = f'<!DOCTYPE svg [<!ENTITY x SYSTEM "file://{secret}">]>'
    laughs = '<!DOCTYPE svg [<!ENTITY a "ha"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;">]>'
    for doctype, use in ((external, "&x;"), (laughs, "&c;")):
        svg = (
            f'{doctype}<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="{NAMESPACE}">'
            f"<openbadges:credential verify='{use}'/></svg>"
        )
        for read in (lambda text: extract(text.encode()), lambda text: bake_svg(text, "a.b.c")):
            with pytest.raises(BakingError, match="declares or references an entity") as caught:
                read(svg)
            assert "top secret" not in str(caught.value)


def test_baking_refuses_an_image_that_already_holds_a_credential(png: bytes) -> None:
    with pytest.raises(BakingError, match="already holds an <openbadges:credential>"):
        bake_svg(bake_svg(badge_svg(), "a.b.c"), "a.b.c")
    with pytest.raises(BakingError, match="already holds an openbadgecredential chunk"):
        bake_png(bake_png(png, "a.b.c"), "a.b.c")
    other = '<svg xmlns="http://www.w3.org/2000/svg" xmlns:openbadges="http://openbadges.org"><g/></svg>'
    with pytest.raises(BakingError, match=r"binds the prefix 'openbadges' to http://openbadges\.org"):
        bake_svg(other, "a.b.c")
    with pytest.raises(BakingError, match="empty"):
        bake_svg('<svg xmlns="http://www.w3.org/2000/svg" />', "a.b.c")


def test_a_png_without_exactly_one_readable_credential_is_refused_with_the_reason(png: bytes) -> None:
    baked = bake_png(png, "a.b.c")
    text_at = baked.index(b"a.b.c")
    cases = {
        "holds no iTXt chunk keyed openbadgecredential": png,
        "holds 2 openbadgecredential chunks": pillow_png(png, *[("openbadgecredential", "a.b.c", False)] * 2),
        "is compressed": pillow_png(png, ("openbadgecredential", "a.b.c", True)),
        "'iTXt' chunk at byte 33 fails its CRC": baked[:text_at] + b"X" + baked[text_at + 1 :],
        "cut short": baked[: len(baked) // 2],
        "neither a PNG nor a well-formed SVG": b"GIF89a" + baked[6:],
        "first chunk is not IHDR": baked[:8] + baked[IHDR_END:],
    }
    for reason, image in cases.items():
        with pytest.raises(BakingError, match=reason):
            extract(image)
    with pytest.raises(BakingError, match="not a PNG"):
        bake_png(b"not a png", "a.b.c")


def test_a_credential_pillow_bakes_is_read_too(signed: dict[str, Signed], png: bytes) -> None:
    """Another writer's iTXt chunk (after the image data, not after IHDR) holds the same credential."""
    for credential in signed.values():
        assert extract(pillow_png(png, ("openbadgecredential", credential_text(credential), False))) == credential


def test_the_png_is_the_badge_drawn_at_its_size(png: bytes) -> None:
    image = Image.open(io.BytesIO(png)).convert("RGBA")
    assert image.size == (400, 400)
    assert image.getpixel((0, 0))[3] == 0  # outside the round seal: transparent
    assert image.getpixel((200, 20))[:3] == (0xD4, 0xAF, 0x37)  # the gold ring of an advanced badge


# Verifying baked images


def failed(result: VerifyResult) -> dict[str, str]:
    return {check.name: check.detail for check in result.checks if not check.ok}


def forged(credential: Signed) -> Signed:
    """``credential`` with its achievement renamed, the signature left as it was."""
    if isinstance(credential, dict):
        edited = json.loads(json.dumps(credential))
        edited["credentialSubject"]["achievement"]["name"] = "Doctor of Physics"
        return edited
    header, payload, signature = credential.split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    claims["credentialSubject"]["achievement"]["name"] = "Doctor of Physics"
    edited_payload = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    return f"{header}.{edited_payload}.{signature}"


@pytest.mark.parametrize("proof", PROOFS)
def test_a_baked_svg_and_png_verify_with_every_check(signed: dict[str, Signed], png: bytes, proof: str) -> None:
    for image in (bake_svg(badge_svg(), signed[proof]).encode(), bake_png(png, signed[proof])):
        result = verify_image(image)
        assert result.valid is True, failed(result)
        assert result.proof == proof
        assert result.checks[0].name == "baked" and result.checks[0].ok
        assert {check.name for check in result.checks} >= {"baked", "key", "signature", "schema", "validity"}


@pytest.mark.parametrize("proof", PROOFS)
def test_an_image_whose_credential_was_edited_is_not_valid_for_its_signature(signed: dict[str, Signed], png: bytes, proof: str) -> None:
    edited = forged(signed[proof])
    images = {
        "svg": bake_svg(badge_svg(), edited).encode(),
        "png": pillow_png(png, ("openbadgecredential", credential_text(edited), False)),
    }
    for kind, image in images.items():
        result = verify_image(image)
        assert result.valid is False, kind
        assert set(failed(result)) == {"signature"}, (kind, failed(result))
        assert "changed" in failed(result)["signature"]


def test_an_image_without_exactly_one_credential_is_not_valid_with_the_reason(signed: dict[str, Signed], png: bytes) -> None:
    token = credential_text(signed["jwt"])
    cases = {
        "holds 2 openbadgecredential chunks": pillow_png(png, *[("openbadgecredential", token, False)] * 2),
        "holds no iTXt chunk keyed openbadgecredential": png,
        "holds no <openbadges:credential>": badge_svg().encode(),
        "cut short": bake_png(png, token)[:-20],
    }
    for reason, image in cases.items():
        result = verify_image(image)
        assert result.valid is False and result.proof == "none"
        assert [check.name for check in result.checks] == ["baked"]
        assert reason in failed(result)["baked"]
