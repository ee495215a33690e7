"""Video from Telegram end to end: Animate, a clip alone, Extend, prompt videos from photos.

The fake Discord's Midjourney model makes real animated WebP grids and real MP4 clips (tiny
ones); what reaches the fake Telegram is decoded here with PyAV and checked frame by frame.
"""

from __future__ import annotations

import asyncio
import io
import signal
from collections.abc import Callable
from typing import Any

import av
import pytest
from PIL import Image
from sqlmodel import select

from bot.settings import Settings
from bridge.simulator import MidjourneyModel
from storage.db import Database
from storage.models import Job, JobKind, JobStatus, QuotaEntry, QuotaState
from tests.fakes.discord import FakeDiscord
from tests.fakes.telegram import STATUS_EDITS, Call, FakeTelegram
from tests.helpers import PrivateChat, Stack, keyboard, reply_to, small_videos

SIDE, FPS = 64, 2  # a 5 s clip is 10 frames; an extended one (9 s) 18


@pytest.fixture
def model() -> MidjourneyModel:
    return small_videos(MidjourneyModel(step_delay=0.01, image_size=128), SIDE, FPS)


def labels(call: Call) -> list[list[str]]:
    return [[key["text"] for key in row] for row in keyboard(call)]


def is_animation(call: Call) -> bool:
    """The job's message got its video: editMessageMedia with an animation, and its keys."""
    media = call.params.get("media") or {}
    return call.is_result and media.get("type") == "animation"


def upload(call: Call) -> bytes:
    return next(iter(call.files.values()))


def decoded(call: Call) -> dict[str, Any]:
    """What a person's Telegram would play: the codec, the picture size, every frame."""
    with av.open(io.BytesIO(upload(call))) as container:
        stream = container.streams.video[0]
        frames = list(container.decode(stream))
        return {
            "codec": stream.codec_context.name,
            "pix_fmt": stream.codec_context.pix_fmt,
            "size": (frames[0].width, frames[0].height),
            "frames": len(frames),
            "audio": len(container.streams.audio),
            "moving": frames[0].to_image().tobytes() != frames[-1].to_image().tobytes(),
        }


def jpeg(colour: str) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (96, 96), colour).save(out, "JPEG")
    return out.getvalue()


class Chat(PrivateChat):
    def __init__(self, tg: FakeTelegram, discord: FakeDiscord, model: MidjourneyModel) -> None:
        super().__init__(tg, 90, language_code="en")
        self.discord, self.model = discord, model

    async def upscale(self, prompt: str, wait: float = 5) -> Call:
        self.tg.send_text(self.room, self.user, f"/imagine {prompt}")
        grid = (await self.tg.wait_for_results(timeout=wait))[-1]
        self.press(grid, "U1")
        return (await self.tg.wait_for_results(count=2, timeout=wait))[-1]

    async def animation(self, count: int, wait: float = 5) -> Call:
        return (
            await self.tg.wait_for("editMessageMedia", is_animation, count=count, timeout=wait)
        )[-1]


@pytest.fixture
async def chat(stack: Stack) -> Chat:
    await stack.start()
    return Chat(stack.tg, stack.discord, stack.model)


async def jobs(settings: Settings) -> list[tuple[Job, QuotaEntry | None]]:
    async with Database(settings.database_url) as db, db.transaction() as session:
        found = (await session.exec(select(Job).order_by(Job.id))).all()  # type: ignore[arg-type]
        entries = {e.job_id: e for e in (await session.exec(select(QuotaEntry))).all()}
        return [(job, entries.get(job.id)) for job in found]  # type: ignore[arg-type]


async def test_animate_sends_a_looping_mp4_of_the_grid_that_plays_in_the_chat(
    chat: Chat,
) -> None:
    upscale = await chat.upscale("a red fox")
    assert ["🎞 Animate (High motion)", "🎞 Animate (Low motion)"] in labels(upscale)

    chat.press(upscale, "🎞 Animate (High motion)")
    video = await chat.animation(1)

    press = chat.model.interactions[-1]
    assert press["type"] == 3
    assert press["data"]["custom_id"].startswith("MJ::JOB::animate_high::1::")
    assert decoded(video) == {
        "codec": "h264",
        "pix_fmt": "yuv420p",
        "size": (SIDE, SIDE),
        "frames": 5 * FPS,
        "audio": 0,
        "moving": True,
    }
    assert reply_to(video) == upscale.result["message_id"]
    assert (video.caption or "").startswith("🎞 Animate (High motion) — a red fox")
    assert labels(video) == [["🎬 1", "🎬 2", "🎬 3", "🎬 4"], ["🔄"]]
    # Telegram plays it as an animation: the job's message now carries it as one.
    assert video.result["animation"]["file_size"] == len(upload(video))
    assert "photo" not in video.result


async def test_a_clip_button_sends_that_clip_alone_with_extend_and_the_original(
    chat: Chat, tg: FakeTelegram
) -> None:
    upscale = await chat.upscale("a paper boat")
    chat.press(upscale, "🎞 Animate (Low motion)")
    grid = await chat.animation(1)

    chat.press(grid, "🎬 2")
    clip = await chat.animation(2)

    press = chat.model.interactions[-1]
    assert press["data"]["custom_id"].startswith("MJ::JOB::video_virtual_upscale::2::")
    made = chat.model.results[press["nonce"]]
    assert upload(clip) == made["image"]  # Midjourney's MP4, passed through
    assert decoded(clip)["frames"] == 5 * FPS
    assert (clip.caption or "").startswith("🎬 2 — ")
    assert labels(clip) == [["🎞 Extend (High motion)", "🎞 Extend (Low motion)"], ["📎 Original"]]

    chat.press(clip, "📎 Original")
    original = (await tg.wait_for("sendDocument"))[-1]
    assert original.files["document"] == made["image"]


async def test_extend_makes_a_longer_clip_that_can_be_extended_again(chat: Chat) -> None:
    upscale = await chat.upscale("a lighthouse at night")
    chat.press(upscale, "🎞 Animate (High motion)")
    grid = await chat.animation(1)
    chat.press(grid, "🎬 3")
    clip = await chat.animation(2)

    chat.press(clip, "🎞 Extend (Low motion)")
    longer = await chat.animation(3)

    press = chat.model.interactions[-1]
    assert press["data"]["custom_id"].startswith("MJ::JOB::animate_low_extend::3::")
    assert decoded(longer)["frames"] == (5 + 4) * FPS
    assert reply_to(longer) == clip.result["message_id"]
    assert labels(longer)[0] == ["🎞 Extend (High motion)", "🎞 Extend (Low motion)"]


async def test_a_photo_captioned_video_makes_a_prompt_video_from_it(
    chat: Chat, tg: FakeTelegram
) -> None:
    photo = tg.send_photo(
        chat.room,
        chat.user,
        jpeg("orange"),
        caption="/video the leaves start to fall --motion low --bs 2 --loop",
    )
    video = await chat.animation(1)

    payload = chat.model.interactions[-1]
    assert payload["type"] == 2
    assert payload["data"]["name"] == "imagine"
    prompt = payload["data"]["options"][0]["value"]
    start, rest = prompt.split(" ", 1)
    assert start.startswith("http")
    assert rest == "the leaves start to fall --motion low --bs 2 --loop --video"
    assert reply_to(video) == photo["message_id"]
    assert decoded(video)["frames"] == 5 * FPS
    assert labels(video) == [["🎬 1", "🎬 2", "🎬 3", "🎬 4"], ["🔄"]]


async def test_an_album_of_two_photos_makes_the_second_the_end_frame(
    chat: Chat, tg: FakeTelegram
) -> None:
    tg.send_photo(
        chat.room, chat.user, jpeg("red"), caption="/video a sunrise", media_group_id="v1"
    )
    tg.send_photo(chat.room, chat.user, jpeg("blue"), media_group_id="v1")
    await chat.animation(1)

    prompt = chat.model.interactions[-1]["data"]["options"][0]["value"]
    words = prompt.split()
    assert words[0].startswith("http")
    assert words[1:5] == ["a", "sunrise", "--video", "--end"]
    assert words[5].startswith("http")
    assert words[5] != words[0]


async def test_video_without_a_picture_or_with_turbo_is_answered_here(
    chat: Chat, tg: FakeTelegram
) -> None:
    tg.send_text(chat.room, chat.user, "/video")
    usage = (await tg.wait_for("sendMessage", lambda c: "/video" in c.params["text"]))[-1]
    assert "photo" in usage.params["text"]

    tg.send_photo(chat.room, chat.user, jpeg("green"), caption="/video waves --turbo")
    refused = (await tg.wait_for("sendMessage", lambda c: "Turbo" in c.params["text"]))[-1]
    assert "Turbo mode isn't supported for video jobs" in refused.params["text"]
    assert chat.model.interactions == []


async def test_a_video_is_charged_its_own_cost_once(
    chat: Chat, discord_settings: Callable[..., Settings]
) -> None:
    upscale = await chat.upscale("a calm lake")
    chat.press(upscale, "🎞 Animate (High motion)")
    grid = await chat.animation(1)
    chat.press(grid, "🎬 1")
    await chat.animation(2)

    found = await jobs(discord_settings())
    kinds = [(job.kind, entry.units, entry.state) for job, entry in found if entry]
    assert kinds == [
        (JobKind.IMAGINE, 1, QuotaState.CHARGED),
        (JobKind.ACTION, 1, QuotaState.CHARGED),
        (JobKind.VIDEO, 8, QuotaState.CHARGED),
        (JobKind.ACTION, 1, QuotaState.CHARGED),
    ]
    chat.tg.send_text(chat.room, chat.user, "/quota")
    told = (await chat.tg.wait_for("sendMessage", lambda c: "left today" in c.params["text"]))[0]
    assert "A video costs 8 pictures" in told.params["text"]


async def test_a_failed_video_is_refunded(
    chat: Chat, tg: FakeTelegram, discord_settings: Callable[..., Settings]
) -> None:
    upscale = await chat.upscale("a storm over the sea")
    chat.model.error_words["storm"] = ("Invalid link", "The start image could not be read.")

    chat.press(upscale, "🎞 Animate (Low motion)")
    await tg.wait_for(STATUS_EDITS, lambda c: "could not finish" in c.text)

    video, entry = (await jobs(discord_settings()))[-1]
    assert (video.kind, video.status) == (JobKind.VIDEO, JobStatus.FAILED)
    assert entry is not None
    assert (entry.units, entry.state) == (8, QuotaState.REFUNDED)


async def test_under_remix_animate_asks_for_the_motion_prompt_and_fills_midjourneys_form(
    chat: Chat, tg: FakeTelegram
) -> None:
    upscale = await chat.upscale("a windmill in a field")
    chat.model.remix = True

    chat.press(upscale, "🎞 Animate (High motion)")
    question = (await tg.wait_for("sendMessage", lambda c: "motion prompt" in c.params["text"]))[0]
    assert "force_reply" in str(question.params["reply_markup"])
    assert "a windmill in a field" in question.params["text"]
    assert not [c for c in tg.calls_of("editMessageMedia") if is_animation(c)]  # not yet
    tg.send_text(chat.room, chat.user, "the sails turn slowly", reply_to=question.result)

    video = await chat.animation(1)
    press, submit = chat.model.interactions[-2:]
    assert press["data"]["custom_id"].startswith("MJ::JOB::animate_high::1::")
    assert submit["type"] == 5
    assert submit["data"]["custom_id"].startswith("MJ::AnimateModal::")
    assert submit["data"]["custom_id"].endswith("::1::high::0")
    field = submit["data"]["components"][0]["components"][0]
    assert field["custom_id"] == "MJ::AnimateModal::prompt"
    assert field["value"] == "the sails turn slowly"
    assert submit["nonce"] != press["nonce"]
    assert reply_to(video) == upscale.result["message_id"]
    assert decoded(video)["frames"] == 5 * FPS

    chat.press(video, "🎬 1")
    clip = await chat.animation(2)
    chat.press(clip, "🎞 Extend (Low motion)")
    question = (
        await tg.wait_for("sendMessage", lambda c: "motion prompt" in c.params["text"], count=2)
    )[-1]
    tg.send_text(chat.room, chat.user, "the clouds race by", reply_to=question.result)
    longer = await chat.animation(3)
    submit = chat.model.interactions[-1]
    assert submit["data"]["custom_id"].endswith("::1::low::1")  # an extend's form
    assert decoded(longer)["frames"] == (5 + 4) * FPS


@pytest.mark.slow  # a process of its own
async def test_a_video_running_when_the_bot_dies_is_delivered_once_after_the_restart(
    tg: FakeTelegram,
    discord_fake: FakeDiscord,
    model: MidjourneyModel,
    discord_settings: Callable[..., Settings],
    bot_process: Callable[..., Any],
) -> None:
    settings = discord_settings()
    first = await bot_process(settings)
    chat = Chat(tg, discord_fake, model)
    upscale = await chat.upscale("a comet over the hills", wait=20)
    model.step_delay = 0.3  # the video takes about a second and a half
    chat.press(upscale, "🎞 Animate (High motion)")
    ran = len(model.interactions) + 1
    for _ in range(200):  # Midjourney has the video and reports progress on it
        if len(model.interactions) == ran and model.in_flight:
            break
        await asyncio.sleep(0.02)
    await asyncio.sleep(0.4)
    first.kill()
    await first.wait()
    for _ in range(100):  # Midjourney finishes the video while no bot is there
        if model.in_flight == 0:
            break
        await asyncio.sleep(0.05)
    sent = len(model.interactions)

    second = await bot_process(settings)
    video = await chat.animation(1, wait=20)
    assert decoded(video)["frames"] == 5 * FPS
    assert reply_to(video) == upscale.result["message_id"]
    await asyncio.sleep(0.3)
    shown_in = {c.result["message_id"] for c in tg.calls_of("editMessageMedia") if is_animation(c)}
    assert len(shown_in) == 1, "delivered twice"
    assert len(model.interactions) == sent, "the video was asked for again"
    entries = [entry for job, entry in await jobs(settings) if job.kind is JobKind.VIDEO]
    assert [(e.units, e.state) for e in entries if e] == [(8, QuotaState.CHARGED)]
    second.send_signal(signal.SIGTERM)
    assert await asyncio.wait_for(second.wait(), 15) == 0
