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


def test_a_webp_grid_reaches_telegram_as_the_same_picture_in_png() -> None:
    image = Image.new("RGB", (600, 400), "teal")
    image.paste((200, 40, 40), (0, 0, 300, 200))
    out = io.BytesIO()
    image.save(out, "WEBP", lossless=True)
    photo, downscaled = fit_photo(out.getvalue())
    assert not downscaled  # the whole picture: no "Original" key needed for its sake
    with Image.open(io.BytesIO(photo)) as sent:
        assert sent.format == "PNG"
        assert sent.size == (600, 400)
        assert sent.convert("RGB").getpixel((10, 10)) == (200, 40, 40)


def test_an_animated_webp_becomes_its_first_frame() -> None:
    frames = [Image.new("RGB", (64, 64), colour) for colour in ("red", "blue")]
    out = io.BytesIO()
    frames[0].save(out, "WEBP", save_all=True, append_images=frames[1:], lossless=True)
    photo, _ = fit_photo(out.getvalue())
    with Image.open(io.BytesIO(photo)) as sent:
        assert sent.format == "PNG"
        assert sent.convert("RGB").getpixel((5, 5)) == (255, 0, 0)
