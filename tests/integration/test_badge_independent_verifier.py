"""A credential localfn signs is verified by an independent implementation: the W3C / Digital Bazaar JavaScript stack.

tests/verifier is a small test-only npm package (@digitalbazaar/vc with the eddsa-rdfc-2022
cryptosuite, pinned by its package-lock.json; `scripts/setup.sh test` runs `npm ci` there). Its
verify.mjs loads only localfn's shipped contexts and resolves did:key offline. Skipped only
where node itself is absent.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

from localfn.functions.generate_badge.image import render_png
from localfn.functions.generate_badge.signing.baking import bake_png, extract
from tests.support.baking import badge_svg
from tests.support.signing import issuer_with_keys, unsigned_credential

ROOT = Path(__file__).parents[2]
VERIFIER = ROOT / "tests" / "verifier"

pytestmark = pytest.mark.skipif(shutil.which("node") is None, reason="node is not installed")


def js_verify(credential: dict[str, Any], folder: Path) -> dict[str, Any]:
    if not (VERIFIER / "node_modules" / "@digitalbazaar" / "vc").is_dir():
        pytest.fail("tests/verifier has no node_modules: run `npm ci --prefix tests/verifier` (scripts/setup.sh test does)")
    path = folder / "credential.json"
    path.write_text(json.dumps(credential))
    done = subprocess.run(
        ["node", str(VERIFIER / "verify.mjs"), str(path), str(ROOT / "assets" / "specs")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode in (0, 1), done.stderr
    verdict: dict[str, Any] = json.loads(done.stdout)
    assert verdict["verified"] is (done.returncode == 0)
    return verdict


def test_digital_bazaars_verifier_accepts_a_credential_localfn_signed(tmp_path: Path) -> None:
    credential = issuer_with_keys(tmp_path).issue(unsigned_credential(), "data-integrity").credential
    assert js_verify(credential, tmp_path) == {"verified": True, "error": None}


def test_digital_bazaars_verifier_rejects_it_once_changed(tmp_path: Path) -> None:
    credential = issuer_with_keys(tmp_path).issue(unsigned_credential(), "data-integrity").credential
    credential["credentialSubject"]["achievement"]["description"] += " And more."
    verdict = js_verify(credential, tmp_path)
    assert verdict["verified"] is False
    assert "Invalid signature" in verdict["error"]


def test_digital_bazaars_verifier_accepts_the_credential_read_from_a_baked_png(tmp_path: Path) -> None:
    credential = issuer_with_keys(tmp_path).issue(unsigned_credential(), "data-integrity").credential
    extracted = extract(bake_png(render_png(badge_svg()), credential))
    assert extracted == credential
    assert js_verify(extracted, tmp_path) == {"verified": True, "error": None}  # type: ignore[arg-type]
