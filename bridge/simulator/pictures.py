"""The simulator's pictures: procedural, at the prompt's aspect ratio, derived like Midjourney's.

A grid is four distinct pictures drawn from shapes and gradients (no text, so every script is
safe), seeded by the prompt's words and the job's seed: the prompt picks the palette, the seed
the details, as Midjourney gives one prompt a new grid each run (`--seed N` repeats one).
Shapes are placed in relative coordinates, so a picture drawn larger is the same picture.

What a button makes derives from the picture it is on: U-n is tile n at upscale size (twice the
tile), Upscale (Subtle/Creative) twice that; variations are the source with a few new shapes
and shifted colours (strong: more); zoom out shrinks the source into a new surround; pan shifts
it and draws the revealed strip. Image prompts and blends start from the user's pictures.
Pillow work is CPU-bound: callers run `render` in a thread.
"""

from __future__ import annotations

import colorsys
import hashlib
import io
import random
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Literal

from PIL import Image, ImageDraw, ImageFilter, ImageOps, ImageStat

from bridge.prompts import parse_parameters

How = Literal["new", "upscale", "upscale2x", "vary_strong", "vary_subtle", "zoom", "pan"]


@dataclass(frozen=True, slots=True)
class Recipe:
    """Everything a result picture is made from."""

    prompt: str
    seed: str  # the job's seed: its hash, or the prompt's --seed
    tiles: int  # 4: a grid, 1: a single picture
    size: int  # the long side of a grid (of a single picture: see `render`)
    how: How = "new"
    source: bytes | None = None  # the picture a button's job derives from
    index: int | None = None  # which tile of `source` (a grid) it derives from
    factor: float = 2.0  # zoom out
    side: str = "left"  # pan
    pictures: tuple[bytes, ...] = field(default=())  # the user's pictures


def aspect(prompt: str) -> tuple[int, int]:
    """W:H of the prompt's --ar (or --aspect); 1:1 when it sets none or an unusable one."""
    for param in parse_parameters(prompt)[1]:
        if param.canonical == "ar":
            width, _, height = param.value.partition(":")
            if width.isdigit() and height.isdigit() and int(width) and int(height):
                return int(width), int(height)
    return 1, 1


def frame(size: int, ratio: tuple[int, int]) -> tuple[int, int]:
    """Width and height with `size` on the long side, even so that a grid halves exactly."""
    width, height = ratio
    scale = size / max(width, height)
    return max(2, round(width * scale / 2) * 2), max(2, round(height * scale / 2) * 2)


def _rng(*parts: object) -> random.Random:
    digest = hashlib.sha256("|".join(map(str, parts)).encode()).digest()
    return random.Random(int.from_bytes(digest[:8], "big"))


def _palette(prompt: str) -> list[tuple[int, int, int]]:
    """Five colours around a hue that the prompt's words choose."""
    words = parse_parameters(prompt)[0].casefold()
    rng = _rng("palette", words)
    hue = rng.random()
    colours = []
    for step in range(5):
        h = (hue + step * rng.uniform(0.05, 0.3)) % 1.0
        r, g, b = colorsys.hsv_to_rgb(h, rng.uniform(0.35, 0.95), rng.uniform(0.35, 1.0))
        colours.append((int(r * 255), int(g * 255), int(b * 255)))
    return colours


def procedural(prompt: str, seed: str, width: int, height: int) -> Image.Image:
    """One picture: a two-colour gradient sky and a handful of shapes, no text."""
    palette = _palette(prompt)
    rng = _rng("picture", prompt, seed)
    top, bottom = rng.sample(palette, 2)
    image = Image.linear_gradient("L").resize((width, height))
    image = ImageOps.colorize(image, top, bottom).convert("RGB")
    _shapes(ImageDraw.Draw(image, "RGBA"), rng, palette, width, height, rng.randint(4, 7), 255)
    return image


def _shapes(
    draw: ImageDraw.ImageDraw,
    rng: random.Random,
    palette: Sequence[tuple[int, int, int]],
    width: int,
    height: int,
    count: int,
    alpha: int,
    box: tuple[float, float, float, float] = (0.0, 0.0, 1.0, 1.0),
) -> None:
    left, top, right, bottom = box
    for _ in range(count):
        cx = width * rng.uniform(left, right)
        cy = height * rng.uniform(top, bottom)
        radius = min(width, height) * rng.uniform(0.08, 0.3)
        colour = (*rng.choice(palette), alpha)
        kind = rng.choice(("ellipse", "rectangle", "triangle"))
        bounds = (cx - radius, cy - radius * rng.uniform(0.5, 1.2), cx + radius, cy + radius)
        if kind == "ellipse":
            draw.ellipse(bounds, fill=colour)
        elif kind == "rectangle":
            draw.rectangle(bounds, fill=colour)
        else:
            corners = [(cx, cy - radius), (cx - radius, cy + radius), (cx + radius, cy + radius)]
            draw.polygon(corners, fill=colour)


def tile(grid: Image.Image, index: int) -> Image.Image:
    """Picture `index` (1-4, reading order) of a 2x2 grid."""
    width, height = grid.width // 2, grid.height // 2
    x, y = ((index - 1) % 2) * width, ((index - 1) // 2) * height
    return grid.crop((x, y, x + width, y + height))


def _grid(pictures: Sequence[Image.Image], width: int, height: int) -> Image.Image:
    grid = Image.new("RGB", (width, height))
    for n, picture in enumerate(pictures):
        cell = picture.resize((width // 2, height // 2), Image.LANCZOS)
        grid.paste(cell, ((n % 2) * (width // 2), (n // 2) * (height // 2)))
    return grid


def _vary(source: Image.Image, recipe: Recipe, n: int, strong: bool) -> Image.Image:
    rng = _rng("vary", recipe.seed, n)
    picture = source.convert("RGB")
    # Shift the colours a little (more for a strong variation), then add a few new shapes.
    shift = rng.uniform(-1, 1) * (40 if strong else 14)
    picture = picture.point(lambda value: max(0, min(255, int(value + shift))))
    draw = ImageDraw.Draw(picture, "RGBA")
    count, alpha = (3, 150) if strong else (2, 70)
    _shapes(draw, rng, _palette(recipe.prompt), *picture.size, count, alpha)
    return picture


def _zoom(source: Image.Image, recipe: Recipe, n: int) -> Image.Image:
    surround = procedural(recipe.prompt, f"{recipe.seed}:{n}", *source.size)
    factor = max(1.0, recipe.factor)
    inner = source.resize(
        (max(1, round(source.width / factor)), max(1, round(source.height / factor))),
        Image.LANCZOS,
    )
    surround.paste(inner, ((source.width - inner.width) // 2, (source.height - inner.height) // 2))
    return surround


def _pan(source: Image.Image, recipe: Recipe, n: int) -> Image.Image:
    width, height = source.size
    canvas = procedural(recipe.prompt, f"{recipe.seed}:{n}", width, height)
    dx = {"left": width // 3, "right": -(width // 3)}.get(recipe.side, 0)
    dy = {"up": height // 3, "down": -(height // 3)}.get(recipe.side, 0)
    canvas.paste(source, (dx, dy))
    return canvas


def _from_pictures(recipe: Recipe, n: int, width: int, height: int) -> Image.Image:
    """An image prompt or a blend: the user's pictures, cross-faded, with a few shapes."""
    pictures = [
        ImageOps.fit(Image.open(io.BytesIO(data)).convert("RGB"), (width, height))
        for data in recipe.pictures
    ]
    picture = pictures[0]
    for m, other in enumerate(pictures[1:], 1):
        picture = Image.blend(picture, other, 1 / (m + 1))
    return _vary(picture, recipe, n, strong=False)


def render(recipe: Recipe) -> bytes:
    """The result's file: a WebP grid (Midjourney's since 2025) or a PNG single picture."""
    width, height = frame(recipe.size, aspect(recipe.prompt))
    source = None if recipe.source is None else Image.open(io.BytesIO(recipe.source))
    if source is not None and recipe.index is not None:
        source = tile(source.convert("RGB"), recipe.index)
    if recipe.tiles == 1:
        if source is None:  # its picture is gone (a restart): a new one, as big as a grid
            return _encode(procedural(recipe.prompt, recipe.seed, width, height), "PNG")
        scale = 2
        picture = source.convert("RGB").resize(
            (source.width * scale, source.height * scale), Image.LANCZOS
        )
        return _encode(picture, "PNG")
    cell = (width // 2, height // 2)
    pictures = []
    for n in range(1, 5):
        if recipe.pictures:
            pictures.append(_from_pictures(recipe, n, *cell))
        elif source is None or recipe.how == "new":
            pictures.append(procedural(recipe.prompt, f"{recipe.seed}:{n}", *cell))
        elif recipe.how == "zoom":
            pictures.append(_zoom(source.convert("RGB").resize(cell), recipe, n))
        elif recipe.how == "pan":
            pictures.append(_pan(source.convert("RGB").resize(cell), recipe, n))
        else:
            strong = recipe.how != "vary_subtle"
            pictures.append(_vary(source.convert("RGB").resize(cell), recipe, n, strong))
    return _encode(_grid(pictures, width, height), "WEBP")


def _encode(image: Image.Image, fmt: str) -> bytes:
    out = io.BytesIO()
    image.save(out, fmt, **({"quality": 90} if fmt == "WEBP" else {}))
    return out.getvalue()


_COLOUR_NAMES = (
    ("red", 0.0), ("orange", 0.08), ("yellow", 0.15), ("green", 0.33), ("teal", 0.47),
    ("blue", 0.6), ("violet", 0.75), ("pink", 0.9), ("red", 1.0),
)  # fmt: skip


def _colour_name(rgb: tuple[int, int, int]) -> str:
    h, s, v = colorsys.rgb_to_hsv(*(channel / 255 for channel in rgb))
    if v < 0.2:
        return "black"
    if s < 0.15:
        return "white" if v > 0.85 else "grey"
    return min(_COLOUR_NAMES, key=lambda named: abs(named[1] - h))[0]


def describe(data: bytes) -> list[str]:
    """Words for what a picture shows: its main colours, its format, how busy it is."""
    with Image.open(io.BytesIO(data)) as opened:
        picture = opened.convert("RGB")
    small = picture.resize((48, max(1, round(48 * picture.height / picture.width))))
    counts = small.quantize(colors=4).convert("RGB").getcolors(48 * 48) or []
    names = list(dict.fromkeys(_colour_name(rgb) for _, rgb in sorted(counts, reverse=True)))
    ratio = picture.width / picture.height
    framing = "a wide view" if ratio > 1.2 else "a tall view" if ratio < 0.83 else "a square view"
    edges = ImageStat.Stat(small.convert("L").filter(ImageFilter.FIND_EDGES)).mean[0]
    detail = "bold simple shapes" if edges < 24 else "many fine details"
    return [", ".join(names[:3]) + " tones", framing, detail]
