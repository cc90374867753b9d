import base64
import io
import struct
import zlib

import pytest
from PIL import Image

from mmreward.errors import InvalidInputError
from mmreward.grounding.images import decode_image, encode_png

LIMITS = {"max_bytes": 1 << 20, "max_pixels": 512 * 512}


def _b64(raw: bytes) -> str:
    return base64.b64encode(raw).decode()


def _jpeg(image: Image.Image) -> str:
    buffer = io.BytesIO()
    image.save(buffer, format="JPEG", quality=90)
    return _b64(buffer.getvalue())


def _png_header_only(width: int, height: int) -> bytes:
    """A PNG whose header declares `width` x `height` but holds almost no data."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (
            struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))
        )

    ihdr = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    idat = zlib.compress(b"\0" * 1024)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", ihdr) + chunk(b"IDAT", idat) + chunk(b"IEND", b"")


def test_png_jpeg_and_data_urls_decode_to_rgb():
    image = Image.new("RGB", (40, 30), (200, 10, 10))
    png = decode_image(encode_png(image), **LIMITS)
    assert png.size == (40, 30)
    assert png.image.getpixel((5, 5)) == (200, 10, 10)
    jpeg = decode_image(_jpeg(image), **LIMITS)
    assert jpeg.image.mode == "RGB"
    data_url = decode_image("data:image/png;base64," + encode_png(image), **LIMITS)
    assert data_url.digest == png.digest


def test_transparent_pixels_become_white():
    image = Image.new("RGBA", (4, 4), (0, 0, 0, 0))
    decoded = decode_image(encode_png(image), **LIMITS)
    assert decoded.image.getpixel((0, 0)) == (255, 255, 255)


@pytest.mark.parametrize(
    ("payload", "message"),
    [
        ("https://example.com/cat.png", "not fetched"),
        ("file:///etc/passwd", "not fetched"),
        ("not base64 at all!", "not valid base64"),
        (_b64(b"GIF89a" + b"\0" * 20), "PNG or JPEG"),
        (_b64(b"\x89PNG\r\n\x1a\n" + b"garbage" * 10), "undecodable"),
        ("data:image/png,rawbytes", "base64"),
    ],
)
def test_bad_images_are_input_errors(payload, message):
    with pytest.raises(InvalidInputError, match=message):
        decode_image(payload, **LIMITS)


def test_truncated_png_is_an_input_error():
    raw = base64.b64decode(encode_png(Image.effect_noise((64, 64), 50).convert("RGB")))
    with pytest.raises(InvalidInputError, match="undecodable"):
        decode_image(_b64(raw[: len(raw) // 2]), **LIMITS)


def test_decompression_bomb_is_refused_from_its_header():
    # 100000 x 100000 declared: refused before any pixel is decoded (else this would need 30 GB).
    with pytest.raises(InvalidInputError, match="at most"):
        decode_image(_b64(_png_header_only(100_000, 100_000)), **LIMITS)
    with pytest.raises(InvalidInputError, match="at most"):
        decode_image(encode_png(Image.new("RGB", (600, 600))), **LIMITS)


def test_byte_limit():
    big = encode_png(Image.effect_noise((300, 300), 80).convert("RGB"))
    with pytest.raises(InvalidInputError, match="larger than"):
        decode_image(big, max_bytes=10_000, max_pixels=1 << 20)


def test_loading_ultralytics_leaves_pil_open_alone():
    """ultralytics replaces Image.open with one that pip-installs a plugin on unknown files."""
    from PIL import Image

    from mmreward.grounding._ultralytics import ultralytics_module

    ultralytics_module()
    assert Image.open.__module__ == "PIL.Image"
    with pytest.raises(InvalidInputError, match="undecodable"):
        decode_image(_b64(b"\x89PNG\r\n\x1a\n" + b"not a png"), **LIMITS)
