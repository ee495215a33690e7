"""Midjourney's final video message -> sendAnimation received by the fake Telegram, end to end.

The real bot runs in its own process against the fakes (bench/harness.py). Each round, three
chats send a photo captioned /video at once; Midjourney (the simulator's model, fast) ends each
job with the same animated WebP grid, Midjourney's size, at about the same moment, so three
conversions overlap in the bot's pool. A video's latency: its final message framed onto the
gateway -> its animation received by the fake Telegram (editMessageMedia into the job's message,
after the upload was read).
"""

from __future__ import annotations

import io
import re
import time
from typing import Any

from PIL import Image

from bench.harness import BenchModel, Stage, StageOptions, TimedDiscord
from bridge.simulator.video import knobs
from tests.fakes.telegram import Call

_TOKEN = re.compile(r"vidbench(\d+)")


class VideoTimedDiscord(TimedDiscord):
    """Stamps each video's final message (the one carrying the WebP grid) by its token."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.video_finals: dict[str, float] = {}

    async def dispatch(self, event: str, data: dict[str, Any], *, audience: str = "all") -> None:
        attachments = data.get("attachments") or ()
        is_grid = any(a.get("content_type") == "image/webp" for a in attachments)
        if event == "MESSAGE_CREATE" and is_grid:
            found = _TOKEN.search(str(data.get("content") or ""))
            if found is not None:
                self.video_finals.setdefault(found.group(0), time.monotonic())
        await super().dispatch(event, data, audience=audience)


class VideoStage(Stage):
    """The stage with a fake Discord that stamps video finals."""

    def __init__(self, options: StageOptions) -> None:
        super().__init__(options)
        self.video_discord = VideoTimedDiscord(
            bot_token=self.discord.bot_token,
            user_token=self.discord.user_token,
            guild_id=self.discord.guild_id,
            channel_id=self.discord.channel_id,
        )
        self.discord = self.video_discord
        self.discord.behaviour = self.model


def _photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (256, 256), "teal").save(out, "JPEG")
    return out.getvalue()


async def delivery_times(
    grid: bytes, *, videos: int, rounds: int, smoke: bool = False
) -> list[float]:
    """Seconds from each final message to its sendAnimation, `videos` at once per round
    (`smoke`: the bot in this process, bench/inprocess.py)."""
    model = BenchModel(step_delay=0.05)
    knobs(model).fixed_grid = grid
    options = StageOptions(model=model, concurrency=videos, telegram_pacing=False, smoke=smoke)
    latencies: list[float] = []
    photo = _photo()
    async with VideoStage(options) as stage:
        for round_ in range(rounds):
            for n in range(videos):
                user = stage.tg.user(30_000 + n)
                caption = f"/video vidbench{round_ * videos + n:05d} the water ripples"
                stage.tg.send_photo(stage.tg.private_chat(user), user, photo, caption=caption)
            wanted = (round_ + 1) * videos
            await stage.until(
                lambda wanted=wanted: len(_animations(stage)) >= wanted, 120, "the videos"
            )
        for token, call in _animations(stage).items():
            latencies.append(call.at - stage.video_discord.video_finals[token])
    return latencies


def _animations(stage: Stage) -> dict[str, Call]:
    """Each video's animation, put into its job's message (editMessageMedia), by token."""
    found: dict[str, Call] = {}
    for call in stage.calls("editMessageMedia"):
        media = call.params.get("media") or {}
        token = _TOKEN.search(str(call.caption or ""))
        if media.get("type") == "animation" and token is not None:
            found.setdefault(token.group(0), call)
    return found
