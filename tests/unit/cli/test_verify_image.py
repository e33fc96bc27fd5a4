"""`localfn verify FILE` on baked badge images: told from JSON and JWTs by their content, not their name."""

from __future__ import annotations

import json
from pathlib import Path

from click.testing import CliRunner

from localfn.cli import main
from localfn.functions.generate_badge.image import render_png
from localfn.functions.generate_badge.signing.baking import bake_png, bake_svg
from tests.support.baking import badge_svg, signed_credentials


def test_verify_reads_a_baked_svg_or_png_and_says_when_an_image_holds_no_credential(tmp_path: Path) -> None:
    signed = signed_credentials(tmp_path)
    svg, png = badge_svg(), render_png(badge_svg())
    files = {
        # Names that do not say what the files are: the content does.
        "badge-1.bin": bake_png(png, signed["data-integrity"]),
        "badge-2.bin": b"\xef\xbb\xbf\n" + bake_svg(svg, signed["jwt"]).encode(),  # a BOM and a blank line first
        "badge-3.bin": bake_svg(svg, signed["data-integrity"]).encode(),
        "plain.bin": png,
        "credential.json": b"\xef\xbb\xbf" + json.dumps(signed["data-integrity"]).encode(),  # text with a BOM
    }
    for name, data in files.items():
        (tmp_path / name).write_bytes(data)
    runner = CliRunner()
    for name in ("badge-1.bin", "badge-2.bin", "badge-3.bin"):
        done = runner.invoke(main, ["verify", str(tmp_path / name)])
        assert done.exit_code == 0, done.output
        assert "ok     baked: the image holds exactly one credential" in done.output
    credential = runner.invoke(main, ["verify", str(tmp_path / "credential.json")])
    assert credential.exit_code == 0 and "baked" not in credential.output, credential.output
    plain = runner.invoke(main, ["verify", str(tmp_path / "plain.bin")])
    assert plain.exit_code == 1
    assert "NOT VALID (none proof)" in plain.output
    assert "FAILED baked: the PNG holds no iTXt chunk keyed openbadgecredential: it is not baked" in plain.output


def test_verify_says_what_a_binary_file_that_is_no_image_is(tmp_path: Path) -> None:
    path = tmp_path / "archive.zip"
    path.write_bytes(b"PK\x03\x04\xff\xfe")
    done = CliRunner().invoke(main, ["verify", str(path)])
    assert done.exit_code == 1 and "neither text (a credential JSON or a VC-JWT) nor a PNG or SVG" in done.output


def test_the_readme_s_example_badge_is_baked_signed_and_valid() -> None:
    example = Path(__file__).parents[3] / "examples" / "badge.png"
    done = CliRunner().invoke(main, ["verify", str(example)])
    assert done.exit_code == 0, done.output
    assert done.output.startswith("valid (data-integrity proof)")
    assert "ok     baked: the image holds exactly one credential" in done.output
