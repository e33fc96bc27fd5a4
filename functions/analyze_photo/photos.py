"""Photos in: checked and decoded with Pillow, turned upright, scaled down, re-encoded as JPEG.

Nothing about a photo is trusted before Pillow has read it: not a file name, not a content
type. Only JPEG, PNG and WebP decoders are ever tried. The declared size is checked from
the header before a single pixel is decoded (a decompression bomb declares a huge size in
a few bytes). JPEGs are decoded straight at a reduced scale when they are far larger than
needed. The result is at most ``max_side`` pixels on its long side and carries no
metadata (no EXIF location), so the model never sees more than it needs.
"""

from __future__ import annotations

import base64
import binascii
import io
from dataclasses import dataclass

from PIL import Image, ImageOps, UnidentifiedImageError

from localfn.errors import InvalidInput, PayloadTooLarge

__all__ = ["FORMATS", "Photo", "PhotoLimits", "decode_base64", "prepare_photo", "read_photo"]

FORMATS = ("JPEG", "PNG", "WEBP")
JPEG_QUALITY = 85  # visually clean for a model, a fraction of the original's bytes
_BACKGROUND = (255, 255, 255)  # transparent areas become white, not black, once there is no alpha


@dataclass(frozen=True)
class PhotoLimits:
    max_bytes: int  # of the decoded file
    max_pixels: int  # declared width x height
    max_side: int  # long side of the result


@dataclass(frozen=True)
class Photo:
    jpeg: bytes
    width: int
    height: int
    source_format: str  # "JPEG", "PNG" or "WEBP", as Pillow read it


def read_photo(text: str, limits: PhotoLimits) -> Photo:
    """A base64 photo, decoded, checked and prepared for the model."""
    return prepare_photo(decode_base64(text, limits.max_bytes), limits)


def decode_base64(text: str, max_bytes: int) -> bytes:
    """The file inside base64 ``text`` (a ``data:`` URL or MIME line breaks are fine), or 422/413."""
    text = text.strip()
    if text.startswith("data:"):
        header, _, text = text.partition(",")
        if not header.endswith(";base64"):
            raise InvalidInput("a data: URL photo must be base64 (data:image/jpeg;base64,...)")
    compact = "".join(text.split())
    if not compact:
        raise InvalidInput("the photo is empty: send base64 of a JPEG, PNG or WebP file, or leave photo out")
    if len(compact) // 4 * 3 > max_bytes + 2:  # known before decoding: base64 holds 3 bytes per 4 characters
        raise _too_large(f"about {len(compact) // 4 * 3}", max_bytes)
    try:
        data = base64.b64decode(compact, validate=True)
    except (binascii.Error, ValueError) as exc:
        raise InvalidInput(f"the photo is not valid base64 ({exc})") from None
    if len(data) > max_bytes:
        raise _too_large(str(len(data)), max_bytes)
    return data


def prepare_photo(data: bytes, limits: PhotoLimits) -> Photo:
    """``data`` as an upright RGB JPEG whose long side is at most ``limits.max_side``, or 422/413."""
    if len(data) > limits.max_bytes:
        raise _too_large(str(len(data)), limits.max_bytes)
    try:
        with Image.open(io.BytesIO(data), formats=FORMATS) as image:
            source_format = image.format or "?"
            _check_declared_size(image.size, limits.max_pixels)
            image.draft("RGB", (limits.max_side, limits.max_side))  # JPEG only: decode at 1/2, 1/4 or 1/8 scale
            upright = ImageOps.exif_transpose(image)  # decodes the pixels
    except UnidentifiedImageError:
        raise InvalidInput("the photo is not a JPEG, PNG or WebP image") from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        # Pillow's own guard, which fires inside open() for sizes far past ours.
        raise PayloadTooLarge(
            f"the photo declares too many pixels, over the limit of {limits.max_pixels} (LOCALFN_ANALYZE_PHOTO__MAX_PIXELS): {exc}"
        ) from None
    except (OSError, SyntaxError, ValueError) as exc:
        raise InvalidInput(f"the photo could not be decoded; the file may be truncated or damaged ({exc})") from None
    rgb = _without_alpha(upright)
    rgb.thumbnail((limits.max_side, limits.max_side), Image.Resampling.LANCZOS)
    buffer = io.BytesIO()
    rgb.save(buffer, "JPEG", quality=JPEG_QUALITY, optimize=True)
    return Photo(buffer.getvalue(), rgb.width, rgb.height, source_format)


def _check_declared_size(size: tuple[int, int], max_pixels: int) -> None:
    width, height = size
    if width * height > max_pixels:
        raise PayloadTooLarge(
            f"the photo declares {width} x {height} pixels, over the limit of {max_pixels} "
            "(LOCALFN_ANALYZE_PHOTO__MAX_PIXELS); send a smaller photo"
        )


def _without_alpha(image: Image.Image) -> Image.Image:
    if image.mode == "P" and "transparency" in image.info:
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "LA", "PA"):
        flat = Image.new("RGB", image.size, _BACKGROUND)
        flat.paste(image, mask=image.getchannel("A"))
        return flat
    return image if image.mode == "RGB" else image.convert("RGB")


def _too_large(size: str, limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"the photo is {size} bytes, over the limit of {limit} (LOCALFN_ANALYZE_PHOTO__MAX_BYTES); send a smaller photo")
