"""analyze-photo's photo pipeline on images generated with Pillow: formats, orientation, scaling, bad files."""

from __future__ import annotations

import base64
import io

import pytest
from PIL import Image

from localfn.errors import InvalidInput, PayloadTooLarge
from localfn.functions.analyze_photo.photos import PhotoLimits, decode_base64, prepare_photo, read_photo
from tests.support.images import png_declaring

LIMITS = PhotoLimits(max_bytes=10_000_000, max_pixels=50_000_000, max_side=1024)
EXIF_ORIENTATION = 0x0112
ROTATED_90_CW = 6  # EXIF: the camera was turned; show the stored pixels turned 90 degrees clockwise


def encoded(image: Image.Image, fmt: str, **options: object) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, fmt, **options)
    return buffer.getvalue()


def plate(size: tuple[int, int], mode: str = "RGB") -> Image.Image:
    """A two-colour picture whose left half is red, so orientation can be checked from pixels."""
    image = Image.new(mode, size, "white")
    image.paste("red", (0, 0, size[0] // 2, size[1]))
    return image


def opened(photo_bytes: bytes) -> Image.Image:
    image = Image.open(io.BytesIO(photo_bytes))
    image.load()
    return image


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_each_format_is_scaled_to_the_long_side_and_re_encoded_as_jpeg(fmt: str) -> None:
    photo = prepare_photo(encoded(plate((2000, 1500)), fmt), LIMITS)

    assert (photo.width, photo.height, photo.source_format) == (1024, 768, fmt)
    image = opened(photo.jpeg)
    assert (image.format, image.size, image.mode) == ("JPEG", (1024, 768), "RGB")


def test_a_portrait_photo_is_scaled_on_its_height() -> None:
    photo = prepare_photo(encoded(plate((900, 3000)), "JPEG"), LIMITS)
    assert (photo.width, photo.height) == (307, 1024)


def test_the_long_side_limit_is_a_setting() -> None:
    photo = prepare_photo(encoded(plate((2000, 1000)), "PNG"), PhotoLimits(10_000_000, 50_000_000, max_side=256))
    assert opened(photo.jpeg).size == (256, 128)


def test_a_small_photo_is_not_enlarged() -> None:
    assert opened(prepare_photo(encoded(plate((320, 200)), "PNG"), LIMITS).jpeg).size == (320, 200)


def test_exif_orientation_is_applied_and_the_metadata_dropped() -> None:
    exif = Image.Exif()
    exif[EXIF_ORIENTATION] = ROTATED_90_CW
    stored = encoded(plate((400, 200)), "JPEG", exif=exif)

    image = opened(prepare_photo(stored, LIMITS).jpeg)

    assert image.size == (200, 400)  # upright: turned into portrait
    pixel = image.getpixel((100, 50))  # the stored left (red) half is now on top
    assert isinstance(pixel, tuple) and pixel[0] > 200 and pixel[1] < 60
    assert EXIF_ORIENTATION not in image.getexif()


def test_transparency_becomes_white_not_black() -> None:
    clear = Image.new("RGBA", (64, 64), (0, 0, 0, 0))
    pixel = opened(prepare_photo(encoded(clear, "PNG"), LIMITS).jpeg).getpixel((32, 32))
    assert isinstance(pixel, tuple) and min(pixel) > 240


def test_a_palette_png_is_converted() -> None:
    photo = prepare_photo(encoded(plate((100, 50)).convert("P"), "PNG"), LIMITS)
    assert opened(photo.jpeg).mode == "RGB"


def test_a_large_jpeg_is_decoded_at_reduced_scale_and_still_fits() -> None:
    photo = prepare_photo(encoded(plate((6000, 4000)), "JPEG", quality=50), LIMITS)
    assert (photo.width, photo.height) == (1024, 683)


def test_base64_and_data_urls_are_read() -> None:
    raw = encoded(plate((50, 40)), "PNG")
    text = base64.b64encode(raw).decode()
    assert decode_base64(text, LIMITS.max_bytes) == raw
    assert decode_base64(f"data:image/png;base64,{text}", LIMITS.max_bytes) == raw
    wrapped = "\n".join(text[i : i + 76] for i in range(0, len(text), 76))  # MIME line breaks
    assert decode_base64(wrapped, LIMITS.max_bytes) == raw
    assert read_photo(text, LIMITS).width == 50


# Bad photos


def test_not_an_image_is_422() -> None:
    with pytest.raises(InvalidInput, match="not a JPEG, PNG or WebP"):
        prepare_photo(b"%PDF-1.7 this is a document, not a photo", LIMITS)


def test_a_gif_is_422_however_it_is_labelled() -> None:
    with pytest.raises(InvalidInput, match="not a JPEG, PNG or WebP"):
        prepare_photo(encoded(plate((20, 20)), "GIF"), LIMITS)


@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_a_truncated_file_is_422(fmt: str) -> None:
    whole = encoded(plate((300, 200)).effect_spread(5), fmt)
    with pytest.raises(InvalidInput, match="truncated or damaged"):
        prepare_photo(whole[: len(whole) // 2], LIMITS)


def test_a_decompression_bomb_is_refused_from_its_header() -> None:
    bomb = png_declaring(20_000, 20_000)
    assert len(bomb) < 200
    with pytest.raises(PayloadTooLarge, match="too many pixels"):
        prepare_photo(bomb, LIMITS)


def test_the_pixel_limit_is_checked_before_decoding() -> None:
    # Within Pillow's own limits, over ours: had the pixels been decoded, the near-empty data
    # would have failed as a truncated file (422) instead.
    with pytest.raises(PayloadTooLarge, match="3000 x 3000 pixels, over the limit of 1000000"):
        prepare_photo(png_declaring(3000, 3000), PhotoLimits(10_000_000, max_pixels=1_000_000, max_side=1024))


def test_a_file_over_the_byte_limit_is_413() -> None:
    raw = encoded(plate((200, 200)).effect_spread(5), "PNG")
    with pytest.raises(PayloadTooLarge, match="LOCALFN_ANALYZE_PHOTO__MAX_BYTES"):
        prepare_photo(raw, PhotoLimits(len(raw) - 1, 50_000_000, 1024))
    with pytest.raises(PayloadTooLarge, match="about"):  # refused from the base64 length, before decoding
        decode_base64(base64.b64encode(raw).decode(), len(raw) // 2)


@pytest.mark.parametrize("text", ["", "   ", "\n"])
def test_an_empty_photo_is_422(text: str) -> None:
    with pytest.raises(InvalidInput, match="empty"):
        decode_base64(text, LIMITS.max_bytes)


@pytest.mark.parametrize("text", ["not base64!", "abc", "data:image/png;base64,@@@@"])
def test_invalid_base64_is_422(text: str) -> None:
    with pytest.raises(InvalidInput, match="not valid base64"):
        decode_base64(text, LIMITS.max_bytes)


def test_a_data_url_that_is_not_base64_is_422() -> None:
    with pytest.raises(InvalidInput, match="must be base64"):
        decode_base64("data:image/png,rawbytes", LIMITS.max_bytes)
