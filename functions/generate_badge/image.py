"""The badge picture: an SVG drawn by localfn, shaped by style, coloured by level, with the icon and the name.

Rendered as text (no drawing library): a shape, a ring, the Tabler icon's strokes and up
to two lines of the badge's name, plus the level as stars and the institution when given.
The PNG form is drawn from that SVG by CairoSVG, imported on the first PNG asked for: a
cold start that serves none loads neither it nor the cairo library.
"""

from __future__ import annotations

import base64
import re
from xml.sax.saxutils import escape

from localfn.errors import Misconfigured
from localfn.functions.generate_badge.vocabulary import BadgeLevel, BadgeStyle

__all__ = ["DATA_URI_PREFIX", "data_uri", "render_badge", "render_png", "svg_from_data_uri"]

DATA_URI_PREFIX = "data:image/svg+xml;base64,"
SIZE = 400

# Outline of each style's shape in a 400 x 400 box; the inner panel is the same path scaled down.
_SHAPES: dict[BadgeStyle, str] = {
    "professional": "M200 8 L372 64 L372 196 C372 292 300 356 200 392 C100 356 28 292 28 196 L28 64 Z",  # shield
    "academic": "M200 8 A192 192 0 1 1 199.9 8 Z",  # round seal
    "industry": (  # rounded square
        "M60 12 H340 A48 48 0 0 1 388 60 V340 A48 48 0 0 1 340 388 H60 A48 48 0 0 1 12 340 V60 A48 48 0 0 1 60 12 Z"
    ),
    "technical": "M200 6 L368 103 L368 297 L200 394 L32 297 L32 103 Z",  # hexagon
    "creative": (  # twelve-pointed rosette
        "M200 6 L236 66 L297 32 L299 102 L368 103 L334 164 L394 200 L334 236 L368 297 L299 298 "
        "L297 368 L236 334 L200 394 L164 334 L103 368 L101 298 L32 297 L66 236 L6 200 L66 164 "
        "L32 103 L101 102 L103 32 L164 66 Z"
    ),
}
_PANELS: dict[BadgeStyle, str] = {
    "professional": "#1f3a5f",
    "academic": "#7a1f3d",
    "industry": "#155e57",
    "technical": "#2e3f9e",
    "creative": "#8a3fb0",
}
# Ring colour and number of stars per level: bronze, silver, gold, platinum.
_LEVELS: dict[BadgeLevel, tuple[str, int]] = {
    "beginner": ("#b0703a", 1),
    "intermediate": ("#a9adb3", 2),
    "advanced": ("#d4af37", 3),
    "expert": ("#7fd6e0", 4),
}
_UNLEVELLED_RING = "#e8e3d8"
_STAR = "M0 -9 L2.6 -3.2 L8.6 -2.8 L4 1.2 L5.3 7.3 L0 4 L-5.3 7.3 L-4 1.2 L-8.6 -2.8 L-2.6 -3.2 Z"
_SVG_BODY = re.compile(r"<svg[^>]*>(.*)</svg>", re.DOTALL)
_LINE_CHARS = 18
_FONT = "Helvetica, Arial, sans-serif"


def _lines(name: str) -> list[str]:
    """The name in at most two lines of about _LINE_CHARS characters; what does not fit ends in '…'."""
    lines: list[str] = []
    for word in name.split():
        if lines and len(lines[-1]) + 1 + len(word) <= _LINE_CHARS:
            lines[-1] += " " + word
        else:
            lines.append(word)
    if len(lines) > 2:
        lines = [lines[0], (" ".join(lines[1:])[: _LINE_CHARS - 1]).rstrip() + "…"]
    return lines


def render_badge(*, name: str, icon_svg: str, style: BadgeStyle, level: BadgeLevel | None, institution: str | None) -> str:
    """The badge as an SVG document."""
    match = _SVG_BODY.search(icon_svg)
    if match is None:
        raise ValueError("the icon file holds no <svg> element")
    ring, stars = _LEVELS[level] if level is not None else (_UNLEVELLED_RING, 0)
    shape = _SHAPES[style]
    lines = _lines(name)
    font_size = 26 if max(map(len, lines)) <= 14 else 22
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{SIZE}" height="{SIZE}" viewBox="0 0 {SIZE} {SIZE}" role="img">',
        f"<title>{escape(name)}</title>",
        f'<path d="{shape}" fill="{ring}"/>',
        f'<path d="{shape}" fill="{_PANELS[style]}" transform="translate(200 200) scale(0.88) translate(-200 -200)"/>',
        # Tabler icons are 24 x 24 strokes in currentColor: scaled to 110 px, drawn in white.
        (
            '<g transform="translate(145 70) scale(4.6)" fill="none" stroke="#ffffff" stroke-width="1.6" '
            f'stroke-linecap="round" stroke-linejoin="round">{match.group(1).strip()}</g>'
        ),
    ]
    for index, line in enumerate(lines):
        parts.append(
            f'<text x="200" y="{222 + index * (font_size + 6)}" text-anchor="middle" font-family="{_FONT}" '
            f'font-size="{font_size}" font-weight="bold" fill="#ffffff">{escape(line)}</text>'
        )
    for index in range(stars):
        x = 200 + (index - (stars - 1) / 2) * 24
        parts.append(f'<path d="{_STAR}" transform="translate({x:g} 300)" fill="{ring}"/>')
    if institution:
        short = institution if len(institution) <= 30 else institution[:29].rstrip() + "…"
        parts.append(
            f'<text x="200" y="332" text-anchor="middle" font-family="{_FONT}" font-size="14" fill="#ffffff">{escape(short)}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def data_uri(svg: str) -> str:
    return DATA_URI_PREFIX + base64.b64encode(svg.encode()).decode()


def svg_from_data_uri(uri: str) -> str | None:
    """The SVG inside a data URI localfn made; None for any other URI."""
    if not uri.startswith(DATA_URI_PREFIX):
        return None
    return base64.b64decode(uri[len(DATA_URI_PREFIX) :]).decode()


def render_png(svg: str) -> bytes:
    """``svg`` drawn as a PNG of its own size (400 x 400)."""
    try:
        import cairosvg
    except OSError:  # cairocffi loads the system's cairo library when imported
        raise Misconfigured("PNG badges need the cairo library, which is not installed (Debian: apt-get install libcairo2)") from None
    # CairoSVG's default (unsafe=False) loads no external file or URL and expands no entity; localfn's SVG has none.
    png: bytes = cairosvg.svg2png(bytestring=svg.encode())
    return png
