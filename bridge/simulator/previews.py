"""The picture a progress message carries while Midjourney draws (see
docs/midjourney-on-the-wire.md#pictures).

From about 35 % each progress edit of a picture job carries one `<uuid>_grid_0.webp` (512x512
in the 2026 captures, 256x256 on an upscale's), the result as drawn so far. The model draws it
from the same recipe as the result, smaller and blurred the less it is done, so a person sees
the grid come into focus. (A video's four step frames are drawn in video.py.)
Pillow work is CPU-bound: `preview_attachment` runs it in a thread.
"""

from __future__ import annotations

import asyncio
import dataclasses
import functools
import io
from typing import Any

from PIL import Image, ImageFilter

from bridge.simulator.channel import Channel
from bridge.simulator.pictures import Recipe, render

PREVIEW_FROM = 35  # no preview below this percent (the 2026 capture at 20 % had none)
_MAX_SIDE = 512


def preview_side(image_size: int) -> int:
    """Midjourney's 512 px, or less when the model draws small pictures (tests)."""
    return min(_MAX_SIDE, max(32, image_size // 2))


def draw_preview(recipe: Recipe, percent: int, side: int, fixed: bytes | None = None) -> bytes:
    """The WebP of `recipe` at `percent`: at most `side` px, blurred by what is left to do
    (of `fixed`, the model's one picture for every result, when it has one)."""
    if fixed is not None:
        return _blurred(fixed, percent, side)
    return _blurred(render(dataclasses.replace(recipe, size=side)), percent, side)


@functools.lru_cache(maxsize=16)
def _blurred(data: bytes, percent: int, side: int) -> bytes:
    # Cached: benchmarks give every job the same big picture, whose decoding would otherwise
    # cost the simulator more than the bot spends on the preview.
    with Image.open(io.BytesIO(data)) as opened:
        picture = opened.convert("RGB")
    picture.thumbnail((side, side))
    radius = max(picture.size) * 0.06 * (1 - min(percent, 100) / 100)
    out = io.BytesIO()
    picture.filter(ImageFilter.GaussianBlur(radius)).save(out, "WEBP", quality=60)
    return out.getvalue()


async def preview_attachment(
    discord: Channel,
    job_hash: str,
    recipe: Recipe,
    percent: int,
    side: int,
    fixed: bytes | None = None,
) -> dict[str, Any]:
    """The preview published on the channel's CDN, as a progress message's attachment."""
    data = await asyncio.to_thread(draw_preview, recipe, percent, side, fixed)
    with Image.open(io.BytesIO(data)) as drawn:
        width, height = drawn.size
    name = f"{job_hash}_grid_0.webp"
    url = discord.put_cdn(name, data, "image/webp")
    return {
        "id": discord.new_id(),
        "filename": name,
        "size": len(data),
        "url": url,
        "proxy_url": url,
        "content_type": "image/webp",
        "width": width,
        "height": height,
    }
