"""Baking: a signed credential carried inside the badge image, as OB 3.0's "Baked Badge" defines it.

SVG: the ``<svg>`` tag declares ``xmlns:openbadges="https://purl.imsglobal.org/ob/v3p0"`` and its
first child is the one ``<openbadges:credential>``: a VC-JWT in its ``verify`` attribute, or a
credential with an embedded proof as JSON in a CDATA section. PNG: one uncompressed ``iTXt``
chunk keyed ``openbadgecredential``, right after ``IHDR``, whose text is the JWT or the JSON.
``extract`` gives back what was baked, exactly: the JWT's characters, the JSON's value.

The rules kept here:

* JSON in CDATA: a CDATA section ends at the first ``]]>``, and JSON holds those three
  characters only inside a string, where ``>`` may as well be written ``\\u003e``. So the
  JSON is written with that escape: it parses to the same value (which is what a Data
  Integrity proof covers) and cannot end the section early. It is written ASCII-only, so
  no character XML 1.0 forbids can reach the SVG.
* SVG is read with expat, the standard library's parser, refusing every entity declaration
  and external entity: no entity expansion (billion laughs), no file or URL read (XXE).
  That is what defusedxml would add for this one parse; expat also gives the byte offset
  of the ``<svg>`` tag, which baking needs to insert into the file as it is.
* One credential per image: baking an image that already holds one is refused, and so is
  extracting from an image that holds two (OB 3.0 allows one), or a compressed chunk.
* Every defect is a ``BakingError`` whose message says what is wrong with the image.
"""

from __future__ import annotations

import json
import struct
import zlib
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any, NoReturn
from xml.parsers import expat
from xml.sax.saxutils import quoteattr

__all__ = ["NAMESPACE", "PNG_KEYWORD", "BakingError", "Signed", "bake_png", "bake_svg", "credential_text", "extract"]

NAMESPACE = "https://purl.imsglobal.org/ob/v3p0"
PNG_KEYWORD = b"openbadgecredential"

_SVG = "http://www.w3.org/2000/svg svg"  # expat's name for it: namespace, separator, local name
_CREDENTIAL = f"{NAMESPACE} credential"
_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"

# A credential with its embedded proof, or a VC-JWT (compact JWS).
Signed = dict[str, Any] | str


class BakingError(ValueError):
    """The image cannot be baked, or holds no single readable credential; the message says why."""


def credential_text(signed: Signed) -> str:
    """What an image carries for ``signed``: the JWT itself, or the credential as JSON (see the module docstring)."""
    if isinstance(signed, str):
        return signed
    return json.dumps(signed, separators=(",", ":")).replace("]]>", "]]\\u003e")


def _json_credential(text: str) -> dict[str, Any]:
    try:
        credential = json.loads(text)
    except ValueError as exc:
        raise BakingError(f"the baked credential is not valid JSON: {exc}") from None
    if not isinstance(credential, dict):
        raise BakingError("the baked credential is JSON but not an object")
    return credential


# SVG


@dataclass
class _Svg:
    """What baking and extracting need from an SVG: where its tag starts, its prefix, its credentials."""

    start: int = -1  # byte offset of the <svg> tag
    prefix_uri: str | None = None  # what the root binds the prefix "openbadges" to
    credentials: list[tuple[str | None, str]] = field(default_factory=list)  # (verify attribute, text)


def _refuse_entity(*_: object) -> NoReturn:
    raise BakingError("the SVG declares or references an entity; baked images may not (nothing is expanded or fetched)")


def _read_svg(data: bytes) -> _Svg:
    svg, depth, inside = _Svg(), 0, False
    parser = expat.ParserCreate(namespace_separator=" ")
    parser.SetParamEntityParsing(expat.XML_PARAM_ENTITY_PARSING_NEVER)
    parser.EntityDeclHandler = _refuse_entity
    parser.ExternalEntityRefHandler = _refuse_entity

    def declare(prefix: str | None, uri: str) -> None:
        if depth == 0 and prefix == "openbadges":
            svg.prefix_uri = uri

    def start(name: str, attributes: dict[str, str]) -> None:
        nonlocal depth, inside
        if depth == 0:
            if name != _SVG:
                raise BakingError(f"not an SVG: the root element is {name!r}, not <svg> in {_SVG.split()[0]}")
            svg.start = parser.CurrentByteIndex
        if name == _CREDENTIAL:
            svg.credentials.append((attributes.get("verify"), ""))
            inside = True
        depth += 1

    def end(name: str) -> None:
        nonlocal depth, inside
        depth -= 1
        inside = inside and name != _CREDENTIAL

    def text(data: str) -> None:
        if inside:
            verify, body = svg.credentials[-1]
            svg.credentials[-1] = (verify, body + data)

    parser.StartNamespaceDeclHandler = declare
    parser.StartElementHandler = start
    parser.EndElementHandler = end
    parser.CharacterDataHandler = text
    try:
        parser.Parse(data, True)
    except expat.ExpatError as exc:
        raise BakingError(f"neither a PNG nor a well-formed SVG: as XML, {exc}") from None
    return svg


def _tag_end(data: bytes, start: int) -> int:
    """The offset just past the tag starting at ``start``: its first '>' outside a quoted attribute value."""
    quote = None
    for offset in range(start, len(data)):
        char = data[offset : offset + 1]
        if quote is not None:
            quote = None if char == quote else quote
        elif char in (b'"', b"'"):
            quote = char
        elif char == b">":
            return offset + 1
    raise BakingError("the <svg> tag never ends")


def _credential_element(signed: Signed) -> str:
    if isinstance(signed, str):
        return f"<openbadges:credential verify={quoteattr(signed)}></openbadges:credential>"
    return f"<openbadges:credential><![CDATA[{credential_text(signed)}]]></openbadges:credential>"


def bake_svg(svg: str, signed: Signed) -> str:
    """``svg`` with ``signed`` baked in: the namespace declared on its tag, the credential its first child."""
    data = svg.encode()
    read = _read_svg(data)
    if read.credentials:
        raise BakingError("the SVG already holds an <openbadges:credential>; OB 3.0 allows one")
    if read.prefix_uri not in (None, NAMESPACE):
        raise BakingError(f"the SVG binds the prefix 'openbadges' to {read.prefix_uri}, not to {NAMESPACE}")
    end = _tag_end(data, read.start)
    if data[end - 2 : end] == b"/>":
        raise BakingError("the <svg> element is empty: there is no image to bake into")
    declaration = b"" if read.prefix_uri else f' xmlns:openbadges="{NAMESPACE}"'.encode()
    return (data[: end - 1] + declaration + b">" + _credential_element(signed).encode() + data[end:]).decode()


def _extract_svg(data: bytes) -> Signed:
    credentials = _read_svg(data).credentials
    if not credentials:
        raise BakingError(f"the SVG holds no <openbadges:credential> (namespace {NAMESPACE}): it is not baked")
    if len(credentials) > 1:
        raise BakingError(f"the SVG holds {len(credentials)} <openbadges:credential> elements; OB 3.0 allows one")
    verify, body = credentials[0]
    if verify is not None and body.strip():
        raise BakingError("the <openbadges:credential> holds both a verify attribute and a body; OB 3.0 allows one")
    if verify is not None:
        return verify
    if not body.strip():
        raise BakingError("the <openbadges:credential> is empty: no verify attribute, no JSON")
    return _json_credential(body)


# PNG


@dataclass(frozen=True)
class _Chunk:
    kind: bytes
    data: bytes
    end: int  # offset just past the chunk


def _chunks(png: bytes) -> Iterator[_Chunk]:
    """Every chunk of ``png`` up to IEND, each checked against its CRC."""
    offset = len(_PNG_SIGNATURE)
    while offset + 12 <= len(png):
        length, kind = struct.unpack(">I4s", png[offset : offset + 8])
        end = offset + 12 + length
        if end > len(png):
            break
        data = png[offset + 8 : end - 4]
        if zlib.crc32(kind + data) != struct.unpack(">I", png[end - 4 : end])[0]:
            name = kind.decode("latin-1")
            raise BakingError(f"the PNG's {name!r} chunk at byte {offset} fails its CRC: the file is damaged")
        yield _Chunk(kind, data, end)
        if kind == b"IEND":
            return
        offset = end
    raise BakingError("the PNG is cut short: it ends before its IEND chunk")


def _png_chunks(png: bytes) -> list[_Chunk]:
    if not png.startswith(_PNG_SIGNATURE):
        raise BakingError("not a PNG: the file does not start with the PNG signature")
    chunks = list(_chunks(png))
    if chunks[0].kind != b"IHDR":
        raise BakingError("not a valid PNG: its first chunk is not IHDR")
    return chunks


def _itxt(keyword: bytes, text: str) -> bytes:
    """An uncompressed iTXt chunk: keyword, NUL, compression flag and method 0, empty language tag and translated keyword."""
    data = keyword + b"\x00" + b"\x00\x00" + b"\x00" + b"\x00" + text.encode()
    return struct.pack(">I", len(data)) + b"iTXt" + data + struct.pack(">I", zlib.crc32(b"iTXt" + data))


def _credential_chunks(chunks: list[_Chunk]) -> list[bytes]:
    """The data of each iTXt chunk keyed openbadgecredential (after the keyword's NUL)."""
    prefix = PNG_KEYWORD + b"\x00"
    return [chunk.data[len(prefix) :] for chunk in chunks if chunk.kind == b"iTXt" and chunk.data.startswith(prefix)]


def bake_png(png: bytes, signed: Signed) -> bytes:
    """``png`` with ``signed`` baked in: an uncompressed iTXt chunk keyed openbadgecredential, right after IHDR."""
    chunks = _png_chunks(png)
    if _credential_chunks(chunks):
        raise BakingError("the PNG already holds an openbadgecredential chunk; OB 3.0 allows one")
    header_end = chunks[0].end
    return png[:header_end] + _itxt(PNG_KEYWORD, credential_text(signed)) + png[header_end:]


def _extract_png(png: bytes) -> Signed:
    found = _credential_chunks(_png_chunks(png))
    if not found:
        raise BakingError("the PNG holds no iTXt chunk keyed openbadgecredential: it is not baked")
    if len(found) > 1:
        raise BakingError(f"the PNG holds {len(found)} openbadgecredential chunks; OB 3.0 allows one")
    data = found[0]
    if data[:1] != b"\x00":
        raise BakingError("the openbadgecredential chunk is compressed; OB 3.0 requires it uncompressed")
    parts = data[2:].split(b"\x00", 2)  # language tag, translated keyword, text
    if len(parts) != 3:
        raise BakingError("the openbadgecredential chunk is malformed: not an iTXt chunk's layout")
    try:
        text = parts[2].decode()
    except UnicodeDecodeError:
        raise BakingError("the openbadgecredential chunk's text is not UTF-8") from None
    return _json_credential(text) if text.lstrip().startswith("{") else text  # else a VC-JWT


def extract(image: bytes) -> Signed:
    """The one credential baked in ``image`` (a PNG, by its signature; otherwise read as SVG), exactly as baked."""
    return _extract_png(image) if image.startswith(_PNG_SIGNATURE) else _extract_svg(image)
