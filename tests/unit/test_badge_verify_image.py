"""Verifying baked badge images: the credential read from the SVG or PNG goes through every check, after `baked`.

Tampered images are made as a forger would: the credential inside edited, the image otherwise
valid (for a PNG, Pillow writes the edited chunk with a correct CRC).
"""

from __future__ import annotations

import base64
import json

import pytest

from localfn.functions.generate_badge.image import render_png
from localfn.functions.generate_badge.models import VerifyResult
from localfn.functions.generate_badge.signing.baking import Signed, bake_png, bake_svg, credential_text
from localfn.functions.generate_badge.signing.verify import verify_image
from tests.support.baking import badge_svg, pillow_png, signed_credentials

PROOFS = ("data-integrity", "jwt")


@pytest.fixture(scope="module")
def signed(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Signed]:
    return signed_credentials(tmp_path_factory.mktemp("keys"))


@pytest.fixture(scope="module")
def png() -> bytes:
    return render_png(badge_svg())


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
def test_an_image_whose_credential_was_edited_is_not_valid_for_its_signature(
    signed: dict[str, Signed], png: bytes, proof: str
) -> None:
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
