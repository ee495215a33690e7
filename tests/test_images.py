"""Fitting results into Telegram's photo limits."""

from __future__ import annotations

import io
import os

from PIL import Image

from bot.images import MAX_PHOTO_BYTES, fit_photo


def png(width: int, height: int, noise: bool = False) -> bytes:
    if noise:
        image = Image.frombytes("RGB", (width, height), os.urandom(width * height * 3))
    else:
        image = Image.new("RGB", (width, height), "teal")
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def test_a_normal_grid_is_sent_untouched() -> None:
    data = png(512, 512)
    assert fit_photo(data) == (data, False)


def test_too_many_pixels_are_scaled_to_telegrams_limit() -> None:
    photo, downscaled = fit_photo(png(9000, 3000))
    assert downscaled
    width, height = Image.open(io.BytesIO(photo)).size
    assert width + height <= 10_000
    assert abs(width / height - 3) < 0.01


def test_too_many_bytes_are_recompressed_under_ten_megabytes() -> None:
    data = png(2100, 2100, noise=True)  # random pixels do not compress: ~13 MB of PNG
    assert len(data) > MAX_PHOTO_BYTES
    photo, downscaled = fit_photo(data)
    assert downscaled
    assert len(photo) <= MAX_PHOTO_BYTES
