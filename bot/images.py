"""Fitting Midjourney's pictures into Telegram's photos (Pillow; run it in a thread)."""

from __future__ import annotations

import io

# sendPhoto: at most 10 MB, width + height at most 10000, aspect ratio at most 20.
MAX_PHOTO_BYTES = 10 * 1024 * 1024
MAX_PHOTO_SIDES = 10_000
MAX_RATIO = 20
_PHOTO_FORMATS = frozenset({"JPEG", "PNG"})


def fits_photo(data: bytes, width: int, height: int) -> bool:
    ratio = max(width, height) / max(1, min(width, height))
    return (
        len(data) <= MAX_PHOTO_BYTES and width + height <= MAX_PHOTO_SIDES and ratio <= MAX_RATIO
    )


def fit_photo(data: bytes) -> tuple[bytes, bool]:
    """Return (bytes to send as a photo, whether they were downscaled from the original)."""
    from PIL import Image  # imported on the first result: a few MiB that idle bots never need

    with Image.open(io.BytesIO(data)) as image:
        width, height = image.size
        if image.format in _PHOTO_FORMATS:
            if fits_photo(data, width, height):
                return data, False
        else:
            # Midjourney's grids are WebP since 2025: Telegram is sent the same picture as PNG,
            # the one format its photos surely take besides JPEG (an animation: its first frame).
            out = io.BytesIO()
            image.convert("RGBA" if image.mode in ("RGBA", "LA", "P") else "RGB").save(out, "PNG")
            if fits_photo(out.getvalue(), width, height):
                return out.getvalue(), False
        scale = min(1.0, (MAX_PHOTO_SIDES - 1) / (width + height))
        picture = image.convert("RGB")
    if scale < 1.0:
        picture = picture.resize((int(width * scale), int(height * scale)), Image.LANCZOS)
    # Telegram recompresses photos anyway, so JPEG loses nothing the user would see.
    for quality in (90, 80, 70, 60):
        out = io.BytesIO()
        picture.save(out, "JPEG", quality=quality, optimize=True)
        if out.tell() <= MAX_PHOTO_BYTES:
            return out.getvalue(), True
        picture = picture.resize((picture.width * 3 // 4, picture.height * 3 // 4))
    return out.getvalue(), True
