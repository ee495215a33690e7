"""Midjourney's progress previews as the photo of a job's message (bot/progress.py shows them).

A picture job's progress carries one preview, its grid as drawn so far; a video's carries four
step frames, one per clip. The four are shown as one 2x2 photo: the result is a 2x2 of those
clips whose U1-U4 follow the same reading order, so the user watches all four they will pick
from, where the first cell alone would hide three. Fetching is best effort: a preview that
cannot be downloaded or read leaves a dark cell, or (none at all) just the caption's words.
"""

from __future__ import annotations

import asyncio
import io
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import TYPE_CHECKING

from bridge.errors import BridgeError

if TYPE_CHECKING:
    from PIL.Image import Image as Picture

_log = logging.getLogger(__name__)

Fetch = Callable[[str, str | None], Awaitable[bytes]]
_BACKGROUND = (43, 45, 49)  # the placeholder's colour (bot/status.py)
_MAX_SIDE = 1024  # a preview is small; anything bigger is shrunk before it is sent


async def fetch_previews(
    fetch: Fetch, urls: Sequence[str], account: str | None, limit_s: float
) -> list[bytes | None]:
    """Each preview's bytes, None where the download failed or took over `limit_s` seconds
    (the REST client retries 429/5xx itself; a newer preview will come)."""

    async def one(url: str) -> bytes | None:
        try:
            async with asyncio.timeout(limit_s):
                return await fetch(url, account)
        except (BridgeError, TimeoutError) as exc:
            _log.info("progress preview not fetched", extra={"error": type(exc).__name__})
            return None
        except Exception:
            # Best effort: whatever else goes wrong here must not stop the progress edits.
            _log.warning("progress preview not fetched", exc_info=True)
            return None

    return list(await asyncio.gather(*(one(url) for url in urls)))


def preview_photo(pictures: Sequence[bytes | None]) -> bytes | None:
    """A JPEG for Telegram: the one picture, or a 2x2 of several; None when none is readable.
    CPU-bound (Pillow): run it in a thread."""
    from PIL import Image

    opened = [_read(data) for data in pictures[:4]]
    readable = [picture for picture in opened if picture is not None]
    if not readable:
        return None
    if len(opened) == 1:
        photo = readable[0]
    else:
        width = max(picture.width for picture in readable)
        height = max(picture.height for picture in readable)
        photo = Image.new("RGB", (2 * width, 2 * height), _BACKGROUND)
        for cell, picture in enumerate(opened):
            if picture is not None:
                at = ((cell % 2) * width, (cell // 2) * height)
                photo.paste(picture.resize((width, height)), at)
    photo.thumbnail((_MAX_SIDE, _MAX_SIDE))
    out = io.BytesIO()
    photo.save(out, "JPEG", quality=85)
    return out.getvalue()


def _read(data: bytes | None) -> Picture | None:
    from PIL import Image

    if not data:
        return None
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.width * image.height > 4096 * 4096:
                return None  # not a preview: never decode a picture this big for one
            return image.convert("RGB")
    except (OSError, ValueError, Image.DecompressionBombError):
        return None  # UnidentifiedImageError is an OSError
