"""The painted mask: the picture's size, a PNG, something painted; made black and white."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from bot.miniapp.mask import BadMask, clean_mask


def png(image: Image.Image, fmt: str = "PNG") -> bytes:
    out = io.BytesIO()
    image.save(out, fmt)
    return out.getvalue()


def test_a_stroke_becomes_white_on_black_at_the_same_place() -> None:
    mask = Image.new("RGB", (64, 48), "black")
    mask.paste((255, 255, 255), (10, 20, 30, 40))
    cleaned = Image.open(io.BytesIO(clean_mask(png(mask), (64, 48))))
    assert cleaned.mode == "L"
    assert cleaned.getbbox() == (10, 20, 30, 40)
    # Transparent canvases count by their alpha.
    layer = Image.new("RGBA", (64, 48), (0, 0, 0, 0))
    layer.paste((255, 255, 255, 255), (1, 2, 3, 4))
    assert Image.open(io.BytesIO(clean_mask(png(layer), (64, 48)))).getbbox() == (1, 2, 3, 4)


@pytest.mark.parametrize(
    ("data", "why"),
    [
        (png(Image.new("L", (64, 64), 255)), "another size than the picture"),
        (png(Image.new("L", (64, 48), 0)), "nothing painted"),
        (png(Image.new("RGB", (64, 48), "white"), "JPEG"), "not a PNG"),
        (b"\x89PNG not really", "unreadable"),
        (b"\0" * (7 * 1024 * 1024), "too large"),
    ],
)
def test_bad_masks_are_refused(data: bytes, why: str) -> None:
    with pytest.raises(BadMask):
        clean_mask(data, (64, 48))
