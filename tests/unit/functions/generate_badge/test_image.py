"""The rendered badge image: well-formed SVG for every style and level, with the name escaped."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import get_args

import pytest

from localfn.functions.generate_badge.icons import IconMatcher
from localfn.functions.generate_badge.image import data_uri, render_badge, svg_from_data_uri
from localfn.functions.generate_badge.vocabulary import BadgeLevel, BadgeStyle

SVG = "{http://www.w3.org/2000/svg}"
ICON = IconMatcher.from_library().get("code")


def texts(svg: str) -> list[str]:
    return [element.text or "" for element in ET.fromstring(svg).iter(f"{SVG}text")]


@pytest.mark.parametrize("style", get_args(BadgeStyle))
@pytest.mark.parametrize("level", [*get_args(BadgeLevel), None])
def test_every_style_and_level_renders_well_formed_svg(style: BadgeStyle, level: BadgeLevel | None) -> None:
    assert ICON is not None
    svg = render_badge(name="Python Foundations", icon_svg=ICON.svg(), style=style, level=level, institution=None)
    root = ET.fromstring(svg)
    assert root.tag == f"{SVG}svg"
    stars = 0 if level is None else get_args(BadgeLevel).index(level) + 1
    assert len([p for p in root.iter(f"{SVG}path") if "translate(" in p.get("transform", "") and "300)" in p.get("transform", "")]) == stars


def test_names_are_escaped_and_wrapped_into_two_lines() -> None:
    assert ICON is not None
    name = 'R&D <Lab> "Safety" Essentials for Research Technicians Everywhere'
    svg = render_badge(name=name, icon_svg=ICON.svg(), style="technical", level="expert", institution="A & B College")
    lines = texts(svg)
    assert lines[0] == 'R&D <Lab> "Safety"'
    assert lines[1].endswith("…") and len(lines) == 3
    assert lines[2] == "A & B College"
    assert ET.fromstring(svg).find(f"{SVG}title").text == name  # type: ignore[union-attr]


def test_data_uris_round_trip_and_foreign_uris_are_refused() -> None:
    svg = '<svg xmlns="http://www.w3.org/2000/svg"/>'
    assert svg_from_data_uri(data_uri(svg)) == svg
    assert svg_from_data_uri("https://example.org/badge.png") is None
