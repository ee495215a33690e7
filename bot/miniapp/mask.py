"""The painted mask: checked against the picture, and made plain black and white.

Run off the event loop (Pillow decodes in C but holds the loop for a large picture).
"""

from __future__ import annotations

import io
from typing import Final

MAX_MASK_BYTES: Final = 6 * 1024 * 1024  # a 4096² mask of big strokes is well under 1 MiB


class BadMask(Exception):
    """A mask that is not a PNG, not the picture's size, or paints nothing."""


def picture_size(data: bytes) -> tuple[int, int]:
    """The width and height of an image, read from its header only."""
    # Pillow on first use, as in bot/images.py: importing the bot (bot/app.py imports the
    # Mini App's modules) no longer loads it, about 2 MiB for a process that never needs it.
    from PIL import Image

    with Image.open(io.BytesIO(data)) as image:
        return image.size


def clean_mask(data: bytes, size: tuple[int, int]) -> bytes:
    """A PNG of `size`: white (255) where anything was painted, black elsewhere."""
    from PIL import Image, UnidentifiedImageError

    if len(data) > MAX_MASK_BYTES:
        raise BadMask("too large")
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.format != "PNG":
                raise BadMask("not a PNG")
            if image.size != size:  # checked before decoding: no decompression bomb
                width, height = image.size
                raise BadMask(f"{width}x{height}, the picture is {size[0]}x{size[1]}")
            # The page paints opaque white on transparent black; alpha or brightness both count.
            rgba = image.convert("RGBA")
    except (UnidentifiedImageError, OSError, Image.DecompressionBombError) as exc:
        raise BadMask("unreadable") from exc
    alpha = rgba.getchannel("A")
    grey = rgba.convert("L")
    painted = Image.eval(alpha, lambda v: 255 if v >= 128 else 0)
    if alpha.getextrema() == (255, 255):  # an opaque mask: its bright pixels are the paint
        painted = Image.eval(grey, lambda v: 255 if v >= 128 else 0)
    if painted.getbbox() is None:
        raise BadMask("nothing painted")
    out = io.BytesIO()
    painted.save(out, format="PNG", optimize=True)
    return out.getvalue()
