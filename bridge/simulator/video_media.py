"""The simulator's moving pictures: Pillow-drawn placeholders, saved as Midjourney saves them.

A video job shows four step frames (JPEG) while it runs, ends in one animated WebP holding a 2x2
of four clips, and each clip alone is an MP4 (H.264, made with PyAV). Every clip shows a dot
moving across a coloured tile with the prompt, so a person can tell the four apart and see that
they move. Sizes and lengths are the model's knobs: tests use tiny ones.
"""

from __future__ import annotations

import hashlib
import io
import tempfile
import textwrap
from fractions import Fraction
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont


def _colour(seed: str) -> tuple[int, int, int]:
    digest = hashlib.sha256(seed.encode()).digest()
    return (40 + digest[0] % 150, 40 + digest[1] % 150, 40 + digest[2] % 150)


def _tile(prompt: str, seed: str, side: int, progress: float) -> Image.Image:
    """One clip's picture at `progress` (0..1) of its length."""
    tile = Image.new("RGB", (side, side), _colour(seed))
    draw = ImageDraw.Draw(tile)
    font = ImageFont.load_default(size=max(8, side // 16))
    words = "\n".join(textwrap.wrap(prompt, width=20)[:4])
    draw.multiline_text((side // 12, side // 12), words, fill="white", font=font)
    radius = max(2, side // 10)
    x = int(radius + (side - 2 * radius) * progress)
    y = side - 2 * radius
    draw.ellipse((x - radius, y - radius, x + radius, y + radius), fill="white")
    return tile


def step_frame(prompt: str, seed: str, cell: int, side: int, percent: int) -> bytes:
    """A JPEG preview of one of the four clips, as progress edits carry them."""
    picture = _tile(prompt, f"{seed}{cell}", side, percent / 100)
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=70)
    return out.getvalue()


def grid_webp(prompt: str, seed: str, *, side: int, frames: int, fps: int) -> bytes:
    """The finished job: one animated WebP, a 2x2 of the four clips, looping."""
    half = side // 2
    pictures = []
    for k in range(frames):
        progress = k / max(1, frames - 1)
        picture = Image.new("RGB", (side, side))
        for cell in range(4):
            tile = _tile(prompt, f"{seed}{cell}", half, progress)
            picture.paste(tile, ((cell % 2) * half, (cell // 2) * half))
        pictures.append(picture)
    out = io.BytesIO()
    pictures[0].save(
        out,
        "WEBP",
        save_all=True,
        append_images=pictures[1:],
        duration=round(1000 / fps),
        loop=0,
        quality=70,
        method=0,
    )
    return out.getvalue()


def clip_mp4(prompt: str, seed: str, cell: int, *, side: int, frames: int, fps: int) -> bytes:
    """One clip alone as Midjourney posts it: a silent H.264 MP4 (yuv420p, faststart)."""
    import av  # only the simulator's video needs FFmpeg

    side -= side % 2
    with tempfile.TemporaryDirectory(prefix="mjsim-") as folder:
        path = Path(folder) / "clip.mp4"
        options = {"movflags": "+faststart"}
        with av.open(str(path), "w", format="mp4", options=options) as container:
            stream = container.add_stream("libx264", rate=fps)
            stream.width = stream.height = side
            stream.pix_fmt = "yuv420p"
            stream.options = {"preset": "ultrafast", "crf": "30"}
            stream.codec_context.time_base = Fraction(1, fps)
            for k in range(frames):
                tile = _tile(prompt, f"{seed}{cell}", side, k / max(1, frames - 1))
                frame = av.VideoFrame.from_image(tile)
                frame.pts = k
                container.mux(stream.encode(frame))
            container.mux(stream.encode(None))
        return path.read_bytes()
