"""Decode request images: base64 PNG or JPEG only, size-checked before any pixel is decoded.

A small compressed file can expand to gigabytes of pixels (a decompression bomb), so the
declared dimensions from the header are checked first (`open_image`, which decodes no pixel),
and PIL's own guard is tightened to the same ceiling as a second line. Decoding
(`EncodedImage.decode`) is a separate step, so a caller can decode a few at a time within a
pixel budget (`mmreward.grounding.scorer`). URLs are refused: the service never fetches anything.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import io
import re
from dataclasses import dataclass

from PIL import Image

from mmreward.errors import InvalidInputError

_PNG = b"\x89PNG\r\n\x1a\n"
_JPEG = b"\xff\xd8\xff"
HARD_MAX_PIXELS = 64 * 1024 * 1024
"""No setting goes above this; PIL's own bomb check uses it too."""

if Image.MAX_IMAGE_PIXELS is None or Image.MAX_IMAGE_PIXELS > HARD_MAX_PIXELS:
    Image.MAX_IMAGE_PIXELS = HARD_MAX_PIXELS


@dataclass(frozen=True)
class DecodedImage:
    image: Image.Image
    digest: str
    """sha256 of the encoded bytes: identical images share detections."""

    @property
    def size(self) -> tuple[int, int]:
        return self.image.size


@dataclass(frozen=True)
class EncodedImage:
    """An image checked as far as its header: format, byte size and pixel count."""

    raw: bytes
    size: tuple[int, int]
    digest: str
    """sha256 of the encoded bytes: identical images share detections."""

    @property
    def pixels(self) -> int:
        return self.size[0] * self.size[1]

    def decode(self) -> DecodedImage:
        """The RGB pixels; `InvalidInputError` when the data past the header is broken."""
        try:
            with Image.open(io.BytesIO(self.raw), formats=("PNG", "JPEG")) as opened:
                opened.load()
                image = _to_rgb(opened)
        except Image.DecompressionBombError:
            raise InvalidInputError(
                f"image too large: at most {HARD_MAX_PIXELS} pixels are accepted"
            ) from None
        except (OSError, SyntaxError, ValueError, EOFError) as error:
            raise InvalidInputError(f"undecodable image: {_describe(error)}") from None
        return DecodedImage(image=image, digest=self.digest)


def open_image(data: str, *, max_bytes: int, max_pixels: int) -> EncodedImage:
    """The image in base64 text (optionally a `data:image/...;base64,` URL), checked from its
    header: no pixel is decoded."""
    text = data.strip()
    if text.startswith(("http://", "https://", "ftp://", "file:")):
        raise InvalidInputError("image URLs are not fetched; send the image as base64 PNG/JPEG")
    if text.startswith("data:"):
        header, sep, text = text.partition(",")
        if not sep or ";base64" not in header:
            raise InvalidInputError("data URL images must be base64-encoded")
    if len(text) > (max_bytes * 4) // 3 + 4:
        raise InvalidInputError(f"image larger than {max_bytes} bytes")
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError):
        raise InvalidInputError("image is not valid base64") from None
    if len(raw) > max_bytes:
        raise InvalidInputError(f"image larger than {max_bytes} bytes")
    if not raw.startswith((_PNG, _JPEG)):
        raise InvalidInputError("image must be PNG or JPEG")
    limit = min(max_pixels, HARD_MAX_PIXELS)
    try:
        with Image.open(io.BytesIO(raw), formats=("PNG", "JPEG")) as opened:
            width, height = opened.size  # from the header; nothing decoded yet
    except Image.DecompressionBombError:
        raise InvalidInputError(f"image too large: at most {limit} pixels are accepted") from None
    except (OSError, SyntaxError, ValueError, EOFError) as error:
        raise InvalidInputError(f"undecodable image: {_describe(error)}") from None
    if width < 1 or height < 1 or width * height > limit:
        raise InvalidInputError(f"image is {width}x{height}; at most {limit} pixels are accepted")
    return EncodedImage(raw=raw, size=(width, height), digest=hashlib.sha256(raw).hexdigest())


def decode_image(data: str, *, max_bytes: int, max_pixels: int) -> DecodedImage:
    """RGB image from base64 text (optionally a `data:image/...;base64,` URL)."""
    return open_image(data, max_bytes=max_bytes, max_pixels=max_pixels).decode()


_OBJECT_REPR = re.compile(r"<[^<>]*? at 0x[0-9a-fA-F]+>")


def _describe(error: BaseException) -> str:
    """PIL's message without the reprs it embeds (`<_io.BytesIO object at 0x7f...>`): a heap
    address tells a caller about the server's memory layout and nothing about the image."""
    return _OBJECT_REPR.sub("the data", str(error)) or type(error).__name__


def encode_png(image: Image.Image) -> str:
    """Base64 PNG of an image (for clients, tests and benchmarks)."""
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def _to_rgb(image: Image.Image) -> Image.Image:
    """RGB; transparent pixels become white, as a viewer would show them."""
    if image.mode in ("RGBA", "LA") or (image.mode == "P" and "transparency" in image.info):
        rgba = image.convert("RGBA")
        canvas = Image.new("RGB", rgba.size, (255, 255, 255))
        canvas.paste(rgba, mask=rgba.getchannel("A"))
        return canvas
    return image.convert("RGB")
