"""/describe (Midjourney's PicReader) and /shorten (its PromptAnalyzer), as in
docs/midjourney-on-the-wire.md#describe-shorten-and-account-replies."""

from __future__ import annotations

import asyncio
import io
import math
from typing import TYPE_CHECKING

from PIL import Image

from bridge.prompts import parse_parameters
from bridge.simulator.buttons import button, rows
from bridge.simulator.hooks import Turn, on_command
from bridge.simulator.model import option
from bridge.simulator.pictures import describe as picture_words

if TYPE_CHECKING:
    from bridge.simulator.model import MidjourneyModel


def shortened(prompt: str) -> list[str]:
    """What /shorten suggests for a prompt: its comma phrases, fewer and fewer, then its words."""
    text = parse_parameters(prompt)[0]
    phrases = [" ".join(part.split()) for part in text.split(",") if part.strip()]
    words = " ".join(phrases).split()
    candidates = [", ".join(phrases[:n]) for n in range(len(phrases), 0, -1)]
    candidates += [" ".join(words[:n]) for n in (8, 5, 3) if n < len(words)]
    return list(dict.fromkeys(candidates))[:5] or [" ".join(prompt.split())]


@on_command("shorten")
async def shorten(model: MidjourneyModel, turn: Turn) -> None:
    """Shortened prompts on keycap lines, by an edit of the first answer."""
    prompt = option(turn.data, "prompt")
    await asyncio.sleep(turn.delay)
    suggestions = shortened(prompt)
    tokens = " ".join(f"**{word}**" for word in parse_parameters(prompt)[0].split()[:12])
    picks = "\n\n".join(f"{n}\ufe0f\u20e3 {text}" for n, text in enumerate(suggestions, 1))
    embed = {
        "type": "rich",
        "color": 0,
        "description": f"## Important tokens\n{tokens}\n\n## Shortened prompts\n{picks}",
        "footer": {"text": "Click on a button to imagine one of the shortened prompts"},
    }
    count = len(suggestions)
    numbers = [button(f"MJ::Job::PromptAnalyzer::{n}", str(n)) for n in range(1, count + 1)]
    details = button("MJ::Job::PromptAnalyzer::Details", "Show Details")
    answer = {"embeds": [embed], "components": rows(numbers, [details])}
    await model.deferred(turn, 0, answer)


@on_command("describe")
async def describe(model: MidjourneyModel, turn: Turn) -> None:
    """Describe answers with an embed of the image, later filled with four prompts."""
    image = turn.uploads()[0]
    embed = {"type": "rich", "image": {"url": image["url"]}, "color": 0}
    first = model.message(turn, "")
    first.update(nonce=turn.nonce, embeds=[embed])
    created = await turn.discord.create_message(turn.channel_id, first)
    await asyncio.sleep(turn.delay)
    # What the picture shows (its colours, framing, detail) and its own aspect ratio.
    data = turn.discord.cdn_bytes(image["url"])
    words, ratio = await asyncio.to_thread(_read, data) if data else ("a picture", "1:1")
    styles = ("soft morning light", "cinematic, 35mm", "watercolor", "isometric 3D render")
    prompts = [
        f"{n}\ufe0f\u20e3 {words}, {style} --ar {ratio}" for n, style in enumerate(styles, 1)
    ]
    filled = {**embed, "description": "\n\n".join(prompts)}
    picks = [button(f"MJ::Job::PicReader::{n}", str(n)) for n in range(1, 5)]
    components = rows(picks, [button("MJ::Picread::Retry", emoji="🔄")])
    await turn.discord.update_message(
        created["id"], {"embeds": [filled], "components": components}
    )


_RATIOS = ((1, 1), (4, 3), (3, 2), (16, 9), (2, 1), (3, 4), (2, 3), (9, 16), (1, 2))


def _read(data: bytes) -> tuple[str, str]:
    """Words for the picture, and the usual aspect ratio nearest to its own."""
    with Image.open(io.BytesIO(data)) as image:
        shape = image.width / image.height
    width, height = min(_RATIOS, key=lambda ratio: abs(math.log(shape * ratio[1] / ratio[0])))
    return ", ".join(picture_words(data)), f"{width}:{height}"
