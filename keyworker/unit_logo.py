"""The unit's logo for the letterhead: a PNG or JPEG (by its content, not its name), checked
before it is decoded, turned upright, scaled to fit the letterhead and stored as PNG."""
from __future__ import annotations

import io

from keyworker.errors import ValidationError

MAX_FILE_BYTES = 5 * 1024 * 1024
MAX_SOURCE_PIXELS = 40_000_000  # a 1 KB file can claim to be 100k x 100k pixels: refuse before decoding
# 300 dpi for a logo printed at most about 60 x 25 mm.
MAX_WIDTH_PX, MAX_HEIGHT_PX = 720, 300
MIN_SIDE_PX = 16

_PNG = b"\x89PNG\r\n\x1a\n"
_JPEG = b"\xff\xd8\xff"


def _refuse(message: str) -> ValidationError:
    return ValidationError({"logo": message})


def prepare_logo(data: bytes) -> bytes:
    """The logo as stored: PNG bytes no larger than MAX_WIDTH_PX x MAX_HEIGHT_PX."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    if not isinstance(data, bytes | bytearray):
        raise _refuse("The logo must be an image file.")
    if not data:
        raise _refuse("The logo file is empty.")
    if len(data) > MAX_FILE_BYTES:
        raise _refuse(f"The logo file is too large ({len(data) // (1024 * 1024)} MB); "
                      f"use one under {MAX_FILE_BYTES // (1024 * 1024)} MB.")
    if not (data.startswith(_PNG) or data.startswith(_JPEG)):
        raise _refuse("The logo must be a PNG or JPEG image; this file is neither (whatever its name says).")
    try:
        with Image.open(io.BytesIO(data)) as probe:  # reads the header only
            if probe.format not in ("PNG", "JPEG"):
                raise _refuse("The logo must be a PNG or JPEG image.")
            width, height = probe.size
            if width * height > MAX_SOURCE_PIXELS:
                raise _refuse(f"The logo image is too large ({width} x {height} pixels); "
                              "use one under 40 megapixels.")
            if min(width, height) < MIN_SIDE_PX:
                raise _refuse(f"The logo image is too small ({width} x {height} pixels) to print clearly.")
            probe.load()
            image = ImageOps.exif_transpose(probe)
    except ValidationError:
        raise
    except Image.DecompressionBombError as e:  # Pillow's own guard, at open, for the most extreme sizes
        raise _refuse("The logo image is too large; use one under 40 megapixels.") from e
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError) as e:
        raise _refuse("The logo file is damaged or not a readable PNG or JPEG image.") from e
    image = image.convert("RGBA") if image.mode in ("RGBA", "LA", "P", "PA") else image.convert("RGB")
    image.thumbnail((MAX_WIDTH_PX, MAX_HEIGHT_PX), Image.Resampling.LANCZOS)
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def logo_size(png: bytes) -> tuple[int, int]:
    from PIL import Image

    with Image.open(io.BytesIO(png)) as im:
        return im.size
