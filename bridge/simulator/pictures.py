"""The simulator's pictures."""

from __future__ import annotations

import hashlib
import io
import textwrap

from PIL import Image, ImageDraw, ImageFont


def _colour(seed: str) -> tuple[int, int, int]:
    digest = hashlib.sha256(seed.encode()).digest()
    return (64 + digest[0] % 160, 64 + digest[1] % 160, 64 + digest[2] % 160)


def render(prompt: str, job_hash: str, *, tiles: int, size: int) -> bytes:
    """A placeholder: a WebP 2x2 grid (`tiles` 4, as Midjourney sends grids since 2025) or a
    PNG single picture (`tiles` 1)."""
    image = Image.new("RGB", (size, size), "white")
    draw = ImageDraw.Draw(image)
    per_row = 1 if tiles == 1 else 2
    tile = size // per_row
    font = ImageFont.load_default(size=max(12, tile // 14))
    text = "\n".join(textwrap.wrap(prompt, width=22)[:6])
    for n in range(tiles):
        x, y = (n % per_row) * tile, (n // per_row) * tile
        draw.rectangle((x, y, x + tile - 1, y + tile - 1), fill=_colour(f"{job_hash}{n}"))
        draw.multiline_text((x + tile // 12, y + tile // 12), text, fill="white", font=font)
        if tiles > 1:
            draw.text((x + tile - tile // 6, y + tile - tile // 6), str(n + 1), font=font)
    out = io.BytesIO()
    image.save(out, "WEBP" if tiles > 1 else "PNG", **({"quality": 90} if tiles > 1 else {}))
    return out.getvalue()
