"""Badge images for the baking tests: localfn's own SVG of a real icon, and credentials signed with real keys."""

from __future__ import annotations

import io
from pathlib import Path

from PIL import Image, PngImagePlugin

from localfn.functions.generate_badge.icons import IconMatcher
from localfn.functions.generate_badge.image import render_badge
from localfn.functions.generate_badge.signing.baking import Signed
from tests.support.signing import issuer_with_keys, unsigned_credential

# End of the PNG signature (8 bytes) and the IHDR chunk (4 + 4 + 13 + 4): where baking puts its chunk.
IHDR_END = 33


def badge_svg() -> str:
    icon = IconMatcher.from_library().get("code")
    assert icon is not None
    return render_badge(name="Python Foundations", icon_svg=icon.svg(), style="academic", level="advanced", institution=None)


def signed_credentials(folder: Path) -> dict[str, Signed]:
    """The same credential issued with each proof: the credential with its embedded proof, and the VC-JWT."""
    issuer = issuer_with_keys(folder)
    token = issuer.issue(unsigned_credential(), "jwt").jwt
    assert token is not None
    return {"data-integrity": issuer.issue(unsigned_credential(), "data-integrity").credential, "jwt": token}


def pillow_png(png: bytes, *texts: tuple[str, str, bool]) -> bytes:
    """``png`` written again by Pillow (an independent PNG writer) with iTXt chunks (keyword, text, compressed)."""
    info = PngImagePlugin.PngInfo()
    for keyword, text, compressed in texts:
        info.add_itxt(keyword, text, zip=compressed)
    out = io.BytesIO()
    Image.open(io.BytesIO(png)).save(out, "PNG", pnginfo=info)
    return out.getvalue()
